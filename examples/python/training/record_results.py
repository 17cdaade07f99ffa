"""Writes gnruntime/data/fashion-mnist-qcfs.json: the training record of the shipped model (from its
checkpoint) and its accuracy on the shipped test subset, as the runtime computes it — the figures
the README quotes and the tests check.

    python3 training/record_results.py training/fashion_mnist_qcfs.pt
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from gnruntime import Model, fashion_mnist  # noqa: E402
from gnruntime.evaluation import accuracy_curves, default_configurations  # noqa: E402

STEPS = [1, 2, 4, 8, 16, 32]


def subset_accuracy() -> dict[str, list[float]]:
    images, labels = fashion_mnist.load_subset()
    with Model.load(ROOT / "gnruntime" / "data" / "fashion-mnist-qcfs.gnrt") as model:
        curves = accuracy_curves(model, images, labels, max(STEPS), default_configurations(), progress=False)
    return {c.configuration.label: [round(c.at(t), 4) for t in STEPS] for c in curves}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkpoint", type=Path)
    args = parser.parse_args()
    import torch
    checkpoint = torch.load(args.checkpoint, map_location="cpu")
    record = {
        "training": {"command": checkpoint["command"], "levels": checkpoint["levels"], "log": checkpoint["log"]},
        "subset": {"samples": 1000, "steps": STEPS, "accuracy": subset_accuracy()},
    }
    path = ROOT / "gnruntime" / "data" / "fashion-mnist-qcfs.json"
    path.write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps(record["subset"], indent=1))


if __name__ == "__main__":
    main()
