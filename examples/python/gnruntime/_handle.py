"""The lifetime of an object the C library allocated: one class for the model and the session."""
from __future__ import annotations

import ctypes
from typing import Optional, TypeVar

_Owner = TypeVar("_Owner", bound="OwnedHandle")


class OwnedHandle:
    """Holds one reference to a library object (a ``gn_model *`` or ``gn_session *``) and releases it
    once: on ``close``, at the end of a ``with`` block, or when the Python object is collected.
    A subclass names what it holds (``_noun``) and the C function that releases it (``_release``)."""

    _noun = "handle"

    def __init__(self, handle: ctypes.c_void_p) -> None:
        self._handle: Optional[ctypes.c_void_p] = handle

    def _release(self, handle: ctypes.c_void_p) -> None:
        raise NotImplementedError

    @property
    def handle(self) -> ctypes.c_void_p:
        """The C handle; raises ``ValueError`` once this object is closed."""
        if self._handle is None:
            raise ValueError(f"the {self._noun} is closed")
        return self._handle

    def close(self) -> None:
        """Releases the handle (idempotent). A model stays alive in the library until the sessions
        made from it are closed too."""
        # getattr: an __init__ that raised before it set the handle leaves nothing to release.
        handle = getattr(self, "_handle", None)
        if handle is not None:
            self._release(handle)
            self._handle = None

    def __enter__(self: _Owner) -> _Owner:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # the interpreter may be shutting down
            pass
