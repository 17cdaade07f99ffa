"""The library as it ships (one build, kernels for every x86-64 instruction set, the widest the CPU has
chosen at run time) against the same sources compiled for the building CPU (GNRUNTIME_NATIVE=1), and
the narrower kernel variants forced with GNRUNTIME_ISA: each case's median time, the builds and
variants interleaved round by round, on one machine in one run.

    scripts/build.sh
    GNRUNTIME_NATIVE=1 swift build -c release --product gnruntime-bench --scratch-path .build-native
    python3 benchmarks/portable_vs_native.py [--rounds 5] [--reps 10] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

from bench_case import median_ms  # benchmarks/bench_case.py
from machine import cpu_model  # benchmarks/machine.py

ROOT = Path(__file__).resolve().parent.parent

#: NETWORK,NEURON,TAU,T,BATCH,THREADS: the cases of the targets in docs/benchmarks.md, and one thread.
CASES = ["resnet20,gn,4,4,1,2", "vgg16,gn,4,4,32,2", "resnet20,gn,4,4,1,1", "vgg16,ann,8,1,1,1"]


def run_case(bench: Path, case: str, reps: int, isa: str | None) -> float:
    """The median milliseconds `bench --case` reports, with GNRUNTIME_ISA set to `isa` (or unset)."""
    environment = dict(os.environ)
    environment.pop("GNRUNTIME_ISA", None)
    if isa:
        environment["GNRUNTIME_ISA"] = isa
    return median_ms(bench, case, reps, environment)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--portable", type=Path, default=ROOT / ".build/release/gnruntime-bench",
                        help="gnruntime-bench of the default build")
    parser.add_argument("--native", type=Path, default=ROOT / ".build-native/release/gnruntime-bench",
                        help="gnruntime-bench built with GNRUNTIME_NATIVE=1")
    parser.add_argument("--rounds", type=int, default=5, help="rounds over every case and build (default 5)")
    parser.add_argument("--reps", type=int, default=10, help="runs per measurement (default 10)")
    parser.add_argument("--variants", nargs="*", default=["avx2", "baseline"],
                        help="narrower kernel variants of the portable build to time as well")
    parser.add_argument("--cases", nargs="*", default=CASES, help="NETWORK,NEURON,TAU,T,BATCH,THREADS")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    for bench in (args.portable, args.native):
        if not bench.is_file():
            parser.error(f"{bench} does not exist: build it first (see the usage above)")

    runs = [("native", args.native, None), ("portable", args.portable, None)]
    runs += [(f"{isa} forced", args.portable, isa) for isa in args.variants]
    times: dict[str, dict[str, list[float]]] = {case: {name: [] for name, _, _ in runs} for case in args.cases}
    for round_index in range(args.rounds):
        for case in args.cases:
            # Alternate the order each round, so that neither build always runs first.
            order = runs if round_index % 2 == 0 else list(reversed(runs))
            for name, bench, isa in order:
                times[case][name].append(run_case(bench, case, args.reps, isa))
        print(f"round {round_index + 1}/{args.rounds} done", file=sys.stderr)

    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores; {args.rounds} rounds of {args.reps} runs, medians")
    header = f"{'case':<22}" + "".join(f"{name:>24}" for name, _, _ in runs)
    print(header)
    results = {}
    for case in args.cases:
        medians = {name: statistics.median(values) for name, values in times[case].items()}
        native = medians["native"]
        cells = [f"{medians[name]:9.3f} ms ({medians[name] / native:4.2f}x)" for name, _, _ in runs]
        print(f"{case:<22}" + "".join(f"{cell:>24}" for cell in cells))
        results[case] = {"median_ms": medians, "over_native": {name: medians[name] / native for name in medians},
                         "all_ms": times[case]}
    print("(x: time over the native build's; \"forced\": the portable build with GNRUNTIME_ISA set)")
    if args.json:
        args.json.write_text(json.dumps({"cpu": cpu_model(), "rounds": args.rounds, "reps": args.reps,
                                         "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
