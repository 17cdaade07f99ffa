"""ONNX Runtime's own time for each convolution and linear layer of the peer ANN (ResNet-20 or VGG-16,
QCFS, random weights, L = 8), from its node profiler: the peer's side of `gnruntime-bench --profile
NETWORK,ann,8,1,BATCH,THREADS`, layer for layer, in the same units.

    python3 benchmarks/ort_layers.py --network resnet20 --batch 32 [--threads 1] [--runs 30] [--peak GFLOPS]
    python3 benchmarks/ort_layers.py --network resnet20 --batch 32 --against .build/release/gnruntime-bench [--rounds 4]

ONNX Runtime fuses each convolution with what follows it where it can and runs its convolutions in a
blocked layout (NCHWc), with reorders between; only the Conv and Gemm nodes are shown, with their
median and fastest time over the runs and the GFLOP/s of the median (and its fraction of `--peak`, the
peak `gnruntime-bench --profile` prints for the same threads).

With `--against`, the two profiles alternate for `--rounds` rounds on this machine and each layer shows
its fastest median in each runtime side by side, GNRuntime's kernel and fraction of the peak that the
benchmark measured, and ONNX Runtime's time over GNRuntime's. Layers are matched by output shape and
operations, in order (ONNX Runtime may run a shortcut before the convolution beside it). Needs torch,
onnx and onnxruntime.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import tempfile
from collections import defaultdict
from typing import NamedTuple

import torch

from machine import cpu_model  # benchmarks/machine.py
from peers import INPUT_SHAPES, NETWORKS, onnx_session  # benchmarks/peers.py


class PeerNode(NamedTuple):
    """One of ONNX Runtime's Conv or Gemm nodes."""
    name: str
    #: Channels, height, width of one sample's output (a Gemm's outputs as maps of 1 × 1).
    shape: list[int]
    operations: int
    #: Milliseconds of each profiled run.
    times: list[float]


class RuntimeLayer(NamedTuple):
    """One weighted layer of `gnruntime-bench --profile`."""
    shape: list[int]
    milliseconds: float
    #: From the printed rate and time, so rounded.
    operations: float
    kernel: str


def output_shape(event: dict) -> list[int]:
    """A node's output shape of one sample (channels, height, width) from its profile event."""
    dimensions = next(iter(event["args"]["output_type_shape"][0].values()))[1:]
    return dimensions + [1] * (3 - len(dimensions))


def flops(event: dict) -> int:
    """Multiply-adds × 2 of a Conv or Gemm node over the batch, from the shapes its profile event records."""
    inputs = [next(iter(shape.values())) for shape in event["args"]["input_type_shape"]]
    outputs = inputs[0][0] * math.prod(output_shape(event))
    if event["args"]["op_name"] == "Conv":
        # Weights [Cout, Cin / groups, kh, kw]: each output sums Cin / groups × kh × kw products.
        return 2 * outputs * math.prod(inputs[1][1:])
    # Gemm: [N, K] × [K, M] or its transpose; each output sums K products.
    return 2 * outputs * inputs[0][-1]


def profile_peer(network: str, batch: int, threads: int, runs: int) -> list[PeerNode]:
    """ONNX Runtime's Conv and Gemm nodes of the ANN, in the order they first ran, over `runs` runs."""
    torch.manual_seed(0)
    torch.set_num_threads(threads)
    ann = NETWORKS[network]("ann", 8, 8).eval()
    x = torch.rand(batch, *INPUT_SHAPES[network])
    with tempfile.TemporaryDirectory() as folder:
        session = onnx_session(ann, x, threads, profile_prefix=os.path.join(folder, "ort"))
        feed = {"x": x.numpy()}
        for _ in range(runs):
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
    return [PeerNode(f"{event['args']['op_name']} {name.removesuffix('_kernel_time')}", output_shape(event),
                     flops(event), durations[name])
            for name, event in first.items()]


#: A layer line of `gnruntime-bench --profile`: index, kind, output shape, milliseconds, GFLOP/s, share,
#: the output's share of zeros (not kept), kernel.
PROFILE_LINE = re.compile(r"\s+(\d+) (conv2d|linear)\s+(\d+)x\s*(\d+)x\s*(\d+)\s+([\d.]+) ms\s+([\d.]+) GFLOP/s\s+(\d+)%"
                          r"\s+(?:\d+% zeros\s+)?(\S+)")


def profile_runtime(bench: str, network: str, batch: int, threads: int) -> tuple[str, dict[int, RuntimeLayer]]:
    """GNRuntime's `--profile` of the ANN case: the peak line, and its weighted layers by index."""
    output = subprocess.run([bench, "--profile", f"{network},ann,8,1,{batch},{threads}"], capture_output=True,
                            text=True, check=True).stdout.split("\nas run,")[0]   # the observed table
    peak = next(line for line in output.splitlines() if line.startswith("peak"))
    layers = {}
    for line in output.splitlines():
        if match := PROFILE_LINE.match(line):
            milliseconds, rate = float(match.group(6)), float(match.group(7))
            layers[int(match.group(1))] = RuntimeLayer([int(match.group(n)) for n in (3, 4, 5)], milliseconds,
                                                       rate * milliseconds * 1e6, match.group(9))
    return peak, layers


def compare(args: argparse.Namespace) -> None:
    """Alternates the two profiles and prints each layer's fastest median in both, side by side."""
    peer_fastest: list[float] = []
    runtime_fastest: dict[int, float] = {}
    for _ in range(args.rounds):
        peer_nodes = profile_peer(args.network, args.batch, args.threads, args.runs)
        medians = [statistics.median(node.times) for node in peer_nodes]
        peer_fastest = medians if not peer_fastest else [min(a, b) for a, b in zip(peer_fastest, medians)]
        peak, runtime_layers = profile_runtime(args.against, args.network, args.batch, args.threads)
        print(peak)
        for index, layer in runtime_layers.items():
            runtime_fastest[index] = min(runtime_fastest.get(index, math.inf), layer.milliseconds)
    peak_rate = float(peak.split()[1])
    print(f"CPU: {cpu_model()}; {args.network} ANN, batch {args.batch}, {args.threads} thread(s), fastest of "
          f"{args.rounds} alternated rounds")
    print(f"{'layer':>5s} {'output':>10s} {'GNRuntime':>11s} {'of peak':>7s} {'ONNX RT':>10s} {'ORT/GN':>6s}  kernel / ONNX Runtime node")
    unmatched = list(range(len(peer_nodes)))
    totals = [0.0, 0.0]
    for index, layer in sorted(runtime_layers.items()):
        # The first node not yet matched with this output shape and about these operations: ONNX
        # Runtime's count every window tap, the runtime's only taps inside the input (a 3 × 3 layer over
        # 2 × 2 maps 4 of 9), and are rounded.
        match = next((n for n in unmatched if peer_nodes[n].shape == layer.shape
                      and 0.4 * peer_nodes[n].operations <= layer.operations <= 1.01 * peer_nodes[n].operations), None)
        milliseconds = runtime_fastest[index]
        # The profile prints milliseconds to four places: a layer under 0.05 µs shows 0.
        share = f"{100 * layer.operations / milliseconds / 1e6 / peak_rate:6.0f}%" if milliseconds > 0 else "     -"
        shape = "x".join(map(str, layer.shape))
        if match is None:
            print(f"{index:5d} {shape:>10s} {milliseconds:9.4f}ms {share}  (no ONNX Runtime node)  {layer.kernel}")
            continue
        unmatched.remove(match)
        peer = peer_fastest[match]
        totals[0] += milliseconds
        totals[1] += peer
        ratio = f"{peer / milliseconds:6.2f}" if milliseconds > 0 else "     -"
        print(f"{index:5d} {shape:>10s} {milliseconds:9.4f}ms {share} {peer:8.4f}ms "
              f"{ratio}  {layer.kernel} / {peer_nodes[match].name}")
    print(f"matched layers: GNRuntime {totals[0]:.3f} ms, ONNX Runtime {totals[1]:.3f} ms, ORT/GN {totals[1] / totals[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--network", choices=sorted(NETWORKS), default="resnet20")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=30, help="profiled runs (each node's median is shown)")
    parser.add_argument("--peak", type=float, default=None, help="GFLOP/s to show fractions of")
    parser.add_argument("--against", metavar="GNRUNTIME_BENCH", help="gnruntime-bench to alternate with")
    parser.add_argument("--rounds", type=int, default=4, help="alternations with --against")
    args = parser.parse_args()
    if args.against:
        compare(args)
        return
    print(f"CPU: {cpu_model()}")
    print(f"ONNX Runtime, {args.network} ANN, batch {args.batch}, {args.threads} thread(s), {args.runs} runs")
    nodes = profile_peer(args.network, args.batch, args.threads, args.runs)
    for node in nodes:
        median = statistics.median(node.times)
        rate = node.operations / median / 1e6
        share = f"  {100 * rate / args.peak:3.0f}%" if args.peak else ""
        print(f"{'x'.join(map(str, node.shape)):>12s} {median:8.3f} ms (fastest {min(node.times):.3f}) "
              f"{rate:7.1f} GFLOP/s{share}  {node.name}")
    print(f"sum of the medians: {sum(statistics.median(node.times) for node in nodes):.3f} ms")


if __name__ == "__main__":
    main()
