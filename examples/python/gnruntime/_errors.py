"""Exceptions raised for the runtime's statuses, each carrying the runtime's message."""
from __future__ import annotations


class GNRuntimeError(Exception):
    """A runtime call failed. ``status`` is the ``gn_status`` value, ``message`` the runtime's message."""

    status: int = -1

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class InvalidOptionError(GNRuntimeError, ValueError):
    """A session option is out of range (GN_STATUS_INVALID_OPTION)."""
    status = 2


class SizeMismatchError(GNRuntimeError, ValueError):
    """A buffer or sample count does not fit the model (GN_STATUS_SIZE_MISMATCH)."""
    status = 3


class InvalidInputError(GNRuntimeError, ValueError):
    """The input holds NaN or infinity (GN_STATUS_INVALID_INPUT)."""
    status = 4


class BadModelError(GNRuntimeError, ValueError):
    """The model bytes are malformed, truncated or corrupted (GN_STATUS_BAD_MODEL)."""
    status = 5


class UnsupportedError(GNRuntimeError):
    """Valid but not supported: a newer format, or an op the neuron kind cannot run (GN_STATUS_UNSUPPORTED)."""
    status = 6


class ArenaError(GNRuntimeError, ValueError):
    """An arena is too small (GN_STATUS_ARENA_TOO_SMALL) or misaligned (GN_STATUS_MISALIGNED)."""
    status = 7


class OutOfMemoryError(GNRuntimeError, MemoryError):
    """The heap could not provide the memory (GN_STATUS_OUT_OF_MEMORY)."""
    status = 9


class ModelIOError(GNRuntimeError, OSError):
    """A model file could not be opened or read (GN_STATUS_IO_ERROR)."""
    status = 10


class OutOfRangeError(GNRuntimeError, IndexError):
    """An index is past the end (GN_STATUS_OUT_OF_RANGE)."""
    status = 11


class NoResultError(GNRuntimeError):
    """The session has not run yet (GN_STATUS_NO_RESULT)."""
    status = 12


class InvalidStateError(GNRuntimeError):
    """The call does not fit the session's state: a step with no stream begun, a stream on a
    layer-by-layer session (GN_STATUS_INVALID_STATE)."""
    status = 13


_BY_STATUS: dict[int, type[GNRuntimeError]] = {
    2: InvalidOptionError,
    3: SizeMismatchError,
    4: InvalidInputError,
    5: BadModelError,
    6: UnsupportedError,
    7: ArenaError,
    8: ArenaError,
    9: OutOfMemoryError,
    10: ModelIOError,
    11: OutOfRangeError,
    12: NoResultError,
    13: InvalidStateError,
}


def error_for(status: int, message: str) -> GNRuntimeError:
    """The exception for a failed call's ``status`` and ``message``."""
    return _BY_STATUS.get(status, GNRuntimeError)(message, status)
