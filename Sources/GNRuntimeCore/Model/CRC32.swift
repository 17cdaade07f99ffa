/// CRC-32 as zlib, gzip and PNG compute it (reflected polynomial 0xEDB88320, initial value and final
/// xor 0xFFFFFFFF). The model file's checksum.
package enum CRC32 {
    /// The CRC of `bytes`, computed as if the four bytes at `zeroedOffset` were zero.
    package static func checksum(_ bytes: UnsafeRawBufferPointer, zeroingFourBytesAt zeroedOffset: Int) -> UInt32 {
        var state = State()
        let zeroEnd = zeroedOffset + 4
        state.update(UnsafeRawBufferPointer(rebasing: bytes[0..<zeroedOffset]))
        let zeros: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
        withUnsafeBytes(of: zeros) { state.update($0) }
        state.update(UnsafeRawBufferPointer(rebasing: bytes[zeroEnd...]))
        return state.finish()
    }

    /// The CRC of `bytes`.
    package static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var state = State()
        state.update(bytes)
        return state.finish()
    }

    #if hasFeature(Embedded)
    /// One 256-entry table on small devices (1 KiB of stack, a byte per step).
    typealias Table = InlineArray<256, UInt32>
    #else
    /// Eight tables on hosts: "slicing by 8" reads a word per step (8 KiB of stack).
    typealias Table = InlineArray<2048, UInt32>
    #endif

    /// How many 256-entry tables `Table` holds.
    static let slices = Table.count / 256

    /// A running CRC with its lookup tables on the stack.
    struct State {
        var crc: UInt32 = 0xFFFF_FFFF
        var table = Table(repeating: 0)

        init() {
            for index in 0..<256 {
                var value = UInt32(index)
                for _ in 0..<8 {
                    value = (value & 1) != 0 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1
                }
                table[index] = value
            }
            if CRC32.slices == 8 {
                for slice in 1..<8 {
                    for index in 0..<256 {
                        let previous = table[(slice - 1) * 256 + index]
                        table[slice * 256 + index] = (previous >> 8) ^ table[Int(previous & 0xFF)]
                    }
                }
            }
        }

        mutating func update(_ bytes: UnsafeRawBufferPointer) {
            guard let base = bytes.baseAddress else { return }
            var offset = 0
            let count = bytes.count
            #if !hasFeature(Embedded)
            if CRC32.slices == 8 {
                while offset + 8 <= count {
                    let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                    let low = UInt32(truncatingIfNeeded: word) ^ crc
                    let high = UInt32(truncatingIfNeeded: word >> 32)
                    crc = table[7 * 256 + Int(low & 0xFF)] ^ table[6 * 256 + Int((low >> 8) & 0xFF)]
                        ^ table[5 * 256 + Int((low >> 16) & 0xFF)] ^ table[4 * 256 + Int(low >> 24)]
                        ^ table[3 * 256 + Int(high & 0xFF)] ^ table[2 * 256 + Int((high >> 8) & 0xFF)]
                        ^ table[1 * 256 + Int((high >> 16) & 0xFF)] ^ table[Int(high >> 24)]
                    offset += 8
                }
            }
            #endif
            while offset < count {
                let byte = base.load(fromByteOffset: offset, as: UInt8.self)
                crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
                offset += 1
            }
        }

        func finish() -> UInt32 { ~crc }
    }
}
