"""A loaded, validated model."""
from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

from ._handle import OwnedHandle
from ._library import LayerInfo, Shape, check, library

#: Layer kinds by their ``gn_layer_kind`` value.
LAYER_KINDS = {1: "conv2d", 2: "linear", 3: "avgpool2d", 4: "maxpool2d", 5: "global_avgpool",
               6: "flatten", 7: "add", 8: "affine", 9: "qcfs"}

#: How a layer's weights are stored, by their ``gn_weight_type`` value.
WEIGHT_TYPES = {0: None, 1: "float32", 2: "int8"}


@dataclass(frozen=True)
class Layer:
    """What the runtime reports of one layer."""
    index: int
    kind: str
    inputs: tuple[int, ...]          # tensor ids: 0 = model input, i + 1 = output of layer i
    output_shape: tuple[int, int, int]  # (C, H, W) of one sample
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    has_bias: bool
    levels: int                       # qcfs: L
    threshold: float                  # qcfs: λ
    neuron_index: int                 # qcfs: index among the qcfs layers, else -1
    weights: Optional[str] = None     # conv2d and linear: "float32" or "int8"; None for other layers


class Model(OwnedHandle):
    """A model file loaded into the runtime. Immutable; any number of sessions, on any threads,
    may use it. Use ``Model.load`` to make one, and ``close`` (or a ``with`` block) to release it;
    sessions keep the model alive until they are closed too."""

    _noun = "model"

    def __init__(self, handle: ctypes.c_void_p) -> None:
        # A path or bytes here would reach the library as a model pointer: refuse anything but a handle.
        if not isinstance(handle, ctypes.c_void_p) or not handle:
            raise TypeError(f"Model() takes a model handle, not {type(handle).__name__}; "
                            "load a model with gnruntime.Model.load(path_or_bytes)")
        super().__init__(handle)

    @classmethod
    def load(cls, source: Union[str, os.PathLike, bytes, bytearray, memoryview], *,
             verify_checksum: bool = True) -> "Model":
        """Loads a model from a file path or from the bytes of a model file (copied).

        Raises ``BadModelError`` for malformed or corrupted bytes, ``UnsupportedError`` for a newer
        format, ``ModelIOError`` when the file cannot be read.
        """
        flags = 0 if verify_checksum else 1
        handle = ctypes.c_void_p()
        lib = library()
        if isinstance(source, (bytes, bytearray, memoryview)):
            data = bytes(source)
            check(lib.gn_model_load_bytes(data, len(data), flags, ctypes.byref(handle)))
        elif isinstance(source, (str, os.PathLike)):
            check(lib.gn_model_load_file(os.fsencode(Path(source)), flags, ctypes.byref(handle)))
        else:
            raise TypeError(f"Model.load takes a path or bytes, not {type(source).__name__}")
        return cls(handle)

    def _release(self, handle: ctypes.c_void_p) -> None:
        library().gn_model_free(handle)

    def _shape(self, function_name: str) -> tuple[int, int, int]:
        shape = Shape()
        check(getattr(library(), function_name)(self.handle, ctypes.byref(shape)))
        return (shape.channels, shape.height, shape.width)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one input sample."""
        return self._shape("gn_model_input_shape")

    @property
    def output_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one output sample."""
        return self._shape("gn_model_output_shape")

    @property
    def output_size(self) -> int:
        """Floats in one output sample."""
        channels, height, width = self.output_shape
        return channels * height * width

    @property
    def neuron_layer_count(self) -> int:
        """Number of QCFS layers (the length of a per-layer ``tau`` list)."""
        count = ctypes.c_size_t()
        check(library().gn_model_neuron_layer_count(self.handle, ctypes.byref(count)))
        return count.value

    @property
    def mac_count(self) -> int:
        """Multiply-accumulates of one sample through the conv2d and linear layers: the ANN's cost,
        counted by connection (window taps on padding left out)."""
        macs = ctypes.c_uint64()
        check(library().gn_model_mac_count(self.handle, ctypes.byref(macs)))
        return macs.value

    @property
    def layers(self) -> list[Layer]:
        """Every layer, in order."""
        count = ctypes.c_size_t()
        lib = library()
        check(lib.gn_model_layer_count(self.handle, ctypes.byref(count)))
        layers = []
        for index in range(count.value):
            info = LayerInfo()
            check(lib.gn_model_layer(self.handle, index, ctypes.byref(info)))
            weight_type = ctypes.c_int()
            check(lib.gn_model_layer_weights(self.handle, index, ctypes.byref(weight_type)))
            inputs = (info.input_a,) if info.input_b < 0 else (info.input_a, info.input_b)
            layers.append(Layer(
                index=index, kind=LAYER_KINDS.get(info.kind, f"kind {info.kind}"), inputs=inputs,
                output_shape=(info.output.channels, info.output.height, info.output.width),
                kernel=(info.kernel_height, info.kernel_width), stride=(info.stride_height, info.stride_width),
                padding=(info.padding_height, info.padding_width), has_bias=bool(info.has_bias),
                levels=info.levels, threshold=info.threshold, neuron_index=info.neuron_index,
                weights=WEIGHT_TYPES.get(weight_type.value, f"type {weight_type.value}")))
        return layers

    def __repr__(self) -> str:
        if self._handle is None:
            return "<gnruntime.Model closed>"
        return (f"<gnruntime.Model {len(self.layers)} layers, input {self.input_shape}, "
                f"output {self.output_shape}>")
