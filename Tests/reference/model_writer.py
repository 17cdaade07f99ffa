"""A small writer for GNRuntime model files (docs/model-format.md), for tests.

Arrays are given in the file's channels-last layouts:

* conv2d weights ``[kh][kw][Ci][Co]``, linear weights ``[Ci][Co]``, bias ``[Co]``,
* affine scale / shift ``[C]``.

Usage::

    w = ModelWriter(c=1, h=3, w=3)
    t1 = w.conv2d(weights, bias, stride=(2, 2), padding=(1, 1))
    t2 = w.qcfs(levels=4, lam=1.0)
    data = w.to_bytes()

Every layer method returns the id of the tensor it produces and, by default, reads
the most recent tensor.  ``records`` holds the raw record fields so tests can tamper
with them before ``to_bytes``; ``fix_checksum`` recomputes the CRC after editing bytes.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

HEADER = struct.Struct("<4sHHIIQIIQIIIIQ")
RECORD = struct.Struct("<HHIIIIIHHHHHHIfIQQ")
NO_INPUT = 0xFFFFFFFF

CONV2D, LINEAR, AVGPOOL2D, MAXPOOL2D, GLOBAL_AVGPOOL, FLATTEN, ADD, AFFINE, QCFS = range(1, 10)


@dataclass
class Record:
    kind: int
    flags: int = 0
    input_a: int = 0
    input_b: int = NO_INPUT
    c: int = 0
    h: int = 0
    w: int = 0
    kh: int = 0
    kw: int = 0
    sh: int = 0
    sw: int = 0
    ph: int = 0
    pw: int = 0
    levels: int = 0
    lam: float = 0.0
    reserved: int = 0
    # blobs to place; their offsets are filled in by to_bytes unless forced below
    blob_p: Optional[np.ndarray] = None
    blob_q: Optional[np.ndarray] = None
    force_offset_p: Optional[int] = None
    force_offset_q: Optional[int] = None


def _out(n: int, k: int, s: int, p: int) -> int:
    return (n + 2 * p - k) // s + 1


def fix_checksum(data: bytes) -> bytes:
    """Return `data` with the CRC-32 field (bytes 12..15) recomputed."""
    buf = bytearray(data)
    buf[12:16] = b"\0\0\0\0"
    crc = zlib.crc32(bytes(buf)) & 0xFFFFFFFF
    buf[12:16] = struct.pack("<I", crc)
    return bytes(buf)


@dataclass
class ModelWriter:
    c: int
    h: int
    w: int
    records: list[Record] = field(default_factory=list)
    shapes: list[tuple[int, int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.shapes = [(self.c, self.h, self.w)]

    # -- helpers -----------------------------------------------------------------
    def _input(self, input_id: Optional[int]) -> int:
        return len(self.shapes) - 1 if input_id is None else input_id

    def _push(self, record: Record, shape: tuple[int, int, int]) -> int:
        record.c, record.h, record.w = shape
        self.records.append(record)
        self.shapes.append(shape)
        return len(self.shapes) - 1

    @staticmethod
    def _f32(a) -> np.ndarray:
        return np.ascontiguousarray(np.asarray(a, dtype=np.float32))

    # -- layers ------------------------------------------------------------------
    def conv2d(self, weights, bias=None, stride=(1, 1), padding=(0, 0), input_id: Optional[int] = None) -> int:
        a = self._input(input_id)
        ci, hi, wi = self.shapes[a]
        wts = self._f32(weights)
        kh, kw, wci, co = wts.shape
        assert wci == ci, f"conv2d weights have Ci={wci}, input has {ci}"
        rec = Record(CONV2D, flags=int(bias is not None), input_a=a, kh=kh, kw=kw,
                     sh=stride[0], sw=stride[1], ph=padding[0], pw=padding[1],
                     blob_p=wts, blob_q=None if bias is None else self._f32(bias))
        shape = (co, _out(hi, kh, stride[0], padding[0]), _out(wi, kw, stride[1], padding[1]))
        return self._push(rec, shape)

    def linear(self, weights, bias=None, input_id: Optional[int] = None) -> int:
        a = self._input(input_id)
        wts = self._f32(weights)
        ci, co = wts.shape
        assert (ci, 1, 1) == self.shapes[a], f"linear weights [{ci}][{co}] vs input {self.shapes[a]}"
        rec = Record(LINEAR, flags=int(bias is not None), input_a=a, blob_p=wts,
                     blob_q=None if bias is None else self._f32(bias))
        return self._push(rec, (co, 1, 1))

    def _pool(self, kind: int, kernel, stride, padding, input_id: Optional[int]) -> int:
        a = self._input(input_id)
        ci, hi, wi = self.shapes[a]
        rec = Record(kind, input_a=a, kh=kernel[0], kw=kernel[1], sh=stride[0], sw=stride[1],
                     ph=padding[0], pw=padding[1])
        shape = (ci, _out(hi, kernel[0], stride[0], padding[0]), _out(wi, kernel[1], stride[1], padding[1]))
        return self._push(rec, shape)

    def avgpool2d(self, kernel, stride, padding=(0, 0), input_id: Optional[int] = None) -> int:
        return self._pool(AVGPOOL2D, kernel, stride, padding, input_id)

    def maxpool2d(self, kernel, stride, padding=(0, 0), input_id: Optional[int] = None) -> int:
        return self._pool(MAXPOOL2D, kernel, stride, padding, input_id)

    def global_avgpool(self, input_id: Optional[int] = None) -> int:
        a = self._input(input_id)
        return self._push(Record(GLOBAL_AVGPOOL, input_a=a), (self.shapes[a][0], 1, 1))

    def flatten(self, input_id: Optional[int] = None) -> int:
        a = self._input(input_id)
        ci, hi, wi = self.shapes[a]
        return self._push(Record(FLATTEN, input_a=a), (ci * hi * wi, 1, 1))

    def add(self, a: int, b: int) -> int:
        assert self.shapes[a] == self.shapes[b]
        return self._push(Record(ADD, input_a=a, input_b=b), self.shapes[a])

    def affine(self, scale, shift, input_id: Optional[int] = None) -> int:
        a = self._input(input_id)
        rec = Record(AFFINE, input_a=a, blob_p=self._f32(scale), blob_q=self._f32(shift))
        return self._push(rec, self.shapes[a])

    def qcfs(self, levels: int, lam: float, input_id: Optional[int] = None) -> int:
        a = self._input(input_id)
        return self._push(Record(QCFS, input_a=a, levels=levels, lam=lam), self.shapes[a])

    # -- serialisation -------------------------------------------------------------
    def to_bytes(self, major: int = 1, minor: int = 0, table_offset: int = 64) -> bytes:
        n = len(self.records)
        table_end = table_offset + n * RECORD.size
        cursor = -(-table_end // 64) * 64
        blob_bytes: list[tuple[int, bytes]] = []
        offsets: list[tuple[int, int]] = []
        for rec in self.records:
            pair = []
            for blob, forced in ((rec.blob_p, rec.force_offset_p), (rec.blob_q, rec.force_offset_q)):
                if forced is not None:
                    pair.append(forced)
                elif blob is None:
                    pair.append(0)
                else:
                    pair.append(cursor)
                    raw = blob.astype("<f4").tobytes()
                    blob_bytes.append((cursor, raw))
                    cursor = -(-(cursor + len(raw)) // 64) * 64
            offsets.append((pair[0], pair[1]))
        size = max([cursor, table_end] + [o + len(b) for o, b in blob_bytes])
        buf = bytearray(size)
        HEADER.pack_into(buf, 0, b"GNRT", major, minor, 64, 0, size, n, RECORD.size,
                         table_offset, self.c, self.h, self.w, 0, 0)
        for i, (rec, (op, oq)) in enumerate(zip(self.records, offsets)):
            RECORD.pack_into(buf, table_offset + i * RECORD.size, rec.kind, rec.flags, rec.input_a,
                             rec.input_b, rec.c, rec.h, rec.w, rec.kh, rec.kw, rec.sh, rec.sw,
                             rec.ph, rec.pw, rec.levels, rec.lam, rec.reserved, op, oq)
        for off, raw in blob_bytes:
            buf[off:off + len(raw)] = raw
        return fix_checksum(bytes(buf))
