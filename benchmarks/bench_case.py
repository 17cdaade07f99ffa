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
