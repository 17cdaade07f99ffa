"""One convolution or linear layer per output width — multiples of 16 and widths between them — in
GNRuntime (the ANN, T = 1) and in ONNX Runtime on the same layer, one thread, the two alternated round by
round: a layer whose width is not a multiple of the vector should cost about what the next multiple
costs, not fall back to scalar code. Each convolution is followed by a global average pool in both
runtimes, so that its output, a map as large as its input, need not go back out to NCHW.

    python3 benchmarks/layer_widths.py [--rounds 5] [--reps 20] [--batch 8] [--linear-batches 1 32]

Random weights and inputs; prints each layer's median milliseconds, GNRuntime's GFLOP/s and ONNX
Runtime's time over GNRuntime's. Needs the gnruntime package (scripts/python-env.sh), torch, onnx and
onnxruntime.
"""
from __future__ import annotations

import argparse
import statistics
from typing import Callable

import numpy as np
import torch
from torch import nn

import gnruntime
from gnruntime.export import from_torch
from machine import cpu_model  # benchmarks/machine.py
from peers import median_seconds, onnx_session  # benchmarks/peers.py

#: (input channels, output channels, map size) of the 3 × 3 convolutions (padding 1).
CONVOLUTIONS = [(1, 8, 28), (8, 12, 14), (16, 16, 32), (16, 24, 32), (16, 32, 32), (32, 40, 16), (32, 48, 16),
                (32, 80, 16), (64, 96, 8), (64, 100, 8), (64, 144, 8)]
#: (inputs, outputs) of the linear layers.
LINEARS = [(4096, 10), (4096, 96), (4096, 100), (512, 40), (512, 48)]


def median_ms(function: Callable[[], object], repetitions: int) -> float:
    return 1000 * median_seconds(function, repetitions)


class Layer:
    """One layer in both runtimes, ready to run on the same input."""

    def __init__(self, module: nn.Module, shape: tuple[int, int, int], batch: int, flops: int, label: str) -> None:
        self.label, self.flops = label, flops
        self.x = np.random.default_rng(0).random((batch, *shape), dtype=np.float32)
        self.model = gnruntime.Model.load(from_torch(module, None, shape))
        self.session = gnruntime.Session(self.model, neuron="ann", T=1, batch=batch, threads=1)
        self.kernel = next(name for name, _ in self.session.layer_kernels() if name.startswith(("conv2d", "linear")))
        self.peer = onnx_session(module, torch.from_numpy(self.x), threads=1)

    def time_runtime(self, repetitions: int) -> float:
        return median_ms(lambda: self.session.run(self.x), repetitions)

    def time_peer(self, repetitions: int) -> float:
        return median_ms(lambda: self.peer.run(None, {"x": self.x}), repetitions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternations of the two runtimes")
    parser.add_argument("--reps", type=int, default=20, help="runs per measurement (its median is kept)")
    parser.add_argument("--batch", type=int, default=8, help="samples per convolution call")
    parser.add_argument("--linear-batches", type=int, nargs="+", default=[1, 32], help="samples per linear call")
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    layers = []
    for cin, cout, size in CONVOLUTIONS:
        layers.append(Layer(nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.AdaptiveAvgPool2d(1)), (cin, size, size),
                            args.batch,
                            2 * 9 * cin * cout * size * size * args.batch,
                            f"conv 3x3 {cin}->{cout} {size}x{size} b{args.batch}"))
    for batch in args.linear_batches:
        for inputs, outputs in LINEARS:
            layers.append(Layer(nn.Sequential(nn.Flatten(), nn.Linear(inputs, outputs)), (inputs, 1, 1), batch,
                                2 * inputs * outputs * batch, f"linear {inputs}->{outputs} b{batch}"))
    runtime = {layer.label: [] for layer in layers}
    peer = {layer.label: [] for layer in layers}
    for round_index in range(args.rounds):
        for layer in layers:
            # Both orders, round by round: neither runtime always runs first.
            if round_index % 2 == 0:
                runtime[layer.label].append(layer.time_runtime(args.reps))
                peer[layer.label].append(layer.time_peer(args.reps))
            else:
                peer[layer.label].append(layer.time_peer(args.reps))
                runtime[layer.label].append(layer.time_runtime(args.reps))
    print(f"CPU: {cpu_model()}; GNRuntime kernels: {gnruntime.cpu_isa()}; one thread; "
          f"medians of {args.rounds} alternated rounds of {args.reps} runs")
    print(f"{'layer':34s} {'GNRuntime ms':>12s} {'GFLOP/s':>8s} {'ORT ms':>9s} {'ORT/GN':>7s}  kernel")
    for layer in layers:
        ours, theirs = statistics.median(runtime[layer.label]), statistics.median(peer[layer.label])
        print(f"{layer.label:34s} {ours:12.3f} {layer.flops / ours / 1e6:8.1f} {theirs:9.3f} {theirs / ours:7.2f}  "
              f"{layer.kernel}")


if __name__ == "__main__":
    main()
