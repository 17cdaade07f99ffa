"""One `gnruntime-bench --case` run, read back, and programs that keep cores busy meanwhile: the pieces
every script that compares runs shares."""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from os import PathLike


def median_ms(bench: str | PathLike[str], case: str, reps: int, environment: Mapping[str, str] | None = None) -> float:
    """The median milliseconds `bench --case CASE --reps REPS` reports (CASE: NETWORK,NEURON,TAU,T,BATCH,
    THREADS), run with `environment` (None: this process's)."""
    result = subprocess.run([str(bench), "--case", case, "--reps", str(reps)], env=environment,
                            capture_output=True, text=True, check=True)
    match = re.search(r"median_ms=([0-9.]+)", result.stdout)
    if not match:
        raise RuntimeError(f"no median in the output of {bench} --case {case}: {result.stdout!r}")
    return float(match.group(1))


#: The cases of the under-load target (NETWORK,NEURON,TAU,T,BATCH): two threads no slower than one while
#: another program keeps a core busy.
UNDER_LOAD_CASES = ["resnet20,gn,4,4,1", "resnet20,gn,4,4,32", "vgg16,gn,4,4,1", "vgg16,gn,4,4,32"]


def thread_times(bench: str | PathLike[str], case: str, reps: int, two_first: bool = False) -> tuple[float, float]:
    """The median milliseconds of `case` (NETWORK,NEURON,TAU,T,BATCH) with one thread and with two, run back
    to back, one thread first unless `two_first`."""
    times: dict[int, float] = {}
    for threads in ((2, 1) if two_first else (1, 2)):
        times[threads] = median_ms(bench, f"{case},{threads}", reps)
    return times[1], times[2]


#: A program busy for ON milliseconds, then idle for OFF, over and over (argv: ON OFF).
_INTERMITTENT = """
import sys, time
on, off = float(sys.argv[1]) / 1000, float(sys.argv[2]) / 1000
while True:
    start = time.perf_counter()
    while time.perf_counter() - start < on:
        pass
    time.sleep(off)
"""


def add_pattern_option(parser: argparse.ArgumentParser) -> None:
    """Adds `--pattern ON,OFF` (read back with `busy_pattern`) to a script that starts busy programs."""
    parser.add_argument("--pattern", help="ON,OFF: each busy program busy for ON ms, then idle for OFF ms, "
                                          "by turns (default: busy all the time)")


def busy_pattern(text: str | None, parser: argparse.ArgumentParser) -> tuple[float, float] | None:
    """The (ON, OFF) milliseconds of a `--pattern ON,OFF` option (None: busy all the time); a bad one is
    the parser's error."""
    if text is None:
        return None
    try:
        on, off = (float(part) for part in text.split(","))
    except ValueError:
        parser.error("--pattern is ON,OFF in milliseconds, e.g. 5,5")
    if on <= 0 or off < 0:
        parser.error("--pattern needs ON > 0 and OFF >= 0")
    return on, off


def describe_pattern(pattern: tuple[float, float] | None) -> str:
    """How busy programs with `pattern` keep their cores, for a script's header line."""
    return "busy" if pattern is None else f"busy {pattern[0]:g} ms, idle {pattern[1]:g} ms, by turns"


@contextmanager
def busy_programs(count: int, pattern: tuple[float, float] | None = None) -> Iterator[None]:
    """`count` programs that keep a core busy each while the block runs, each in a session of its own,
    as the threads of a host application or another process would be: a busy child in the benchmark's
    own session would be scheduled against it as a group. Without `pattern`, `yes > /dev/null`, busy all
    the time; with `pattern` (ON, OFF), busy for ON milliseconds, then idle for OFF, by turns."""
    if pattern is None:
        command = ["yes"]
    else:
        command = [sys.executable, "-c", _INTERMITTENT, str(pattern[0]), str(pattern[1])]
    busy = [subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True) for _ in range(count)]
    try:
        if busy:
            time.sleep(0.2)
        yield
    finally:
        for process in busy:
            process.kill()
            process.wait()
