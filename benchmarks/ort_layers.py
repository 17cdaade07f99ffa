"""ONNX Runtime's own time for each convolution and linear layer of the peer ANN (ResNet-20 or VGG-16,
QCFS, random weights, L = 8), from its node profiler: the peer's side of `gnruntime-bench --profile
NETWORK,ann,8,1,BATCH,THREADS`, layer for layer, in the same units.

    python3 benchmarks/ort_layers.py --network resnet20 --batch 32 [--threads 1] [--runs 30] [--peak GFLOPS]

ONNX Runtime fuses each convolution with what follows it where it can and runs its convolutions in a
blocked layout (NCHWc), with reorders between; only the Conv and Gemm nodes are shown, with their
median and fastest time over the runs and the GFLOP/s of the median (and its fraction of `--peak`, the
peak `gnruntime-bench --profile` prints for the same threads). Needs torch, onnx and onnxruntime.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import tempfile
from collections import defaultdict

import torch

from machine import cpu_model  # benchmarks/machine.py
from peers import NETWORKS, onnx_session  # benchmarks/peers.py


def flops(event: dict) -> int:
    """Multiply-adds × 2 of a Conv or Gemm node, from the shapes its profile event records."""
    shapes = [next(iter(shape.values())) for shape in event["args"]["input_type_shape"]]
    output = next(iter(event["args"]["output_type_shape"][0].values()))
    weights = shapes[1]
    if event["args"]["op_name"] == "Conv":
        # Weights [Cout, Cin / groups, kh, kw]: each output sums Cin / groups × kh × kw products.
        return 2 * math.prod(output) * math.prod(weights[1:])
    # Gemm: [N, K] × [K, M] or its transpose; each output sums K products.
    return 2 * math.prod(output) * shapes[0][-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--network", choices=sorted(NETWORKS), default="resnet20")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=30, help="profiled runs (each node's median is shown)")
    parser.add_argument("--peak", type=float, default=None, help="GFLOP/s to show fractions of")
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    ann = NETWORKS[args.network]("ann", 8, 8).eval()
    x = torch.rand(args.batch, 3, 32, 32)
    with tempfile.TemporaryDirectory() as folder:
        session = onnx_session(ann, x, args.threads, profile_prefix=os.path.join(folder, "ort"))
        feed = {"x": x.numpy()}
        for _ in range(args.runs):
            session.run(None, feed)
        with open(session.end_profiling()) as file:
            events = json.load(file)
    durations: dict[str, list[float]] = defaultdict(list)
    first: dict[str, dict] = {}
    for event in events:
        if event.get("cat") == "Node" and event["args"].get("op_name") in ("Conv", "Gemm") \
                and event["name"].endswith("_kernel_time"):
            durations[event["name"]].append(event["dur"] / 1000)
            first.setdefault(event["name"], event)
    print(f"CPU: {cpu_model()}")
    print(f"ONNX Runtime, {args.network} ANN, batch {args.batch}, {args.threads} thread(s), {args.runs} runs")
    for name, event in first.items():
        median = statistics.median(durations[name])
        rate = flops(event) / median / 1e6
        share = f"  {100 * rate / args.peak:3.0f}%" if args.peak else ""
        output = next(iter(event["args"]["output_type_shape"][0].values()))
        print(f"{event['args']['op_name']:5s} {'x'.join(map(str, output[1:])):>12s} {median:8.3f} ms "
              f"(fastest {min(durations[name]):.3f}) {rate:7.1f} GFLOP/s{share}  {name.removesuffix('_kernel_time')}")
    print(f"sum of the medians: {sum(statistics.median(d) for d in durations.values()):.3f} ms")


if __name__ == "__main__":
    main()
