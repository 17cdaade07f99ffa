// Saturating arithmetic on counts, which must never trap: spike and operation counts.

extension Int {
    /// `self + other`, or `Int.max` when that overflows (both are counts, ≥ 0).
    @inline(__always)
    func saturatingAdding(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? Int.max : sum
    }

    /// `self × other`, or `Int.max` when that overflows (both are counts, ≥ 0).
    @inline(__always)
    func saturatingMultiplied(by other: Int) -> Int {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? Int.max : product
    }
}
