"""Two threads against one when another program takes a core: GNRuntime's thread pool should then
run no slower with threads = 2 than with threads = 1 (docs/architecture.md, "Threads").

    python3 benchmarks/under_load.py [--bench .build/release/gnruntime-bench] [--rounds 3] [--reps 10]
                                     [--cases resnet20,gn,4,4,1 vgg16,gn,4,4,32 ...] [--busy 1]
                                     [--pattern ON,OFF]

For each case (NETWORK,NEURON,TAU,T,BATCH) it runs `gnruntime-bench --case` with threads = 1 and
threads = 2 alternately, `--rounds` times each, first on an idle machine, then while `--busy` programs
(`yes > /dev/null`, each in a session of its own, as the threads of a host application or another
process would be: a busy child in the benchmark's own session would be scheduled against it as a group)
keep cores busy. With `--pattern ON,OFF` each busy program takes its core for ON milliseconds, then
leaves it for OFF, by turns: a load that comes and goes, as a virtual machine's neighbours' does. Prints
the median of each and the ratio of two threads to one. Build the benchmark first: scripts/build.sh.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys

from bench_case import (  # benchmarks/bench_case.py
    UNDER_LOAD_CASES, add_pattern_option, busy_pattern, busy_programs, describe_pattern, thread_times)
from machine import cpu_model  # benchmarks/machine.py

def measure(bench: str, case: str, rounds: int, reps: int) -> tuple[float, float]:
    """The medians over `rounds` of `case`'s time with one thread and with two, in milliseconds."""
    pairs = [thread_times(bench, case, reps) for _ in range(rounds)]
    return statistics.median(one for one, _ in pairs), statistics.median(two for _, two in pairs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bench", default=".build/release/gnruntime-bench", help="the gnruntime-bench executable")
    parser.add_argument("--cases", nargs="+", default=UNDER_LOAD_CASES, help="NETWORK,NEURON,TAU,T,BATCH")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each thread count (median taken)")
    parser.add_argument("--reps", type=int, default=10, help="inferences per run (gnruntime-bench --reps)")
    parser.add_argument("--busy", type=int, default=1, help="busy programs in the loaded phase")
    add_pattern_option(parser)
    args = parser.parse_args()
    if not os.access(args.bench, os.X_OK):
        parser.error(f"{args.bench} is not an executable; build it first")
    pattern = busy_pattern(args.pattern, parser)

    print(f"CPU: {cpu_model()}, {os.cpu_count()} logical CPUs; "
          f"loaded: {args.busy} program(s), {describe_pattern(pattern)}")
    print(f"{'case':<26} {'load':<6} {'1 thread ms':>12} {'2 threads ms':>13} {'2 / 1':>7}")
    for case in args.cases:
        for loaded in (False, True):
            with busy_programs(args.busy if loaded else 0, pattern):
                one, two = measure(args.bench, case, args.rounds, args.reps)
            print(f"{case:<26} {'busy' if loaded else 'idle':<6} {one:12.3f} {two:13.3f} {two / one:7.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
