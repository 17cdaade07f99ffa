/// The number types a weighted layer computes in.
///
/// A raw type, though nothing reads it: a public enum without one gets a `hash(into:)` of its own,
/// which brings the standard library's hasher (1.1–1.5 KiB) into the microcontroller libraries that
/// no firmware hashes with; with one, its hashing is the standard library's generic code, compiled
/// only where called (docs/embedded.md, "The static libraries").
public enum NumberType: UInt8, Sendable {
    /// IEEE 754 single precision weights and activations.
    case float32
    /// int8 weights (one scale per output channel) over integer-valued inputs (spike counts or QCFS
    /// levels, times one scale per tensor), summed exactly in int32 (docs/semantics.md, "Integer layers").
    case int8
}

extension NumberType {
    /// The largest magnitude the sum of an int8 layer's output can reach: `fanIn × 128 × largestInput`
    /// (an int8 weight is at most 128 in magnitude), or nil when that overflows `Int`. The planner
    /// refuses a layer whose bound passes int32; kernels that sum in float need it within 2²⁴.
    public static func largestInt8Sum(fanIn: Int, largestInput: Int) -> Int? {
        let (perInput, overflow1) = largestInput.multipliedReportingOverflow(by: 128)
        let (total, overflow2) = perInput.multipliedReportingOverflow(by: fanIn)
        return overflow1 || overflow2 ? nil : total
    }
}
