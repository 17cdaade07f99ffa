"""FP32 sums against a float64 evaluation: GNRuntime (every instruction set this CPU runs) and PyTorch on
one 3 × 3 convolution of each fan-in, the table of docs/semantics.md ("Summation order").

    python3 benchmarks/accuracy.py [--channels 64 256 512] [--size 6] [--batch 2]

Inputs in [0, 1) like spike rates, Kaiming-scaled weights, a small bias; prints the relative rms error
of each against float64. Needs the gnruntime package (scripts/python-env.sh) and torch.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np
import torch

import gnruntime
from gnruntime import writer
from gnruntime.export import from_arrays

def relative_rms_error(values: np.ndarray, exact: np.ndarray) -> float:
    return float(np.sqrt(np.mean((values.astype(np.float64) - exact) ** 2)) / np.sqrt(np.mean(exact ** 2)))


def errors(channels: int, size: int, batch: int) -> dict[str, float]:
    rng = np.random.default_rng(channels)
    x = rng.random((batch, channels, size, size), dtype=np.float32)
    weight = (rng.standard_normal((channels, channels, 3, 3)) * np.sqrt(2 / (9 * channels))).astype(np.float32)
    bias = (0.1 * rng.standard_normal(channels)).astype(np.float32)
    conv = torch.nn.functional.conv2d
    exact = conv(torch.from_numpy(x).double(), torch.from_numpy(weight).double(), torch.from_numpy(bias).double(),
                 padding=1).numpy().reshape(batch, -1)
    pytorch = conv(torch.from_numpy(x), torch.from_numpy(weight), torch.from_numpy(bias),
                   padding=1).numpy().reshape(batch, -1)
    result = {"pytorch": relative_rms_error(pytorch, exact)}
    with gnruntime.Model.load(from_arrays((channels, size, size), [writer.Conv2d(weight, bias, padding=1)])) as model:
        for isa in gnruntime.runnable_isas():
            with gnruntime.Session(model, "ann", T=1, batch=batch, isa=isa) as session:
                result[isa] = relative_rms_error(session.run(x), exact)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--channels", type=int, nargs="+", default=[64, 256, 512], help="input = output channels")
    parser.add_argument("--size", type=int, default=6, help="height and width of the maps")
    parser.add_argument("--batch", type=int, default=2)
    args = parser.parse_args()
    for channels in args.channels:
        row = errors(channels, args.size, args.batch)
        print(f"fan-in {9 * channels:5d}: " + ", ".join(f"{name} {error:.3g}" for name, error in row.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
