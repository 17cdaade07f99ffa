/// Hands out aligned regions one after another, refusing sizes that overflow `Int`.
struct SizeCursor {
    /// The next free offset.
    private(set) var offset: Int

    init(start: Int) { offset = start }

    static let overflowError = GNError(.invalidOption, "session memory size overflows: batch or time_steps too large for this model")

    /// `count × elements` values of `size` bytes (4 unless told), rounded up to the arena alignment.
    static func bytes(count: Int, elements: Int, size: Int = 4) throws(GNError) -> Int {
        let (values, overflow1) = count.multipliedReportingOverflow(by: elements)
        let (bytes, overflow2) = values.multipliedReportingOverflow(by: size)
        guard !overflow1, !overflow2, bytes <= Int.max - ArenaLayout.alignment else { throw overflowError }
        return ArenaLayout.roundedUp(bytes)
    }

    /// Reserves `count × elements` 4-byte values and returns their offset.
    mutating func take(count: Int, elements: Int) throws(GNError) -> Int {
        try take(bytes: SizeCursor.bytes(count: count, elements: elements))
    }

    /// Reserves `size` bytes (a multiple of the alignment) and returns their offset.
    mutating func take(bytes size: Int) throws(GNError) -> Int {
        let (end, overflow) = offset.addingReportingOverflow(size)
        guard !overflow else { throw SizeCursor.overflowError }
        defer { offset = end }
        return offset
    }
}
