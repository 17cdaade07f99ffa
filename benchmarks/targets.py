"""The speed targets of docs/benchmarks.md ("Against the targets") on this machine, each measured
over several rounds, so that one slow moment of a shared machine does not decide a target.

    python3 benchmarks/targets.py [--bench .build/release/gnruntime-bench] [--python PEER_PYTHON]
                                  [--rounds 5] [--reps 10] [--no-profiles] [--no-load]

Each round runs every case once with `gnruntime-bench --case CASE --reps REPS --peers`: GNRuntime, then
its peer right after it (ONNX Runtime on the ANN, or the PyTorch pipeline of the paper's conversion,
benchmarks/peers.py), and keeps the pair's ratio, the peer's time over ours (> 1: GNRuntime is faster).
The rounds go through all the cases in turn, so that a case's pairs are minutes apart. Then, unless
`--no-profiles`, it profiles ResNet-20 and VGG-16 at batch 32 (`gnruntime-bench --profile`) for the
targets on the share of the FP32 peak (each layer alone decides; the lowest one's share as the session
runs it is shown beside it); and unless `--no-load`, while one program keeps a core busy (in
a session of its own, as in benchmarks/under_load.py), it times each under-load case with one thread
and with two, back to back, for the target that two threads are no slower than one (±10%). Prints the
CPU, every round's figure, their median and how many rounds met the target. The accuracy of sums
against float64 is a test (ExactnessTests; benchmarks/accuracy.py prints it).

The peers need torch, onnx and onnxruntime in the Python that `--python` names (or GN_PEER_PYTHON):
docs/benchmarks.md, "Reproducing". Build the benchmark first: scripts/build.sh.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from dataclasses import dataclass

from bench_case import UNDER_LOAD_CASES, busy_programs, thread_times  # benchmarks/bench_case.py
from machine import cpu_model  # benchmarks/machine.py


@dataclass(frozen=True)
class PeerTarget:
    """A case (NETWORK,NEURON,TAU,T,BATCH,THREADS) whose ratio to `peer` ("ort" or "torch") should be at
    least `least`."""
    case: str
    peer: str
    least: float

    @property
    def label(self) -> str:
        peer = "ONNX Runtime (ANN)" if self.peer == "ort" else "PyTorch pipeline"
        return f"{self.case} vs {peer}"


@dataclass(frozen=True)
class ProfileTarget:
    """A profile (NETWORK,NEURON,TAU,T,BATCH,THREADS) whose convolutions should run at `least` percent of
    the peak or more: each of them (`each`), or all of them together (their operations over their time)."""
    case: str
    each: bool
    least: float

    @property
    def label(self) -> str:
        which = "every conv layer" if self.each else "the conv layers together"
        return f"{which} of {self.case}, % of the peak"


@dataclass(frozen=True)
class LoadTarget:
    """A case (NETWORK,NEURON,TAU,T,BATCH) whose time with two threads, while another program keeps one
    core busy, should be at most `most` times its time with one thread."""
    case: str
    most: float

    @property
    def label(self) -> str:
        return f"{self.case}, one core busy: 2 threads / 1"


#: GN with tau = L (8) at T = 1 computes the ANN's function: its peer is ONNX Runtime on the ANN.
PEER_TARGETS = [PeerTarget(f"{network},gn,8,1,{batch},{threads}", "ort", 1.0)
                for network in ("resnet20", "vgg16") for batch in (1, 32) for threads in (1, 2)] + [
    PeerTarget("resnet20,gn,4,4,1,1", "torch", 8.0), PeerTarget("resnet20,gn,4,4,1,2", "torch", 12.0)]

PROFILE_TARGETS = [ProfileTarget("resnet20,ann,8,1,32,1", True, 70.0), ProfileTarget("vgg16,ann,8,1,32,1", False, 70.0),
                   ProfileTarget("vgg16,ann,8,1,32,2", False, 70.0)]

LOAD_TARGETS = [LoadTarget(case, 1.10) for case in UNDER_LOAD_CASES]

_CONV_LINE = re.compile(r"^\s*(\d+)\s+conv2d\s.*?\s([0-9.]+) ms\s+([0-9.]+) GFLOP/s\s+(\d+)%.*?(?:floor [0-9.]+ ms \(([0-9.]+)x\))?$",
                        re.MULTILINE)
_TOGETHER_LINE = re.compile(r"^conv2d layers together: .*?(\d+)% of the peak", re.MULTILINE)


def bench_output(bench: str, arguments: list[str], python: str | None) -> str:
    """The standard output of `bench ARGUMENTS`, with GN_PEER_PYTHON set to `python` when given."""
    environment = dict(os.environ)
    if python:
        environment["GN_PEER_PYTHON"] = python
    result = subprocess.run([bench, *arguments], env=environment, capture_output=True, text=True, check=True)
    return result.stdout


def peer_ratio(bench: str, target: PeerTarget, reps: int, python: str | None) -> tuple[float, str]:
    """The ratio of one back-to-back pair (the peer's time over ours), and the kernels' instruction set."""
    output = bench_output(bench, ["--case", target.case, "--reps", str(reps), "--peers"], python)
    ratio = re.search(rf"\b{target.peer}_ratio=([0-9.]+)", output)
    isa = re.search(r"\bisa=(\S+)", output)
    if not ratio:
        raise RuntimeError(f"no {target.peer} ratio for {target.case} (are the peers installed? docs/benchmarks.md, "
                           f"\"Reproducing\"): {output.strip()!r}")
    return float(ratio.group(1)), isa.group(1) if isa else "?"


def profile_percent(bench: str, target: ProfileTarget, reps: int) -> tuple[float, str]:
    """One profile's figure for `target` (the lowest layer's percentage of the peak, or all the conv
    layers' together) and which layer it is ("all" when together). The profile measures the peak right
    before each of its runs and gives each layer its share of its own run's peak."""
    # The observed table (every layer on its own, over the whole batch) decides; the one as run after
    # it (timed by the session, each convolution apart from the neuron layer it computes) is shown.
    output, _, as_run = bench_output(bench, ["--profile", target.case, "--reps", str(reps)], None).partition("\nas run,")
    layers = [(int(index), int(percent), floor) for index, _, _, percent, floor in _CONV_LINE.findall(output)]
    together = _TOGETHER_LINE.search(output)
    if not layers or not together:
        raise RuntimeError(f"no conv layers in the profile of {target.case}: {output[:400]!r}")
    if target.each:
        # The lowest layer, and its time over the time its data alone takes to move (the profile's
        # floor): near 1, the layer is as fast as its data comes, whatever its kernel.
        index, percent, floor = min(layers, key=lambda layer: layer[1])
        run = re.search(rf"^\s*{index} conv2d\s+[0-9.]+ ms\s+[0-9.]+ GFLOP/s\s+(\d+)%", as_run, re.MULTILINE)
        return float(percent), (f"layer {index}" + (f", {floor}x its floor" if floor else "")
                                + (f", {run.group(1)}% as run" if run else ""))
    return float(together.group(1)), "all"


def load_ratio(bench: str, target: LoadTarget, reps: int, two_first: bool) -> float:
    """One pair's time with two threads over its time with one, both while one program keeps a core busy;
    `two_first` says which runs first (alternated round by round)."""
    with busy_programs(1):
        one, two = thread_times(bench, target.case, reps, two_first)
    return two / one


def report(label: str, bound: float, values: list[float], notes: list[str], precision: int, at_most: bool = False) -> None:
    """One target's line: its rounds, their median, and how many met it (each at least `bound`, or with
    `at_most`, at most `bound`)."""
    rounds = " ".join(f"{value:.{precision}f}" + (f" ({note})" if note else "") for value, note in zip(values, notes))
    met = sum((value <= bound) if at_most else (value >= bound) for value in values)
    relation = "<=" if at_most else ">="
    print(f"{label:<62} {relation} {bound:<5g} median {statistics.median(values):6.{precision}f}  "
          f"met {met}/{len(values)}  [{rounds}]")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bench", default=".build/release/gnruntime-bench", help="the gnruntime-bench executable")
    parser.add_argument("--python", help="the Python with the peers (default: GN_PEER_PYTHON, else python3)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds over every case (default 5)")
    parser.add_argument("--reps", type=int, default=10, help="repetitions per run, of which its median (default 10)")
    parser.add_argument("--no-profiles", action="store_true", help="leave out the targets on the share of the peak")
    parser.add_argument("--no-load", action="store_true", help="leave out the target with one core busy")
    arguments = parser.parse_args()
    if arguments.rounds < 1 or arguments.reps < 1:
        parser.error("--rounds and --reps must be at least 1")
    if not os.access(arguments.bench, os.X_OK):
        parser.error(f"{arguments.bench} is not an executable: build it with scripts/build.sh")

    try:
        measure_and_report(arguments)
    except (RuntimeError, subprocess.CalledProcessError) as error:
        parser.exit(1, f"targets.py: {error}\n")
    return 0


def measure_and_report(arguments: argparse.Namespace) -> None:
    """Runs the rounds that `arguments` ask for and prints every target's line."""
    ratios: dict[PeerTarget, list[float]] = {target: [] for target in PEER_TARGETS}
    isas: set[str] = set()
    profiles: dict[ProfileTarget, list[tuple[float, str]]] = {target: [] for target in PROFILE_TARGETS}
    loads: dict[LoadTarget, list[float]] = {target: [] for target in LOAD_TARGETS}
    for round_index in range(arguments.rounds):
        print(f"round {round_index + 1} of {arguments.rounds}…", file=sys.stderr)
        for target in PEER_TARGETS:
            ratio, isa = peer_ratio(arguments.bench, target, arguments.reps, arguments.python)
            ratios[target].append(ratio)
            isas.add(isa)
        if not arguments.no_profiles:
            for target in PROFILE_TARGETS:
                profiles[target].append(profile_percent(arguments.bench, target, max(1, arguments.reps // 2)))
        if not arguments.no_load:
            for target in LOAD_TARGETS:
                loads[target].append(load_ratio(arguments.bench, target, arguments.reps, two_first=round_index % 2 == 1))

    print(f"CPU: {cpu_model()}; kernels: {', '.join(sorted(isas))}; {arguments.rounds} rounds, "
          f"each pair back to back (ratio: the peer's time over GNRuntime's)")
    for target in PEER_TARGETS:
        report(target.label, target.least, ratios[target], [""] * arguments.rounds, 2)
    if not arguments.no_profiles:
        for target in PROFILE_TARGETS:
            values = [value for value, _ in profiles[target]]
            notes = [where if target.each else "" for _, where in profiles[target]]
            report(target.label, target.least, values, notes, 0)
    if not arguments.no_load:
        for target in LOAD_TARGETS:
            report(target.label, target.most, loads[target], [""] * arguments.rounds, 2, at_most=True)


if __name__ == "__main__":
    sys.exit(main())
