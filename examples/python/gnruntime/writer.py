"""Writes GNRuntime model files (docs/model-format.md) from numpy arrays and a layer list — no torch.

Layers take PyTorch's conventions: convolution weights ``[out][in][kh][kw]``, linear weights
``[out][in]``, feature maps NCHW, and ``flatten`` numbering features ``(c·H + h)·W + w``. The writer
converts them to the file's channels-last layouts, including the feature order of layers that read a
flattened feature map::

    from gnruntime import writer as w
    data = w.write((1, 28, 28), [
        w.Conv2d(weight, bias, padding=1), w.QCFS(levels=4, threshold=1.5), w.AvgPool2d(2),
        w.Flatten(), w.Linear(fc_weight, fc_bias),
    ], "model.gnrt")

Layers read the previous layer's output unless ``inputs`` names others: layer names (``name=``) or
indices into the list; ``"input"`` is the model input. ``Add`` takes two inputs.

``Conv2d`` and ``Linear`` with a ``weight_scale`` (one per output channel) store int8 weights:
``weight`` then holds the integers (-128 … 127), the weight being ``weight · weight_scale``
(format 1.1; ``quantize_per_channel`` makes both from float weights). Such a layer must read a
QCFS output, pooled or flattened — integers times one scale. A file with no int8 layer is written
as format 1.0, which every reader loads.
"""
from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass, field, replace
from typing import Optional, Sequence, Union

import numpy as np

InputRef = Union[str, int]
_Pair = Union[int, tuple[int, int]]

_HEADER = struct.Struct("<4sHHIIQIIQIIIIQ")
_RECORD = struct.Struct("<HHIIIIIHHHHHHIfIQQ")
_NO_INPUT = 0xFFFFFFFF
_KINDS = {"conv2d": 1, "linear": 2, "avgpool2d": 3, "maxpool2d": 4, "global_avgpool": 5,
          "flatten": 6, "add": 7, "affine": 8, "qcfs": 9}


def _pair(value: _Pair) -> tuple[int, int]:
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"expected an int or a pair, not {value!r}")
        return int(value[0]), int(value[1])
    return int(value), int(value)


@dataclass
class LayerSpec:
    """Fields every layer has: an optional ``name`` and the ``inputs`` it reads."""
    name: Optional[str] = field(default=None, kw_only=True)
    inputs: Optional[Sequence[InputRef]] = field(default=None, kw_only=True)


@dataclass
class Conv2d(LayerSpec):
    """2-D convolution; ``weight`` is ``[out][in][kh][kw]``, ``bias`` ``[out]`` or None;
    ``weight_scale`` ``[out]`` makes ``weight`` int8 integers (see the module's doc)."""
    weight: np.ndarray
    bias: Optional[np.ndarray] = None
    stride: _Pair = 1
    padding: _Pair = 0
    weight_scale: Optional[np.ndarray] = field(default=None, kw_only=True)


@dataclass
class Linear(LayerSpec):
    """Fully connected layer; ``weight`` is ``[out][in]``, ``bias`` ``[out]`` or None;
    ``weight_scale`` ``[out]`` makes ``weight`` int8 integers (see the module's doc)."""
    weight: np.ndarray
    bias: Optional[np.ndarray] = None
    weight_scale: Optional[np.ndarray] = field(default=None, kw_only=True)


def quantize_per_channel(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-output-channel int8 quantisation of a ``[out][...]`` weight: each channel's
    scale is its largest magnitude / 127 (1 for an all-zero channel), its integers
    ``round(weight / scale)`` in -127 … 127. Returns ``(integers as int8, scales as float32)``."""
    weight = np.asarray(weight, dtype=np.float64)
    if weight.ndim < 2 or not np.all(np.isfinite(weight)):
        raise ValueError("weight must be a finite [out][...] array")
    largest = np.abs(weight.reshape(weight.shape[0], -1)).max(axis=1)
    scale = np.where(largest > 0, largest / 127.0, 1.0).astype(np.float32)
    # Divide by the float32 scale the file stores, so that integer · scale is the nearest multiple.
    shape = (-1,) + (1,) * (weight.ndim - 1)
    integers = np.clip(np.rint(weight / scale.astype(np.float64).reshape(shape)), -127, 127).astype(np.int8)
    return integers, scale


@dataclass
class AvgPool2d(LayerSpec):
    """Average pooling, padding counted as zeros; ``stride`` defaults to ``kernel``."""
    kernel: _Pair
    stride: Optional[_Pair] = None
    padding: _Pair = 0


@dataclass
class MaxPool2d(LayerSpec):
    """Max pooling (ANN sessions only); ``stride`` defaults to ``kernel``."""
    kernel: _Pair
    stride: Optional[_Pair] = None
    padding: _Pair = 0


@dataclass
class GlobalAvgPool(LayerSpec):
    """Mean over height and width (``AdaptiveAvgPool2d(1)``)."""


@dataclass
class Flatten(LayerSpec):
    """``torch.flatten(x, 1)``."""


@dataclass
class Add(LayerSpec):
    """Element-wise sum of two tensors (a residual connection); give both ``inputs``."""


@dataclass
class Affine(LayerSpec):
    """Per-channel ``x · scale + shift`` (a BatchNorm that cannot be folded)."""
    scale: np.ndarray
    shift: np.ndarray


@dataclass
class QCFS(LayerSpec):
    """The QCFS activation with ``levels`` (L) and ``threshold`` (λ)."""
    levels: int
    threshold: float


@dataclass
class _Tensor:
    shape: tuple[int, int, int]
    # When the tensor is a flatten of a (C, H, W) map with H·W > 1, or derived from one element-wise:
    # the map's shape, so that consumers can reorder PyTorch's feature order to the file's.
    flattened_from: Optional[tuple[int, int, int]] = None
    # Whether the tensor holds integers times one scale: a QCFS output, pooled or flattened.
    integer_valued: bool = False


def _flatten_permutation(shape: tuple[int, int, int]) -> np.ndarray:
    """``p`` with ``file_feature f`` ↔ ``torch_feature p[f]`` for a flattened (C, H, W) map."""
    channels, height, width = shape
    return np.arange(channels * height * width).reshape(channels, height, width).transpose(1, 2, 0).reshape(-1)


def _int8(array: np.ndarray, what: str) -> np.ndarray:
    array = np.asarray(array)
    if array.dtype.kind not in "iu" and not np.all(np.isfinite(array) & (array == np.rint(array))):
        raise ValueError(f"{what} must hold integers when weight_scale is given")
    if array.size and (array.min() < -128 or array.max() > 127):
        raise ValueError(f"{what} must lie in -128 ... 127 when weight_scale is given")
    return array.astype(np.int8)


def _scales(array: np.ndarray, channels: int, what: str) -> np.ndarray:
    scale = _floats(array, (channels,), what)
    if not np.all(scale > 0):
        raise ValueError(f"{what} must be positive")
    return scale


def _floats(array: np.ndarray, shape: tuple[int, ...], what: str) -> np.ndarray:
    array = np.asarray(array)
    if array.shape != shape:
        raise ValueError(f"{what} must have shape {shape}, not {array.shape}")
    result = np.ascontiguousarray(array, dtype="<f4")
    if not np.all(np.isfinite(result)):
        raise ValueError(f"{what} holds NaN or infinity")
    return result


def _window_out(size: int, kernel: int, stride: int, padding: int, what: str) -> int:
    span = size + 2 * padding - kernel
    if kernel < 1 or stride < 1 or padding < 0 or span < 0:
        raise ValueError(f"{what}: kernel {kernel}, stride {stride}, padding {padding} do not fit size {size}")
    return span // stride + 1


WEIGHT_TYPES = ("float32", "int8")


def encode(input_shape: Sequence[int], layers: Sequence[LayerSpec], weights: str = "float32") -> bytes:
    """The model file for ``layers`` over inputs of ``input_shape`` (C, H, W).

    ``weights="int8"`` quantises (``quantize_per_channel``) the float weights of every conv2d and
    linear layer whose input holds integers; the others (the first layer, which reads the analog
    input, and layers after an add or an affine) keep float32 weights."""
    if weights not in WEIGHT_TYPES:
        raise ValueError(f"weights must be one of {WEIGHT_TYPES}, not {weights!r}")
    if len(input_shape) != 3 or min(input_shape) < 1:
        raise ValueError(f"input_shape must be (C, H, W), not {tuple(input_shape)}")
    if not layers:
        raise ValueError("a model needs at least one layer")
    tensors = [_Tensor(tuple(int(v) for v in input_shape))]  # type: ignore[arg-type]
    minor = 0
    names: dict[str, int] = {"input": 0}
    records: list[tuple] = []
    blobs: list[tuple[int, int, np.ndarray]] = []  # (record index, slot 0 = P / 1 = Q, data)

    def resolve(ref: InputRef, index: int) -> int:
        if isinstance(ref, str):
            if ref not in names:
                raise ValueError(f"layer {index}: unknown input {ref!r}")
            return names[ref]
        if not -1 <= ref < index:
            raise ValueError(f"layer {index}: input {ref} is not an earlier layer")
        return ref + 1  # layer i produces tensor i + 1; -1 is the model input

    for index, spec in enumerate(layers):
        refs = list(spec.inputs) if spec.inputs is not None else [index - 1]
        expected_inputs = 2 if isinstance(spec, Add) else 1
        if len(refs) != expected_inputs:
            raise ValueError(f"layer {index} ({type(spec).__name__}) takes {expected_inputs} input(s), got {len(refs)}")
        ids = [resolve(ref, index) for ref in refs]
        source = tensors[ids[0]]
        if (weights == "int8" and isinstance(spec, (Conv2d, Linear)) and spec.weight_scale is None
                and source.integer_valued):
            integers, scale = quantize_per_channel(spec.weight)
            spec = replace(spec, weight=integers, weight_scale=scale)
        c, h, w = source.shape
        kind = type(spec).__name__
        out_shape = source.shape
        flattened_from = None
        window = (0, 0, 0, 0, 0, 0)
        levels, threshold, flags = 0, 0.0, 0
        blob_p = blob_q = None
        if isinstance(spec, Conv2d):
            weight = np.asarray(spec.weight)
            if weight.ndim != 4 or weight.shape[1] != c:
                raise ValueError(f"layer {index} (Conv2d): weight must be [out][{c}][kh][kw], not {weight.shape}")
            out_channels, _, kh, kw = weight.shape
            (sh, sw), (ph, pw) = _pair(spec.stride), _pair(spec.padding)
            if source.flattened_from is not None:
                raise ValueError(f"layer {index} (Conv2d): reads a flattened feature map")
            out_shape = (out_channels, _window_out(h, kh, sh, ph, f"layer {index}"), _window_out(w, kw, sw, pw, f"layer {index}"))
            window = (kh, kw, sh, sw, ph, pw)
            if spec.weight_scale is None:
                blob_p = _floats(weight, weight.shape, f"layer {index} weight").transpose(2, 3, 1, 0)
            else:
                blob_p = _int8(weight, f"layer {index} weight").transpose(2, 3, 1, 0)
            if spec.bias is not None:
                blob_q, flags = _floats(spec.bias, (out_channels,), f"layer {index} bias"), 1
        elif isinstance(spec, Linear):
            weight = np.asarray(spec.weight)
            if h != 1 or w != 1:
                raise ValueError(f"layer {index} (Linear): input must be a vector, not a {source.shape} map; flatten it first")
            if weight.ndim != 2 or weight.shape[1] != c:
                raise ValueError(f"layer {index} (Linear): weight must be [out][{c}], not {weight.shape}")
            weight = _floats(weight, weight.shape, f"layer {index} weight") if spec.weight_scale is None \
                else _int8(weight, f"layer {index} weight")
            if source.flattened_from is not None:
                weight = weight[:, _flatten_permutation(source.flattened_from)]
            out_shape = (weight.shape[0], 1, 1)
            blob_p = weight.T
            if spec.bias is not None:
                blob_q, flags = _floats(spec.bias, (weight.shape[0],), f"layer {index} bias"), 1
        elif isinstance(spec, (AvgPool2d, MaxPool2d)):
            (kh, kw) = _pair(spec.kernel)
            (sh, sw) = _pair(spec.stride if spec.stride is not None else spec.kernel)
            (ph, pw) = _pair(spec.padding)
            if 2 * ph > kh or 2 * pw > kw:
                raise ValueError(f"layer {index} ({kind}): padding must be at most half the kernel")
            out_shape = (c, _window_out(h, kh, sh, ph, f"layer {index}"), _window_out(w, kw, sw, pw, f"layer {index}"))
            window = (kh, kw, sh, sw, ph, pw)
        elif isinstance(spec, GlobalAvgPool):
            out_shape = (c, 1, 1)
        elif isinstance(spec, Flatten):
            out_shape = (c * h * w, 1, 1)
            flattened_from = source.shape if h * w > 1 else source.flattened_from
        elif isinstance(spec, Add):
            other = tensors[ids[1]]
            if other.shape != source.shape or other.flattened_from != source.flattened_from:
                raise ValueError(f"layer {index} (Add): inputs differ in shape: {source.shape} and {other.shape}")
            flattened_from = source.flattened_from
        elif isinstance(spec, Affine):
            scale = _floats(spec.scale, (c,), f"layer {index} scale")
            shift = _floats(spec.shift, (c,), f"layer {index} shift")
            if source.flattened_from is not None:
                permutation = _flatten_permutation(source.flattened_from)
                scale, shift = scale[permutation], shift[permutation]
            blob_p, blob_q = scale, shift
            flattened_from = source.flattened_from
        elif isinstance(spec, QCFS):
            levels, threshold = int(spec.levels), float(spec.threshold)
            if not 1 <= levels <= 65535:
                raise ValueError(f"layer {index} (QCFS): levels must be in 1 ... 65535, not {levels}")
            if not np.isfinite(threshold) or threshold <= 0:
                raise ValueError(f"layer {index} (QCFS): threshold must be finite and positive, not {threshold}")
            flattened_from = source.flattened_from
        else:
            raise TypeError(f"layer {index}: {kind} is not a layer type of gnruntime.writer")
        integer_valued = isinstance(spec, QCFS) or (
            isinstance(spec, (AvgPool2d, MaxPool2d, GlobalAvgPool, Flatten)) and source.integer_valued)
        if isinstance(spec, (Conv2d, Linear)) and spec.weight_scale is not None:
            if not source.integer_valued:
                raise ValueError(f"layer {index} ({kind}): int8 weights need an input that holds integers (a QCFS "
                                 "output, pooled or flattened); keep this layer's weights float32")
            scale = _scales(spec.weight_scale, out_shape[0], f"layer {index} weight_scale")
            blob_q = scale if blob_q is None else np.concatenate([scale, blob_q])
            flags |= 2
            minor = 1
        record_kind = _KINDS[{"Conv2d": "conv2d", "Linear": "linear", "AvgPool2d": "avgpool2d",
                              "MaxPool2d": "maxpool2d", "GlobalAvgPool": "global_avgpool", "Flatten": "flatten",
                              "Add": "add", "Affine": "affine", "QCFS": "qcfs"}[kind]]
        if blob_p is not None:
            dtype = np.int8 if blob_p.dtype == np.int8 else "<f4"
            blobs.append((index, 0, np.ascontiguousarray(blob_p, dtype=dtype)))
        if blob_q is not None:
            blobs.append((index, 1, np.ascontiguousarray(blob_q, dtype="<f4")))
        records.append((record_kind, flags, ids[0], ids[1] if len(ids) > 1 else _NO_INPUT,
                        *out_shape, *window, levels, threshold))
        tensors.append(_Tensor(out_shape, flattened_from, integer_valued))
        if spec.name is not None:
            if spec.name in names:
                raise ValueError(f"layer {index}: the name {spec.name!r} is taken")
            names[spec.name] = index + 1
    if tensors[-1].flattened_from is not None:
        raise ValueError("the model ends in a flattened feature map, whose feature order would differ from "
                         "PyTorch's; end with a linear layer or a global average pool")

    table_offset = _HEADER.size
    offset = (table_offset + len(records) * _RECORD.size + 63) // 64 * 64
    offsets = [[0, 0] for _ in records]
    for record_index, slot, data in blobs:
        offsets[record_index][slot] = offset
        offset = (offset + data.nbytes + 63) // 64 * 64
    out = bytearray(offset)
    _HEADER.pack_into(out, 0, b"GNRT", 1, minor, 64, 0, offset, len(records), _RECORD.size, table_offset,
                      *tensors[0].shape, 0, 0)
    for index, record in enumerate(records):
        _RECORD.pack_into(out, table_offset + index * _RECORD.size, *record, 0, *offsets[index])
    for record_index, slot, data in blobs:
        start = offsets[record_index][slot]
        out[start:start + data.nbytes] = data.tobytes()
    struct.pack_into("<I", out, 12, zlib.crc32(bytes(out)) & 0xFFFFFFFF)
    return bytes(out)


def write(input_shape: Sequence[int], layers: Sequence[LayerSpec],
          path: Union[str, os.PathLike, None] = None, weights: str = "float32") -> bytes:
    """Encodes the model (``weights`` as in ``encode``) and, when ``path`` is given, writes it
    there; returns the bytes."""
    data = encode(input_shape, layers, weights)
    if path is not None:
        with open(path, "wb") as handle:
            handle.write(data)
    return data
