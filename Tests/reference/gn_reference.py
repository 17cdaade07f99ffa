#!/usr/bin/env python3
"""Independent numpy reference implementation of GNRuntime.

Written from docs/model-format.md and docs/semantics.md only.  It is deliberately
structured differently from a channels-last runtime:

* the model file is parsed with its own ``struct``-based reader, which validates
  every rule of the format document;
* all tensors are kept in NCHW layout and the file's channels-last weights are
  converted to PyTorch layouts (OIHW for convolutions, [out][in] for linear layers);
* ``flatten`` produces PyTorch's feature order ``(c*H + h)*W + w``.  The file numbers
  flattened features ``(h*W + w)*C + c`` instead, so every tensor carries a static
  *channel order* (which file channel each stored channel is) and the weights / scales
  of layers that read a permuted tensor are permuted accordingly at plan time.

Arithmetic:

* neurons and elementwise layers (qcfs, gn, if, add, affine) in float32, in the
  documented order;
* conv2d, linear, avgpool2d and global_avgpool accumulate in float64 (bias added in
  float64) and round the result once to float32;
* maxpool2d is exact (a maximum of float32 values);
* conv2d and linear layers with int8 weights (format 1.1) read their input as integers
  times a scale, tracked beside every tensor that holds them (neuron outputs, pooled and
  flattened); they sum exactly and leave the integers with the documented float32
  multiplication and addition.

CLI::

    python3 gn_reference.py MODEL INPUT OUTPUT --neuron {ann,gn,if} --tau N --T N \
        --batch N [--layer-tau a,b,c,...]

INPUT is raw little-endian float32 NCHW (batch x C x H x W).  OUTPUT is raw
little-endian, these sections in order:

a) float32 [batch][output elements]   mean over steps of the last layer's output,
                                      NCHW order (c, h, w) of the last tensor;
b) int32   [steps][batch]             running prediction after each step
                                      (steps = 1 in ann mode, else T);
c) for each qcfs layer in file order: int32 [batch][C][H][W]; for gn / if the total
   number of spikes over all steps (gn: sum of s), for ann the level q.

Exit status 0 on success, 2 (message on stderr) for a bad model, input or argument.
"""

from __future__ import annotations

import argparse
import math
import struct
import sys
import zlib
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Optional, Sequence

import numpy as np

F32 = np.float32
F64 = np.float64

# ---------------------------------------------------------------------------
# File format constants (docs/model-format.md)
# ---------------------------------------------------------------------------

MAGIC = b"GNRT"
SUPPORTED_MAJOR = 1
HEADER_SIZE = 64
RECORD_SIZE = 64
BLOB_ALIGN = 64
NO_INPUT = 0xFFFFFFFF
MAX_LAYERS = 65535
MAX_LEVELS = 65535
MAX_TAU = 64

# header: magic, major, minor, header size, crc, file size, layer count, record size,
#         table offset, C, H, W, reserved u32, reserved u64
HEADER_STRUCT = struct.Struct("<4sHHIIQIIQIIIIQ")
# record: kind, flags, input A, input B, C, H, W, kh, kw, sh, sw, ph, pw, L,
#         lambda (read as its raw u32 bits), reserved, blob P, blob Q
RECORD_STRUCT = struct.Struct("<HHIIIIIHHHHHHIIIQQ")
assert HEADER_STRUCT.size == HEADER_SIZE
assert RECORD_STRUCT.size == RECORD_SIZE

CHECKSUM_OFFSET = 12


class Kind(IntEnum):
    CONV2D = 1
    LINEAR = 2
    AVGPOOL2D = 3
    MAXPOOL2D = 4
    GLOBAL_AVGPOOL = 5
    FLATTEN = 6
    ADD = 7
    AFFINE = 8
    QCFS = 9


NEURONS = ("ann", "gn", "if")


# ---------------------------------------------------------------------------
# Parsed model
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """A feature-map shape (C, H, W)."""

    c: int
    h: int
    w: int

    def __str__(self) -> str:
        return f"({self.c}, {self.h}, {self.w})"

    @property
    def size(self) -> int:
        return self.c * self.h * self.w


@dataclass
class Layer:
    """One layer record, with its blobs as float32 arrays in the file's layout."""

    index: int
    kind: Kind
    has_bias: bool
    input_a: int
    input_b: Optional[int]
    out_shape: Shape
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    levels: int
    lam: np.float32
    # file (channels-last) layouts:
    #   conv2d weights [kh][kw][Ci][Co], linear weights [Ci][Co] (float32, or int8 values
    #   with int8 set), bias [Co], int8 weight scales [Co], affine scale [Ci] and shift [Ci]
    int8: bool = False
    weights: Optional[np.ndarray] = None
    weight_scale: Optional[np.ndarray] = None
    bias: Optional[np.ndarray] = None
    scale: Optional[np.ndarray] = None
    shift: Optional[np.ndarray] = None


@dataclass
class Model:
    major: int
    minor: int
    input_shape: Shape
    layers: list[Layer]
    # shapes[i] is the shape of tensor id i (0 = model input, i = output of layer i-1)
    shapes: list[Shape]

    @property
    def output_shape(self) -> Shape:
        return self.shapes[-1]

    @property
    def qcfs_layers(self) -> list[Layer]:
        return [layer for layer in self.layers if layer.kind == Kind.QCFS]


def out_size(n: int, k: int, s: int, p: int) -> int:
    """out(n, k, s, p) = floor((n + 2p - k) / s) + 1 (Python's // floors)."""
    return (n + 2 * p - k) // s + 1


def file_crc(data: bytes) -> int:
    """CRC-32 of the file with the checksum field (bytes 12..15) zeroed."""
    zeroed = data[:CHECKSUM_OFFSET] + b"\0\0\0\0" + data[CHECKSUM_OFFSET + 4:]
    return zlib.crc32(zeroed) & 0xFFFFFFFF


def load_model(data: bytes) -> Model:
    """Parse and validate a model file.  Raises ValueError on any violation."""
    data = bytes(data)
    size = len(data)
    if size < HEADER_SIZE:
        raise ValueError(f"file is {size} bytes, shorter than the {HEADER_SIZE}-byte header")
    (magic, major, minor, header_size, checksum, file_size, layer_count, record_size,
     table_offset, in_c, in_h, in_w, _reserved32, _reserved64) = HEADER_STRUCT.unpack_from(data, 0)

    if magic != MAGIC:
        raise ValueError(f"bad magic {magic!r}, expected {MAGIC!r}")
    if major != SUPPORTED_MAJOR:
        raise ValueError(f"unsupported major version {major} (this reader supports {SUPPORTED_MAJOR})")
    if header_size != HEADER_SIZE:
        raise ValueError(f"header size is {header_size}, expected {HEADER_SIZE}")
    if file_size != size:
        raise ValueError(f"header says the file is {file_size} bytes but it is {size} bytes")
    actual_crc = file_crc(data)
    if checksum != actual_crc:
        raise ValueError(f"checksum mismatch: header has 0x{checksum:08x}, file computes 0x{actual_crc:08x}")
    if not 1 <= layer_count <= MAX_LAYERS:
        raise ValueError(f"layer count {layer_count} is outside 1..{MAX_LAYERS}")
    if record_size != RECORD_SIZE:
        raise ValueError(f"layer record size is {record_size}, expected {RECORD_SIZE}")
    if table_offset < HEADER_SIZE or table_offset % 8 != 0:
        raise ValueError(f"layer table offset {table_offset} must be >= {HEADER_SIZE} and a multiple of 8")
    table_end = table_offset + layer_count * RECORD_SIZE
    if table_end > size:
        raise ValueError(f"layer table [{table_offset}, {table_end}) does not lie inside the {size}-byte file")
    if in_c < 1 or in_h < 1 or in_w < 1:
        raise ValueError(f"input shape ({in_c}, {in_h}, {in_w}) must have every dimension >= 1")

    input_shape = Shape(in_c, in_h, in_w)
    shapes: list[Shape] = [input_shape]
    layers: list[Layer] = []
    for i in range(layer_count):
        record = RECORD_STRUCT.unpack_from(data, table_offset + i * RECORD_SIZE)
        layer = _parse_layer(i, record, data, shapes, table_end, layers)
        layers.append(layer)
        shapes.append(layer.out_shape)
    return Model(major=major, minor=minor, input_shape=input_shape, layers=layers, shapes=shapes)


def _read_blob(data: bytes, offset: int, count: int, table_end: int, what: str, where: str,
               dtype: str = "<f4") -> np.ndarray:
    """Read `count` little-endian float32 (or int8) at `offset`, validating alignment, bounds and
    (floats) finiteness."""
    nbytes = np.dtype(dtype).itemsize * count
    if offset == 0:
        raise ValueError(f"{where}: {what} blob offset is 0 but the blob is required")
    if offset % BLOB_ALIGN != 0:
        raise ValueError(f"{where}: {what} blob offset {offset} is not a multiple of {BLOB_ALIGN}")
    if offset < table_end:
        raise ValueError(f"{where}: {what} blob at {offset} starts before the end of the layer table ({table_end})")
    if offset + nbytes > len(data):
        raise ValueError(f"{where}: {what} blob [{offset}, {offset + nbytes}) extends past the end of the file ({len(data)})")
    if dtype == "i1":
        return np.frombuffer(data, dtype=np.int8, count=count, offset=offset).copy()
    values = np.frombuffer(data, dtype="<f4", count=count, offset=offset).astype(F32)
    if not np.all(np.isfinite(values)):
        bad = int(np.flatnonzero(~np.isfinite(values))[0])
        raise ValueError(f"{where}: {what} blob holds a non-finite float at element {bad}")
    return values


def _integer_valued(tensor: int, layers: list[Layer]) -> bool:
    """Whether a tensor is a qcfs output, pooled or flattened any number of times."""
    while tensor > 0:
        producer = layers[tensor - 1]
        if producer.kind == Kind.QCFS:
            return True
        if producer.kind not in (Kind.AVGPOOL2D, Kind.MAXPOOL2D, Kind.GLOBAL_AVGPOOL, Kind.FLATTEN):
            return False
        tensor = producer.input_a
    return False


def _parse_layer(i: int, record: tuple, data: bytes, shapes: list[Shape], table_end: int,
                 layers: list[Layer]) -> Layer:
    (kind_raw, flags, input_a, input_b, oc, oh, ow, kh, kw, sh, sw, ph, pw,
     levels, lam_bits, reserved, blob_p, blob_q) = record
    lam = struct.unpack("<f", struct.pack("<I", lam_bits))[0]
    where = f"layer {i}"
    try:
        kind = Kind(kind_raw)
    except ValueError:
        raise ValueError(f"{where}: unknown layer kind {kind_raw}") from None
    where = f"layer {i} ({kind.name.lower()})"

    # --- flags -------------------------------------------------------------
    if flags & ~3:
        raise ValueError(f"{where}: flags 0x{flags:04x} has bits other than bits 0 and 1 set")
    has_bias = bool(flags & 1)
    int8 = bool(flags & 2)
    if (has_bias or int8) and kind not in (Kind.CONV2D, Kind.LINEAR):
        raise ValueError(f"{where}: the has-bias and int8 flags are only allowed on conv2d and linear")
    if int8 and not _integer_valued(input_a, layers):
        raise ValueError(f"{where}: int8 weights need an integer-valued input (a qcfs output, pooled or flattened)")

    # --- inputs ------------------------------------------------------------
    own_id = i + 1
    if input_a >= own_id:
        raise ValueError(f"{where}: input A is tensor {input_a}, but only tensors 0..{own_id - 1} exist before it")
    if kind == Kind.ADD:
        if input_b >= own_id:
            raise ValueError(f"{where}: input B is tensor {input_b}, but only tensors 0..{own_id - 1} exist before it")
    elif input_b != NO_INPUT:
        raise ValueError(f"{where}: input B must be 0xFFFFFFFF for a {kind.name.lower()} layer, got {input_b}")
    a = shapes[input_a]

    # --- fields a kind does not use must be zero -----------------------------
    uses_window = kind in (Kind.CONV2D, Kind.AVGPOOL2D, Kind.MAXPOOL2D)
    uses_qcfs = kind == Kind.QCFS
    uses_p = kind in (Kind.CONV2D, Kind.LINEAR, Kind.AFFINE)
    uses_q = kind == Kind.AFFINE or has_bias or int8
    if not uses_window and (kh, kw, sh, sw, ph, pw) != (0, 0, 0, 0, 0, 0):
        raise ValueError(f"{where}: kernel/stride/padding fields must be 0, got "
                         f"kernel ({kh}, {kw}) stride ({sh}, {sw}) padding ({ph}, {pw})")
    if not uses_qcfs and (levels != 0 or lam_bits != 0):
        raise ValueError(f"{where}: levels and threshold fields must be 0, got L={levels} lambda={lam!r}")
    # `reserved` (record offset 44) is written as 0 and ignored by readers.
    if not uses_p and blob_p != 0:
        raise ValueError(f"{where}: blob P offset must be 0, got {blob_p}")
    if not uses_q and blob_q != 0:
        raise ValueError(f"{where}: blob Q offset must be 0 (no bias / no blob), got {blob_q}")

    # --- parameters and the computed output shape ----------------------------
    if uses_window:
        if kh < 1 or kw < 1:
            raise ValueError(f"{where}: kernel ({kh}, {kw}) must be >= 1")
        if sh < 1 or sw < 1:
            raise ValueError(f"{where}: stride ({sh}, {sw}) must be >= 1")
        if kind in (Kind.AVGPOOL2D, Kind.MAXPOOL2D) and (2 * ph > kh or 2 * pw > kw):
            raise ValueError(f"{where}: padding ({ph}, {pw}) must satisfy 2*padding <= kernel ({kh}, {kw})")
        ho = out_size(a.h, kh, sh, ph)
        wo = out_size(a.w, kw, sw, pw)
        if ho < 1 or wo < 1:
            raise ValueError(f"{where}: output size ({ho}, {wo}) computed from input {a} is < 1")
    if uses_qcfs:
        if not 1 <= levels <= MAX_LEVELS:
            raise ValueError(f"{where}: levels L={levels} outside 1..{MAX_LEVELS}")
        if not (math.isfinite(lam) and lam > 0):
            raise ValueError(f"{where}: threshold lambda={lam!r} must be finite and > 0")

    if kind == Kind.CONV2D:
        if oc < 1:
            raise ValueError(f"{where}: output channels must be >= 1")
        expected = Shape(oc, ho, wo)
    elif kind == Kind.LINEAR:
        if a.h != 1 or a.w != 1:
            raise ValueError(f"{where}: input {a} must have H = W = 1")
        if oc < 1:
            raise ValueError(f"{where}: output channels must be >= 1")
        expected = Shape(oc, 1, 1)
    elif kind in (Kind.AVGPOOL2D, Kind.MAXPOOL2D):
        expected = Shape(a.c, ho, wo)
    elif kind == Kind.GLOBAL_AVGPOOL:
        expected = Shape(a.c, 1, 1)
    elif kind == Kind.FLATTEN:
        expected = Shape(a.size, 1, 1)
    elif kind == Kind.ADD:
        b = shapes[input_b]
        if b != a:
            raise ValueError(f"{where}: input shapes differ: A {a}, B {b}")
        expected = a
    else:  # AFFINE, QCFS
        expected = a
    stored = Shape(oc, oh, ow)
    if stored != expected:
        raise ValueError(f"{where}: stored output shape {stored} differs from the computed shape {expected}")

    layer = Layer(index=i, kind=kind, has_bias=has_bias, input_a=input_a,
                  input_b=input_b if kind == Kind.ADD else None, out_shape=expected,
                  kernel=(kh, kw), stride=(sh, sw), padding=(ph, pw),
                  levels=levels, lam=F32(lam), int8=int8)

    # --- blobs -----------------------------------------------------------------
    weight_dtype = "i1" if int8 else "<f4"
    if kind == Kind.CONV2D:
        w = _read_blob(data, blob_p, kh * kw * a.c * oc, table_end, "weight", where, weight_dtype)
        layer.weights = w.reshape(kh, kw, a.c, oc)
    elif kind == Kind.LINEAR:
        w = _read_blob(data, blob_p, a.c * oc, table_end, "weight", where, weight_dtype)
        layer.weights = w.reshape(a.c, oc)
    elif kind == Kind.AFFINE:
        layer.scale = _read_blob(data, blob_p, a.c, table_end, "scale", where)
        layer.shift = _read_blob(data, blob_q, a.c, table_end, "shift", where)
    if int8:
        # Blob Q: the weight scales [Co], then the bias [Co] when the layer has one.
        q = _read_blob(data, blob_q, oc * (2 if has_bias else 1), table_end, "scale and bias", where)
        if not np.all(q[:oc] > 0):
            raise ValueError(f"{where}: int8 weight scales must be > 0")
        layer.weight_scale = q[:oc]
        layer.bias = q[oc:] if has_bias else None
    elif has_bias:
        layer.bias = _read_blob(data, blob_q, oc, table_end, "bias", where)
    return layer


# ---------------------------------------------------------------------------
# Plan: PyTorch-layout parameters, with the flatten order conversion
# ---------------------------------------------------------------------------


@dataclass
class PlannedLayer:
    layer: Layer
    # conv2d: weight OIHW float64 [Co][Ci][kh][kw]; linear: [Co][Ci] float64
    weight: Optional[np.ndarray] = None
    bias: Optional[np.ndarray] = None          # float64 [Co] (float32 for int8 layers)
    weight_scale: Optional[np.ndarray] = None  # int8 layers: float32 [Co]
    scale: Optional[np.ndarray] = None         # float32 [C], in the stored channel order
    shift: Optional[np.ndarray] = None         # float32 [C], in the stored channel order
    b_reindex: Optional[np.ndarray] = None     # add: stored channel j of A <- stored channel b_reindex[j] of B
    qcfs_index: int = -1                       # position among the qcfs layers


@dataclass
class Plan:
    model: Model
    layers: list[PlannedLayer]
    # order[t][j] = which file channel the stored channel j of tensor t is
    order: list[np.ndarray]


def make_plan(model: Model) -> Plan:
    """Convert the file's channels-last parameters to PyTorch layouts.

    Every tensor is stored NCHW.  Its channel axis may be a permutation of the file's
    channel numbering (after a PyTorch-style flatten); ``order[t]`` records it.
    """
    order: list[np.ndarray] = [np.arange(model.input_shape.c)]
    planned: list[PlannedLayer] = []
    qcfs_seen = 0
    for layer in model.layers:
        a_shape = model.shapes[layer.input_a]
        a_order = order[layer.input_a]
        p = PlannedLayer(layer=layer)
        if layer.kind == Kind.CONV2D:
            # [kh][kw][Ci][Co] -> [Co][Ci][kh][kw], then the Ci axis in stored order
            w = np.transpose(layer.weights, (3, 2, 0, 1))
            p.weight = w[:, a_order, :, :].astype(F64)
            _plan_bias(p, layer)
            out_order = np.arange(layer.out_shape.c)
        elif layer.kind == Kind.LINEAR:
            # [Ci][Co] -> [Co][Ci], the Ci axis in stored order (this is where
            # the file's flatten order (h*W+w)*C+c becomes PyTorch's (c*H+h)*W+w)
            p.weight = layer.weights[a_order, :].T.astype(F64)
            _plan_bias(p, layer)
            out_order = np.arange(layer.out_shape.c)
        elif layer.kind == Kind.FLATTEN:
            # PyTorch flatten: stored position j = (cs*H + h)*W + w, cs a stored channel.
            # The file numbers that feature (h*W + w)*C + order[cs].
            c, h, w = a_shape.c, a_shape.h, a_shape.w
            cs, hh, ww = np.meshgrid(np.arange(c), np.arange(h), np.arange(w), indexing="ij")
            out_order = ((hh * w + ww) * c + a_order[cs]).reshape(-1)
        elif layer.kind == Kind.AFFINE:
            p.scale = layer.scale[a_order]
            p.shift = layer.shift[a_order]
            out_order = a_order
        elif layer.kind == Kind.ADD:
            b_order = order[layer.input_b]
            # stored channel j of A is file channel a_order[j]; B stores file channel f
            # at position inverse_b[f]
            inverse_b = np.argsort(b_order)
            p.b_reindex = inverse_b[a_order]
            out_order = a_order
        else:  # pools, global_avgpool, qcfs: per channel, order preserved
            out_order = a_order
            if layer.kind == Kind.QCFS:
                p.qcfs_index = qcfs_seen
                qcfs_seen += 1
        planned.append(p)
        order.append(np.asarray(out_order))
    return Plan(model=model, layers=planned, order=order)


def _plan_bias(p: PlannedLayer, layer: Layer) -> None:
    """FP32 layers add their bias in float64 (one rounding at the end); int8 layers in float32."""
    if layer.int8:
        p.weight_scale = layer.weight_scale
        p.bias = layer.bias
    else:
        p.bias = None if layer.bias is None else layer.bias.astype(F64)


def to_file_channel_order(x: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Undo a stored channel permutation: result[:, f] = x[:, j] where order[j] = f."""
    if np.array_equal(order, np.arange(len(order))):
        return x
    return x[:, np.argsort(order)]


# ---------------------------------------------------------------------------
# NCHW operators
# ---------------------------------------------------------------------------


def pad_nchw(x: np.ndarray, ph: int, pw: int, value: float = 0.0) -> np.ndarray:
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def windows(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
            out_hw: tuple[int, int]) -> np.ndarray:
    """im2col view of a padded NCHW array: [N][C][Ho][Wo][kh][kw]."""
    kh, kw = kernel
    sh, sw = stride
    ho, wo = out_hw
    v = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    return v[:, :, ::sh, ::sw][:, :, :ho, :wo]


def conv2d_nchw(x: np.ndarray, weight: np.ndarray, bias: Optional[np.ndarray],
                stride: tuple[int, int], padding: tuple[int, int], out_hw: tuple[int, int]) -> np.ndarray:
    """PyTorch Conv2d (groups 1, dilation 1); float64 accumulation, one rounding to float32."""
    kh, kw = weight.shape[2], weight.shape[3]
    xp = pad_nchw(x.astype(F64), *padding)
    cols = windows(xp, (kh, kw), stride, out_hw)                   # N C Ho Wo kh kw
    y = np.tensordot(cols, weight, axes=([1, 4, 5], [1, 2, 3]))    # N Ho Wo Co
    if bias is not None:
        y = y + bias
    return np.ascontiguousarray(y.transpose(0, 3, 1, 2)).astype(F32)


def linear_nchw(x: np.ndarray, weight: np.ndarray, bias: Optional[np.ndarray]) -> np.ndarray:
    """PyTorch Linear on an (N, Ci, 1, 1) tensor; float64 accumulation."""
    y = x.reshape(x.shape[0], -1).astype(F64) @ weight.T
    if bias is not None:
        y = y + bias
    return y.astype(F32).reshape(x.shape[0], -1, 1, 1)


def avgpool_nchw(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
                 padding: tuple[int, int], out_hw: tuple[int, int]) -> np.ndarray:
    """AvgPool2d(count_include_pad=True, ceil_mode=False): window sum / (kh*kw)."""
    kh, kw = kernel
    xp = pad_nchw(x.astype(F64), *padding)
    sums = windows(xp, kernel, stride, out_hw).sum(axis=(4, 5))
    return (sums / (kh * kw)).astype(F32)


def maxpool_nchw(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
                 padding: tuple[int, int], out_hw: tuple[int, int]) -> np.ndarray:
    """MaxPool2d: padding positions are ignored (padded with -inf)."""
    xp = pad_nchw(x, *padding, value=-np.inf)
    return windows(xp, kernel, stride, out_hw).max(axis=(4, 5)).astype(F32)


def global_avgpool_nchw(x: np.ndarray) -> np.ndarray:
    n, c, h, w = x.shape
    sums = x.astype(F64).sum(axis=(2, 3), keepdims=True)
    return (sums / (h * w)).astype(F32)


def affine_nchw(x: np.ndarray, scale: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """x * scale + shift per channel: a float32 multiplication, then a float32 addition."""
    product = (x * scale.reshape(1, -1, 1, 1)).astype(F32)
    return (product + shift.reshape(1, -1, 1, 1)).astype(F32)


# ---------------------------------------------------------------------------
# Neurons (float32, documented order)
# ---------------------------------------------------------------------------


def qcfs_levels(x: np.ndarray, levels: int, lam: np.float32) -> np.ndarray:
    """q = clamp(floor((x*L)/lam + 0.5), 0, L), as float32."""
    big_l = F32(levels)
    t = (x.astype(F32) * big_l).astype(F32)
    t = (t / F32(lam)).astype(F32)
    t = (t + F32(0.5)).astype(F32)
    return np.clip(np.floor(t), F32(0), big_l).astype(F32)


def qcfs_output(q: np.ndarray, levels: int, lam: np.float32) -> np.ndarray:
    """y = (q*lam)/L, float32."""
    return ((q * F32(lam)).astype(F32) / F32(levels)).astype(F32)


class GroupNeuron:
    """GN(tau, lambda): u = lambda/tau, theta_k = float32(k)*u, v0 = 0.5*u."""

    def __init__(self, shape: tuple[int, ...], tau: int, lam: np.float32) -> None:
        self.tau = tau
        self.u = F32(F32(lam) / F32(tau))
        self.thresholds = [F32(F32(k) * self.u) for k in range(1, tau + 1)]
        self.v = np.full(shape, F32(F32(0.5) * self.u), dtype=F32)
        self.total_spikes = np.zeros(shape, dtype=np.int64)

    def step(self, x: np.ndarray) -> np.ndarray:
        self.v = (self.v + x).astype(F32)                         # 1. v = v + x
        s = np.zeros(self.v.shape, dtype=np.int64)                # 2. s = #{k : v >= theta_k}
        for theta in self.thresholds:
            s += self.v >= theta
        s_u = (s.astype(F32) * self.u).astype(F32)
        self.v = (self.v - s_u).astype(F32)                       # 3. v = v - s*u
        self.total_spikes += s
        self.last_spikes = s
        return s_u                                                # 4. output s*u


class IFNeuron:
    """IF(lambda): v0 = 0.5*lambda; spike (s = 1) when v >= lambda; reset by subtraction."""

    def __init__(self, shape: tuple[int, ...], lam: np.float32) -> None:
        self.lam = F32(lam)
        self.v = np.full(shape, F32(F32(0.5) * self.lam), dtype=F32)
        self.total_spikes = np.zeros(shape, dtype=np.int64)

    def step(self, x: np.ndarray) -> np.ndarray:
        self.v = (self.v + x).astype(F32)
        s = (self.v >= self.lam).astype(np.int64)
        s_lam = (s.astype(F32) * self.lam).astype(F32)
        self.v = (self.v - s_lam).astype(F32)
        self.total_spikes += s
        self.last_spikes = s
        return s_lam


# ---------------------------------------------------------------------------
# Running a session
# ---------------------------------------------------------------------------


@dataclass
class RunResult:
    output: np.ndarray              # float32 [N][C][H][W], mean over steps of the last tensor
    predictions: np.ndarray         # int32 [steps][N]
    spike_counts: list[np.ndarray] = field(default_factory=list)  # int32 [N][C][H][W] per qcfs layer
    steps: int = 1
    # With accounting (gn, if): int64 [steps][qcfs layers][N], the spikes of each step and the
    # synaptic operations they cause.
    step_spikes: Optional[np.ndarray] = None
    step_synaptic_operations: Optional[np.ndarray] = None


def resolve_taus(model: Model, tau: Optional[int], layer_tau: Optional[Sequence[int]]) -> list[int]:
    """Per qcfs layer tau: the override if non-zero, else the default."""
    n = len(model.qcfs_layers)
    if layer_tau is None:
        overrides = [0] * n
    else:
        overrides = [int(t) for t in layer_tau]
        if len(overrides) != n:
            raise ValueError(f"layer tau list has {len(overrides)} entries, the model has {n} qcfs layers")
    taus = []
    for idx, t in enumerate(overrides):
        if t == 0:
            if tau is None:
                raise ValueError("tau is required for the gn neuron")
            t = tau
        if not 1 <= t <= MAX_TAU:
            raise ValueError(f"tau {t} for qcfs layer {idx} is outside 1..{MAX_TAU}")
        taus.append(t)
    return taus


def run(model: Model, x: np.ndarray, neuron: str, tau: Optional[int] = None, T: int = 1,
        layer_tau: Optional[Sequence[int]] = None, accounting: bool = False) -> RunResult:
    """Run a batch `x` (float32 NCHW) through the model with the given neuron kind. With
    `accounting` (gn, if), also count each step's spikes and synaptic operations per qcfs layer."""
    if neuron not in NEURONS:
        raise ValueError(f"neuron must be one of {NEURONS}, got {neuron!r}")
    if int(T) < 1:
        raise ValueError(f"T must be >= 1, got {T}")
    x = np.asarray(x)
    s_in = model.input_shape
    if x.ndim != 4 or x.shape[1:] != (s_in.c, s_in.h, s_in.w) or x.shape[0] < 1:
        raise ValueError(f"input has shape {x.shape}, expected (N >= 1, {s_in.c}, {s_in.h}, {s_in.w})")
    x = x.astype(F32)
    batch = x.shape[0]

    if layer_tau is not None and len(layer_tau) != len(model.qcfs_layers):
        raise ValueError(f"layer tau list has {len(layer_tau)} entries, "
                         f"the model has {len(model.qcfs_layers)} qcfs layers")
    if layer_tau is not None and any(not 0 <= int(t) <= MAX_TAU for t in layer_tau):
        raise ValueError(f"layer tau entries must be in 0..{MAX_TAU}")
    if neuron != "ann" and any(layer.kind == Kind.MAXPOOL2D for layer in model.layers):
        raise ValueError("maxpool2d has no spiking equivalent: the model runs in ann mode only")
    taus = resolve_taus(model, tau, layer_tau) if neuron == "gn" else []

    plan = make_plan(model)
    steps = 1 if neuron == "ann" else int(T)

    # Fresh membrane potentials for this batch (samples never interact: every op is per sample).
    neurons: list = []
    for p in plan.layers:
        if p.layer.kind != Kind.QCFS:
            continue
        shape = (batch, p.layer.out_shape.c, p.layer.out_shape.h, p.layer.out_shape.w)
        if neuron == "gn":
            neurons.append(GroupNeuron(shape, taus[p.qcfs_index], p.layer.lam))
        elif neuron == "if":
            neurons.append(IFNeuron(shape, p.layer.lam))
        else:
            neurons.append(None)
    ann_levels: list[Optional[np.ndarray]] = [None] * len(neurons)

    out_shape = model.output_shape
    running = np.zeros((batch, out_shape.c, out_shape.h, out_shape.w), dtype=F32)
    predictions = np.zeros((steps, batch), dtype=np.int32)
    counting = accounting and neuron != "ann"
    qcfs_plans = [p for p in plan.layers if p.layer.kind == Kind.QCFS]
    step_spikes = np.zeros((steps, len(qcfs_plans), batch), dtype=np.int64)
    step_operations = np.zeros((steps, len(qcfs_plans), batch), dtype=np.int64)
    for t in range(steps):
        tensors: list[np.ndarray] = [x]      # direct encoding: the same input every step
        integers: list[Optional[IntegerTensor]] = [None]
        for p in plan.layers:
            value, integer = _apply(p, tensors, integers, neuron, neurons, ann_levels)
            tensors.append(value)
            integers.append(integer)
        if counting:
            for p in qcfs_plans:
                spikes = neurons[p.qcfs_index].last_spikes
                step_spikes[t, p.qcfs_index] = spikes.reshape(batch, -1).sum(axis=1)
                step_operations[t, p.qcfs_index] = np.rint(reach(plan, p.layer.index, spikes)).astype(np.int64)
        y = to_file_channel_order(tensors[-1], plan.order[-1])
        running = (running + y).astype(F32)
        predictions[t] = np.argmax(running.reshape(batch, -1), axis=1)  # first index on ties

    output = (running / F32(steps)).astype(F32)
    spike_counts: list[np.ndarray] = []
    for p in plan.layers:
        if p.layer.kind != Kind.QCFS:
            continue
        if neuron == "ann":
            counts = ann_levels[p.qcfs_index]
        else:
            counts = neurons[p.qcfs_index].total_spikes
        order = plan.order[p.layer.index + 1]
        spike_counts.append(to_file_channel_order(counts, order).astype(np.int32))
    return RunResult(output=output, predictions=predictions, spike_counts=spike_counts, steps=steps,
                     step_spikes=step_spikes if counting else None,
                     step_synaptic_operations=step_operations if counting else None)


def reach(plan: Plan, start: int, counts: np.ndarray) -> np.ndarray:
    """The synaptic operations, per sample, that `counts` spikes (NCHW, in the stored channel order)
    of the output of layer `start` cause. The counts flow on, unchanged in number, through pooling
    (summed over each window's taps inside the input, not averaged), global pooling, flatten, add and
    affine layers; every weight of a conv2d or linear layer they reach (at a window tap inside the
    input) and every neuron of a qcfs layer they reach directly is one accumulate per spike."""
    batch = counts.shape[0]
    flows: dict[int, np.ndarray] = {start + 1: counts.astype(F64)}
    total = np.zeros(batch, dtype=F64)
    for p in plan.layers[start + 1:]:
        layer = p.layer
        a = flows.get(layer.input_a)
        b = flows.get(layer.input_b) if layer.kind == Kind.ADD else None
        if a is None and b is None:
            continue
        out_hw = (layer.out_shape.h, layer.out_shape.w)
        if layer.kind == Kind.CONV2D:
            kernel = (p.weight.shape[2], p.weight.shape[3])
            taps = windows(pad_nchw(a, *layer.padding), kernel, layer.stride, out_hw)
            total += taps.sum(axis=(1, 2, 3, 4, 5)) * layer.out_shape.c
        elif layer.kind == Kind.LINEAR:
            total += a.reshape(batch, -1).sum(axis=1) * layer.out_shape.c
        elif layer.kind == Kind.QCFS:
            total += a.reshape(batch, -1).sum(axis=1)
        elif layer.kind in (Kind.AVGPOOL2D, Kind.MAXPOOL2D):
            flows[layer.index + 1] = windows(pad_nchw(a, *layer.padding), layer.kernel, layer.stride, out_hw).sum(axis=(4, 5))
        elif layer.kind == Kind.GLOBAL_AVGPOOL:
            flows[layer.index + 1] = a.sum(axis=(2, 3), keepdims=True)
        elif layer.kind == Kind.FLATTEN:
            flows[layer.index + 1] = a.reshape(batch, -1, 1, 1)
        elif layer.kind == Kind.ADD:
            zero = np.zeros((batch, layer.out_shape.c, layer.out_shape.h, layer.out_shape.w), dtype=F64)
            flows[layer.index + 1] = (zero if a is None else a) + (zero if b is None else b[:, p.b_reindex])
        elif layer.kind == Kind.AFFINE:
            flows[layer.index + 1] = a
    return total


@dataclass
class IntegerTensor:
    """A tensor that holds integers times one scale: ``q`` (int64, NCHW in the stored channel
    order) times ``scale``, every integer in 0 ... ``largest``."""

    q: np.ndarray
    scale: np.float32
    largest: int


INT32_MAX = 2**31 - 1


def integer_layer(p: PlannedLayer, a: IntegerTensor, out_hw: tuple[int, int]) -> np.ndarray:
    """An int8 conv2d or linear layer: the exact integer sum of q * w over each output's window,
    then float32(sum) * (scale[o] * sigma) + bias[o], each float32 operation rounded once."""
    layer = p.layer
    fan_in = int(np.prod(p.weight.shape[1:]))
    if fan_in * 128 * a.largest > INT32_MAX:
        raise ValueError(f"layer {layer.index}: int8 sums could overflow int32 "
                         f"(fan-in {fan_in} x 128 x largest input integer {a.largest} > 2^31 - 1)")
    q = a.q.astype(F64)    # integer products and sums below 2^53 are exact in float64
    if layer.kind == Kind.CONV2D:
        kh, kw = p.weight.shape[2], p.weight.shape[3]
        cols = windows(pad_nchw(q, *layer.padding), (kh, kw), layer.stride, out_hw)
        sums = np.tensordot(cols, p.weight, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)
        shape = (1, -1, 1, 1)
    else:
        sums = (q.reshape(q.shape[0], -1) @ p.weight.T).reshape(q.shape[0], -1, 1, 1)
        shape = (1, -1, 1, 1)
    sums = np.rint(sums).astype(np.int64)
    assert np.abs(sums).max(initial=0) <= INT32_MAX
    factor = (p.weight_scale * a.scale).astype(F32).reshape(shape)
    y = (sums.astype(F32) * factor).astype(F32)
    if p.bias is not None:
        y = (y + p.bias.astype(F32).reshape(shape)).astype(F32)
    return np.ascontiguousarray(y)


def _apply(p: PlannedLayer, tensors: list[np.ndarray], integers: list[Optional[IntegerTensor]], neuron: str,
           neurons: list, ann_levels: list[Optional[np.ndarray]]) -> tuple[np.ndarray, Optional[IntegerTensor]]:
    """The layer's output, and its integers when it holds some (a neuron's, pooled or flattened)."""
    layer = p.layer
    a = tensors[layer.input_a]
    ia = integers[layer.input_a]
    out_hw = (layer.out_shape.h, layer.out_shape.w)
    if layer.kind in (Kind.CONV2D, Kind.LINEAR) and layer.int8:
        assert ia is not None, "the reader checks that int8 layers read integers"
        return integer_layer(p, ia, out_hw), None
    if layer.kind == Kind.CONV2D:
        return conv2d_nchw(a, p.weight, p.bias, layer.stride, layer.padding, out_hw), None
    if layer.kind == Kind.LINEAR:
        return linear_nchw(a, p.weight, p.bias), None
    if layer.kind == Kind.AVGPOOL2D:
        kh, kw = layer.kernel
        pooled = None if ia is None else IntegerTensor(
            np.rint(windows(pad_nchw(ia.q.astype(F64), *layer.padding), layer.kernel, layer.stride, out_hw)
                    .sum(axis=(4, 5))).astype(np.int64), F32(ia.scale / F32(kh * kw)), ia.largest * kh * kw)
        return avgpool_nchw(a, layer.kernel, layer.stride, layer.padding, out_hw), pooled
    if layer.kind == Kind.MAXPOOL2D:
        pooled = None if ia is None else IntegerTensor(
            windows(pad_nchw(ia.q, *layer.padding, value=0), layer.kernel, layer.stride, out_hw).max(axis=(4, 5)),
            ia.scale, ia.largest)
        return maxpool_nchw(a, layer.kernel, layer.stride, layer.padding, out_hw), pooled
    if layer.kind == Kind.GLOBAL_AVGPOOL:
        hw = a.shape[2] * a.shape[3]
        pooled = None if ia is None else IntegerTensor(
            ia.q.sum(axis=(2, 3), keepdims=True), F32(ia.scale / F32(hw)), ia.largest * hw)
        return global_avgpool_nchw(a), pooled
    if layer.kind == Kind.FLATTEN:
        flat = None if ia is None else IntegerTensor(ia.q.reshape(ia.q.shape[0], -1, 1, 1), ia.scale, ia.largest)
        return a.reshape(a.shape[0], -1, 1, 1), flat        # PyTorch order (c, h, w)
    if layer.kind == Kind.ADD:
        b = tensors[layer.input_b][:, p.b_reindex]
        return (a + b).astype(F32), None
    if layer.kind == Kind.AFFINE:
        return affine_nchw(a, p.scale, p.shift), None
    if layer.kind == Kind.QCFS:
        if neuron == "ann":
            q = qcfs_levels(a, layer.levels, layer.lam)
            ann_levels[p.qcfs_index] = q.astype(np.int64)
            levels = IntegerTensor(q.astype(np.int64), F32(F32(layer.lam) / F32(layer.levels)), layer.levels)
            return qcfs_output(q, layer.levels, layer.lam), levels
        cell = neurons[p.qcfs_index]
        y = cell.step(a)
        if neuron == "gn":
            return y, IntegerTensor(cell.last_spikes, cell.u, cell.tau)
        return y, IntegerTensor(cell.last_spikes, cell.lam, 1)
    raise AssertionError(f"unhandled kind {layer.kind}")


# ---------------------------------------------------------------------------
# Output file and CLI
# ---------------------------------------------------------------------------


def encode_result(result: RunResult) -> bytes:
    """Sections a) output float32 [N][elements], b) int32 [steps][N], c) int32 counts per qcfs layer."""
    batch = result.output.shape[0]
    parts = [
        result.output.reshape(batch, -1).astype("<f4").tobytes(),
        result.predictions.astype("<i4").tobytes(),
    ]
    parts.extend(c.astype("<i4").tobytes() for c in result.spike_counts)
    return b"".join(parts)


def parse_layer_tau(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--layer-tau must be comma-separated integers, got {text!r}") from None
    if any(v < 0 for v in values):
        raise argparse.ArgumentTypeError("--layer-tau entries must be >= 0")
    return values


def build_arg_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description="Independent numpy reference for GNRuntime.")
    ap.add_argument("model", help="model file (docs/model-format.md)")
    ap.add_argument("input", help="raw little-endian float32 input, batch x C x H x W (NCHW)")
    ap.add_argument("output", help="where to write the raw result")
    ap.add_argument("--neuron", choices=NEURONS, required=True)
    ap.add_argument("--tau", type=int, default=None, help="members per Group Neuron, 1..64 (gn)")
    ap.add_argument("--T", type=int, default=1, help="time steps (ignored in ann mode)")
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--layer-tau", type=parse_layer_tau, default=None,
                    help="per-qcfs-layer tau in file order, 0 = use --tau")
    return ap


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_arg_parser().parse_args(argv)   # exits with status 2 on bad arguments
    try:
        if args.batch < 1:
            raise ValueError(f"--batch must be >= 1, got {args.batch}")
        if args.T < 1:
            raise ValueError(f"--T must be >= 1, got {args.T}")
        with open(args.model, "rb") as f:
            model = load_model(f.read())
        with open(args.input, "rb") as f:
            raw = f.read()
        s = model.input_shape
        expected = args.batch * s.size * 4
        if len(raw) != expected:
            raise ValueError(f"input file is {len(raw)} bytes, expected {expected} "
                             f"(batch {args.batch} x {s.c} x {s.h} x {s.w} float32)")
        x = np.frombuffer(raw, dtype="<f4").reshape(args.batch, s.c, s.h, s.w).astype(F32)
        result = run(model, x, args.neuron, args.tau, args.T, args.layer_tau)
    except (ValueError, OSError) as e:
        print(f"gn_reference: error: {e}", file=sys.stderr)
        return 2
    with open(args.output, "wb") as f:
        f.write(encode_result(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
