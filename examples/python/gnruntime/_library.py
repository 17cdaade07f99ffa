"""Finds and loads libgnruntime, and declares the C functions of include/gnruntime.h for ctypes."""
from __future__ import annotations

import ctypes
import os
from pathlib import Path
from typing import Callable

from ._errors import error_for

LIBRARY_NAME = "libgnruntime.so"
ENVIRONMENT_VARIABLE = "GNRUNTIME_LIBRARY"


class Shape(ctypes.Structure):
    """``gn_shape``."""
    _fields_ = [("channels", ctypes.c_uint32), ("height", ctypes.c_uint32), ("width", ctypes.c_uint32)]


class LayerInfo(ctypes.Structure):
    """``gn_layer_info``."""
    _fields_ = [
        ("kind", ctypes.c_int),
        ("input_a", ctypes.c_uint32),
        ("input_b", ctypes.c_int32),
        ("output", Shape),
        ("kernel_height", ctypes.c_uint32), ("kernel_width", ctypes.c_uint32),
        ("stride_height", ctypes.c_uint32), ("stride_width", ctypes.c_uint32),
        ("padding_height", ctypes.c_uint32), ("padding_width", ctypes.c_uint32),
        ("has_bias", ctypes.c_uint32),
        ("levels", ctypes.c_uint32),
        ("threshold", ctypes.c_float),
        ("neuron_index", ctypes.c_int32),
    ]


class SessionOptions(ctypes.Structure):
    """``gn_session_options``."""
    _fields_ = [
        ("size", ctypes.c_uint32),
        ("neuron", ctypes.c_int),
        ("tau", ctypes.c_uint32),
        ("time_steps", ctypes.c_uint32),
        ("batch", ctypes.c_uint32),
        ("threads", ctypes.c_uint32),
        ("schedule", ctypes.c_int),
        ("isa", ctypes.c_int),
        ("layer_tau", ctypes.POINTER(ctypes.c_uint32)),
        ("layer_tau_count", ctypes.c_size_t),
        ("count_spikes", ctypes.c_uint32),
        ("exit_rule", ctypes.c_int),
        ("exit_margin", ctypes.c_float),
        ("exit_steps", ctypes.c_uint32),
    ]


class NeuronLayerInfo(ctypes.Structure):
    """``gn_neuron_layer_info``."""
    _fields_ = [
        ("layer", ctypes.c_size_t),
        ("neurons", ctypes.c_size_t),
        ("members", ctypes.c_uint32),
        ("synapses", ctypes.c_uint64),
    ]


#: ``gn_layer_observer``: (context, layer, step, output, count).
LayerObserver = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t,
                                 ctypes.POINTER(ctypes.c_float), ctypes.c_size_t)

_P = ctypes.c_void_p
_SIZE = ctypes.c_size_t
_STATUS = ctypes.c_int

_SIGNATURES: dict[str, tuple[object, list[object]]] = {
    "gn_version": (ctypes.c_uint32, []),
    "gn_struct_size": (_SIZE, [ctypes.c_int]),
    "gn_status_string": (ctypes.c_char_p, [_STATUS]),
    "gn_last_error": (ctypes.c_char_p, []),
    "gn_cpu_isa": (ctypes.c_int, []),
    "gn_isa_name": (ctypes.c_char_p, [ctypes.c_int]),
    "gn_model_load_file": (_STATUS, [ctypes.c_char_p, ctypes.c_uint32, ctypes.POINTER(_P)]),
    "gn_model_load_bytes": (_STATUS, [ctypes.c_char_p, _SIZE, ctypes.c_uint32, ctypes.POINTER(_P)]),
    "gn_model_free": (None, [_P]),
    "gn_model_input_shape": (_STATUS, [_P, ctypes.POINTER(Shape)]),
    "gn_model_output_shape": (_STATUS, [_P, ctypes.POINTER(Shape)]),
    "gn_model_layer_count": (_STATUS, [_P, ctypes.POINTER(_SIZE)]),
    "gn_model_neuron_layer_count": (_STATUS, [_P, ctypes.POINTER(_SIZE)]),
    "gn_model_layer": (_STATUS, [_P, _SIZE, ctypes.POINTER(LayerInfo)]),
    "gn_model_layer_weights": (_STATUS, [_P, _SIZE, ctypes.POINTER(ctypes.c_int)]),
    "gn_model_mac_count": (_STATUS, [_P, ctypes.POINTER(ctypes.c_uint64)]),
    "gn_session_options_init": (_STATUS, [ctypes.POINTER(SessionOptions), _SIZE]),
    "gn_session_arena_size": (_STATUS, [_P, ctypes.POINTER(SessionOptions), ctypes.POINTER(_SIZE)]),
    "gn_session_create": (_STATUS, [_P, ctypes.POINTER(SessionOptions), ctypes.POINTER(_P)]),
    "gn_session_free": (None, [_P]),
    # The float buffers of a run or step as addresses (numpy's ``ndarray.ctypes.data``): the call is on
    # every sample's path, and an address costs a third of a typed pointer to make.
    "gn_session_run": (_STATUS, [_P, _P, _SIZE, _SIZE, _P, _SIZE]),
    "gn_session_step_count": (_STATUS, [_P, ctypes.POINTER(_SIZE)]),
    "gn_session_steps_taken": (_STATUS, [_P, ctypes.POINTER(_SIZE)]),
    "gn_session_predictions": (_STATUS, [_P, ctypes.POINTER(ctypes.c_int32), _SIZE]),
    "gn_session_sample_steps": (_STATUS, [_P, ctypes.POINTER(ctypes.c_uint32), _SIZE]),
    "gn_session_begin_stream": (_STATUS, [_P, _SIZE]),
    "gn_session_step": (_STATUS, [_P, _P, _SIZE, _P, _SIZE]),
    "gn_session_analog_mac_count": (_STATUS, [_P, ctypes.POINTER(ctypes.c_uint64)]),
    "gn_session_neuron_layer": (_STATUS, [_P, _SIZE, ctypes.POINTER(NeuronLayerInfo)]),
    "gn_session_spike_counts": (_STATUS, [_P, ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(ctypes.c_uint64), _SIZE]),
    "gn_session_set_observer": (_STATUS, [_P, LayerObserver, _P]),
    "gn_session_observe_input": (_STATUS, [_P, ctypes.c_uint32]),
    "gn_session_time_layers": (_STATUS, [_P, ctypes.c_uint32]),
    "gn_session_layer_time": (_STATUS, [_P, _SIZE, ctypes.POINTER(ctypes.c_uint64)]),
    "gn_session_isa": (_STATUS, [_P, ctypes.POINTER(ctypes.c_int)]),
    "gn_session_layer_kernel": (_STATUS, [_P, _SIZE, ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_int)]),
    "gn_session_last_error": (ctypes.c_char_p, [_P]),
}


#: The version of the C API these declarations follow (include/gnruntime.h's GN_VERSION).
API_VERSION = (0, 5, 0)

#: The structs declared here, by their gn_struct value, for gn_struct_size.
_STRUCTS: dict[int, type[ctypes.Structure]] = {1: Shape, 2: LayerInfo, 3: SessionOptions, 4: NeuronLayerInfo}


class LibraryNotFoundError(OSError):
    """No libgnruntime was found where it is looked for (candidate_paths)."""


class LibraryMismatchError(OSError):
    """The library found is not one these declarations fit: another major version, an older minor
    version, or structs of other sizes."""


def _declare(library: ctypes.CDLL, name: str) -> None:
    """Gives the C function ``name`` its signature from ``_SIGNATURES``."""
    function = getattr(library, name)
    function.restype, function.argtypes = _SIGNATURES[name]


def version_text(packed: int) -> str:
    """"major.minor.patch" of a version encoded as GN_VERSION is."""
    return f"{packed >> 16}.{(packed >> 8) & 0xFF}.{packed & 0xFF}"


def check_compatible(library: ctypes.CDLL, path: str) -> None:
    """Raises LibraryMismatchError unless ``library`` has this binding's major version, at least its
    minor version (semantic versioning: CHANGELOG.md), and the struct sizes declared here."""
    _declare(library, "gn_version")
    packed = library.gn_version()
    found = (packed >> 16, (packed >> 8) & 0xFF, packed & 0xFF)
    expected = ".".join(map(str, API_VERSION))
    if found[0] != API_VERSION[0] or found[1] < API_VERSION[1]:
        raise LibraryMismatchError(f"{path} is libgnruntime {version_text(packed)}, but this gnruntime package "
                                   f"needs {expected} or a later {API_VERSION[0]}.x")
    _declare(library, "gn_struct_size")
    for which, structure in _STRUCTS.items():
        size = library.gn_struct_size(which)
        if size != ctypes.sizeof(structure):
            raise LibraryMismatchError(
                f"{path} (libgnruntime {version_text(packed)}) has a {structure.__name__} of {size} bytes, "
                f"but this gnruntime package (for {expected}) declares {ctypes.sizeof(structure)}")


def candidate_paths() -> list[Path]:
    """Where the library is looked for, in order: the environment variable, next to this package,
    then the build folders of the repository this package sits in."""
    paths: list[Path] = []
    if os.environ.get(ENVIRONMENT_VARIABLE):
        paths.append(Path(os.environ[ENVIRONMENT_VARIABLE]))
    package = Path(__file__).resolve().parent
    paths.append(package / LIBRARY_NAME)
    for parent in package.parents:
        for folder in (".build/release", ".build/debug"):
            paths.append(parent / folder / LIBRARY_NAME)
    return paths


def _load() -> ctypes.CDLL:
    tried = []
    explicit = os.environ.get(ENVIRONMENT_VARIABLE)
    for path in candidate_paths():
        if path.is_file():
            library = ctypes.CDLL(str(path))
            check_compatible(library, str(path))
            for name in _SIGNATURES:
                _declare(library, name)
            return library
        tried.append(str(path))
        if explicit and len(tried) == 1:
            raise LibraryNotFoundError(f"{ENVIRONMENT_VARIABLE}={explicit} does not name a file")
    raise LibraryNotFoundError("libgnruntime.so not found; build it with scripts/build.sh or set "
                  f"{ENVIRONMENT_VARIABLE}. Looked in: " + ", ".join(tried[:4]) + ", …")


_library: ctypes.CDLL | None = None


def library() -> ctypes.CDLL:
    """The loaded library (loaded on first use)."""
    global _library
    if _library is None:
        _library = _load()
    return _library


def check(status: int, message: Callable[[], bytes | None] | None = None) -> None:
    """Raises the exception for ``status`` unless it is GN_STATUS_OK; the message comes from
    ``message()`` (a session's last error) or the thread's last error."""
    if status == 0:
        return
    text = (message() if message else None) or library().gn_last_error() or b""
    raise error_for(status, text.decode("utf-8", "replace"))


def default_options() -> SessionOptions:
    """``gn_session_options_init``: the default options, at this binding's struct size."""
    options = SessionOptions()
    check(library().gn_session_options_init(ctypes.byref(options), ctypes.sizeof(options)))
    return options
