"""Writes the seed corpus of the fuzzer (fuzz/corpus): small valid models of every layer kind, each
behind the fuzzer's 4 control bytes (see FuzzModel.swift).

    python3 fuzz/make_corpus.py
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples" / "python"))
from gnruntime import writer as w  # noqa: E402


def models() -> dict[str, bytes]:
    rng = np.random.default_rng(0)

    def conv(o: int, i: int, k: int) -> np.ndarray:
        return rng.uniform(-1, 1, (o, i, k, k)).astype(np.float32) * np.float32(1.5 / np.sqrt(i * k * k))

    return {
        "vgg": w.encode((2, 6, 6), [
            w.Conv2d(conv(16, 2, 3), rng.uniform(-.1, .1, 16), padding=1), w.QCFS(levels=4, threshold=1.0),
            w.AvgPool2d(2), w.Conv2d(conv(32, 16, 3), None, stride=2, padding=1), w.Affine(np.ones(32), np.zeros(32)),
            w.QCFS(levels=2, threshold=0.5), w.Flatten(), w.Linear(rng.uniform(-.3, .3, (5, 128)), rng.uniform(-.1, .1, 5)),
        ]),
        "resnet": w.encode((3, 4, 4), [
            w.Conv2d(conv(16, 3, 3), None, padding=1), w.QCFS(levels=8, threshold=1.0, name="x"),
            w.Conv2d(conv(16, 16, 3), rng.uniform(-.1, .1, 16), padding=1), w.Add(inputs=["x", 2]),
            w.QCFS(levels=8, threshold=1.0), w.GlobalAvgPool(), w.Flatten(), w.Linear(rng.uniform(-.3, .3, (3, 16)), None),
        ]),
        "maxpool": w.encode((1, 5, 5), [
            w.Conv2d(conv(17, 1, 3), rng.uniform(-.1, .1, 17), padding=1), w.QCFS(levels=3, threshold=0.7),
            w.MaxPool2d(3, 2, 1), w.Flatten(), w.Linear(rng.uniform(-.3, .3, (2, 17 * 3 * 3)), None),
        ]),
        "linear": w.encode((4, 1, 1), [w.Linear(rng.uniform(-1, 1, (64, 4)), None), w.QCFS(levels=4, threshold=1.0),
                                       w.Linear(rng.uniform(-1, 1, (7, 64)), rng.uniform(-1, 1, 7))]),
        # int8 weights (format 1.1): every layer after the first QCFS, on pooled and flattened counts.
        "int8": w.encode((2, 6, 6), [
            w.Conv2d(conv(16, 2, 3), rng.uniform(-.1, .1, 16), padding=1), w.QCFS(levels=4, threshold=1.0),
            w.AvgPool2d(2), w.Conv2d(conv(32, 16, 3), None, stride=2, padding=1), w.QCFS(levels=2, threshold=0.5),
            w.Flatten(), w.Linear(rng.uniform(-.3, .3, (5, 128)), rng.uniform(-.1, .1, 5)),
        ], weights="int8"),
    }


def main() -> None:
    out = ROOT / "fuzz" / "corpus"
    out.mkdir(exist_ok=True)
    for name, data in models().items():
        for control in (bytes([1, 3, 3, 0]), bytes([0, 7, 0, 3])):
            (out / f"{name}-{control.hex()}").write_bytes(control + data)


if __name__ == "__main__":
    main()
