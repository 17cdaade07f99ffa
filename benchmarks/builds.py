"""Two builds of the benchmark side by side: each case runs on the build before and the build after a
change, alternately, round by round (the order swapped every round), so that both see the same noise.
Prints each build's minimum and median over the rounds and their ratios (before / after: > 1, the change
is faster), and the median of the rounds' own ratios ("paired"): the two runs of a round follow each
other, so a machine whose speed drifts over minutes moves both, and this ratio least of the three.

    python3 benchmarks/builds.py BEFORE AFTER --cases resnet20,gn,4,4,32,1 resnet20,gn,4,4,32,2
                                 [--rounds 10] [--reps 4] [--busy 0] [--pattern ON,OFF]

BEFORE and AFTER are `gnruntime-bench` executables of the two builds (e.g. a `git worktree` of the
commit before, built with swift build -c release --product gnruntime-bench); a case is
NETWORK,NEURON,TAU,T,BATCH,THREADS, as `gnruntime-bench --case` takes it. With `--busy N`, N programs
keep cores busy throughout (as in benchmarks/under_load.py); the scheduler then gives a run a core of its
own or half of one by turns, and the median says more than the minimum. With `--pattern ON,OFF` too,
each of them is busy for ON ms, then idle for OFF ms, by turns.
"""
from __future__ import annotations

import argparse
import statistics
import sys

from bench_case import (  # benchmarks/bench_case.py
    add_pattern_option, busy_pattern, busy_programs, describe_pattern, median_ms)
from machine import cpu_model  # benchmarks/machine.py


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", help="gnruntime-bench of the build before")
    parser.add_argument("after", help="gnruntime-bench of the build after")
    parser.add_argument("--cases", nargs="+", required=True, help="NETWORK,NEURON,TAU,T,BATCH,THREADS ...")
    parser.add_argument("--rounds", type=int, default=10, help="runs of each build per case (default 10)")
    parser.add_argument("--reps", type=int, default=4, help="repetitions per run, of which its median (default 4)")
    parser.add_argument("--busy", type=int, default=0, help="programs keeping cores busy throughout (default 0)")
    add_pattern_option(parser)
    arguments = parser.parse_args()
    if arguments.rounds < 1 or arguments.reps < 1 or arguments.busy < 0:
        parser.error("--rounds and --reps must be at least 1, --busy at least 0")
    pattern = busy_pattern(arguments.pattern, parser)

    builds = [arguments.before, arguments.after]
    times: dict[tuple[str, int], list[float]] = {(case, build): [] for case in arguments.cases for build in range(2)}
    with busy_programs(arguments.busy, pattern):
        for round_index in range(arguments.rounds):
            for case in arguments.cases:
                for build in (0, 1) if round_index % 2 == 0 else (1, 0):
                    times[(case, build)].append(median_ms(builds[build], case, arguments.reps))

    load = f" ({describe_pattern(pattern)})" if arguments.busy else ""
    print(f"CPU: {cpu_model()}; {arguments.rounds} rounds, builds alternated; "
          f"{arguments.busy} busy program(s){load}")
    print(f"{'case':<30}{'min before':>12}{'min after':>11}{'ratio':>8}{'median before':>15}{'median after':>14}{'ratio':>8}"
          f"{'paired':>8}")
    for case in arguments.cases:
        before, after = times[(case, 0)], times[(case, 1)]
        low = (min(before), min(after))
        middle = (statistics.median(before), statistics.median(after))
        paired = statistics.median(b / a for b, a in zip(before, after))
        print(f"{case:<30}{low[0]:12.3f}{low[1]:11.3f}{low[0] / low[1]:7.3f}x"
              f"{middle[0]:15.3f}{middle[1]:14.3f}{middle[0] / middle[1]:7.3f}x{paired:7.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
