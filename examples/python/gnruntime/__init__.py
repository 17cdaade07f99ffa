"""GNRuntime for Python: run spiking neural networks converted from QCFS ANNs with Group Neurons
(Lv et al., "Optimal ANN-SNN Conversion with Group Neurons", ICASSP 2024) through libgnruntime.

    import numpy as np, gnruntime
    with gnruntime.Model.load("model.gnrt") as model, gnruntime.Session(model, neuron="gn", tau=4, T=4) as s:
        logits = s.run(images.astype(np.float32))   # (n, classes), mean over the 4 steps
        per_step = s.predictions()                  # (4, n): the running prediction after each step
"""
from ._errors import (ArenaError, BadModelError, GNRuntimeError, InvalidInputError, InvalidOptionError,
                      InvalidStateError, ModelIOError, NoResultError, OutOfMemoryError, OutOfRangeError,
                      SizeMismatchError, UnsupportedError)
from ._library import LibraryMismatchError, LibraryNotFoundError, library, version_text
from .model import Layer, Model
from .accounting import SpikeCounts
from .session import Session, cpu_isa, runnable_isas

__version__ = "0.5.0"

__all__ = [
    "Model", "Session", "Layer", "library", "version", "cpu_isa", "runnable_isas", "LibraryMismatchError", "LibraryNotFoundError",
    "GNRuntimeError", "InvalidOptionError", "SizeMismatchError", "InvalidInputError", "BadModelError",
    "UnsupportedError", "ArenaError", "OutOfMemoryError", "ModelIOError", "OutOfRangeError", "NoResultError",
    "InvalidStateError", "SpikeCounts",
]


def version() -> str:
    """The version of the loaded libgnruntime, "major.minor.patch"."""
    return version_text(library().gn_version())


# Load and check the library at import, so that a library of another version or other struct layouts is
# refused at once (LibraryMismatchError, naming both versions). A missing library is reported at first
# use instead: writing and exporting model files need no library.
try:
    library()
except LibraryNotFoundError:
    pass
