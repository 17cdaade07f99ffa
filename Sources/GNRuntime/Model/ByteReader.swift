/// Little-endian reads from model bytes at any alignment.
struct ByteReader {
    /// The bytes being read; the caller checks every offset against `count` before reading.
    let base: UnsafeRawPointer

    @inline(__always) func u16(_ offset: Int) -> UInt16 {
        UInt16(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always) func u32(_ offset: Int) -> UInt32 {
        UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always) func u64(_ offset: Int) -> UInt64 {
        UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @inline(__always) func f32(_ offset: Int) -> Float {
        Float(bitPattern: u32(offset))
    }
}
