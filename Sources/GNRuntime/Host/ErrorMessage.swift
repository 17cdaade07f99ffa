import GNRuntimeCore

/// Writes a `GNError` as a NUL-terminated message into a fixed buffer, without allocating:
/// "<status>: layer <i> (<kind>): <message> (expected <e>, got <a>)".
struct ErrorMessage {
    private let buffer: UnsafeMutablePointer<CChar>
    private let capacity: Int
    private var length = 0

    /// Formats `error` into `buffer` of `capacity` bytes (truncating if needed). `model`, when given,
    /// names the kind of the layer the error is about.
    @discardableResult
    static func write(_ error: GNError, model: ModelView?, into buffer: UnsafeMutablePointer<CChar>,
                      capacity: Int) -> UnsafeMutablePointer<CChar> {
        var writer = ErrorMessage(buffer: buffer, capacity: capacity)
        writer.append(error.status.description)
        writer.append(": ")
        if error.layer >= 0 {
            writer.append("layer ")
            writer.append(error.layer)
            if let model, error.layer < model.layerCount {
                writer.append(" (")
                writer.append(model.layer(error.layer).kind.name)
                writer.append(")")
            }
            writer.append(": ")
        }
        writer.append(error.message)
        if error.expected >= 0 || error.actual >= 0 {
            writer.append(" (")
            if error.expected >= 0 {
                writer.append("expected ")
                writer.append(error.expected)
                if error.actual >= 0 { writer.append(", ") }
            }
            if error.actual >= 0 {
                writer.append("got ")
                writer.append(error.actual)
            }
            writer.append(")")
        }
        return buffer
    }

    private init(buffer: UnsafeMutablePointer<CChar>, capacity: Int) {
        self.buffer = buffer
        self.capacity = capacity
        buffer[0] = 0
    }

    private mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes in
            for byte in bytes { appendByte(byte) }
        }
    }

    private mutating func append(_ value: Int) {
        var digits = InlineArray<20, UInt8>(repeating: 0)
        var remaining = value
        var count = 0
        repeat {
            digits[count] = UInt8(48 + remaining % 10)
            remaining /= 10
            count += 1
        } while remaining > 0 && count < 20
        while count > 0 {
            count -= 1
            appendByte(digits[count])
        }
    }

    private mutating func appendByte(_ byte: UInt8) {
        guard length + 1 < capacity else { return }
        buffer[length] = CChar(bitPattern: byte)
        length += 1
        buffer[length] = 0
    }
}
