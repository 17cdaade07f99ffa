"""One `gnruntime-bench --case` run, read back: the piece every script that compares runs shares."""
from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
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
