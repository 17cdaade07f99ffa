"""A small progress bar on standard error (no dependencies), silent when stderr is not a terminal."""
from __future__ import annotations

import sys
import time
from typing import Optional, TextIO


class Progress:
    """Shows ``label [#####.....] done/total`` with the rate, redrawn at most ten times a second."""

    def __init__(self, label: str, total: int, stream: Optional[TextIO] = None, enabled: Optional[bool] = None) -> None:
        self.label, self.total, self.done = label, max(total, 1), 0
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.started = self._last = time.monotonic()

    def advance(self, count: int = 1) -> None:
        self.done = min(self.done + count, self.total)
        now = time.monotonic()
        if self.enabled and (now - self._last >= 0.1 or self.done == self.total):
            self._last = now
            filled = int(30 * self.done / self.total)
            rate = self.done / max(now - self.started, 1e-9)
            self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} {rate:.0f}/s")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
