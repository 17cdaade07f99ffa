/// Little-endian reads from model bytes at any alignment.
///
/// Integer fields become `Int` without trapping and without the generic conversions that 32-bit
/// Embedded targets cannot compile allocation-free: a u32 too large for `Int` reads as `Int.max`, a u64
/// as nil; validation then rejects both.
struct ByteReader {
    /// The bytes being read; the caller checks every offset against the length before reading.
    let base: UnsafeRawPointer

    @inline(__always) func u16(_ offset: Int) -> UInt16 {
        UInt16(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always) func u32(_ offset: Int) -> UInt32 {
        UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always) func f32(_ offset: Int) -> Float {
        Float(bitPattern: u32(offset))
    }

    /// The u16 at `offset` as an `Int`.
    @inline(__always) func int16(_ offset: Int) -> Int {
        Int(u16(offset))
    }

    /// The u32 at `offset` as an `Int`, or `Int.max` when it does not fit.
    @inline(__always) func int32(_ offset: Int) -> Int {
        Int(clamping: u32(offset))
    }

    /// The u64 at `offset` as an `Int`, or nil when it does not fit.
    func int64(_ offset: Int) -> Int? {
        let low = u32(offset)
        let high = u32(offset + 4)
        #if _pointerBitWidth(_64)
        guard high < 0x8000_0000 else { return nil }
        return Int(high) << 32 | Int(low)
        #else
        guard high == 0, low <= UInt32(Int32.max) else { return nil }
        return Int(low)
        #endif
    }
}
