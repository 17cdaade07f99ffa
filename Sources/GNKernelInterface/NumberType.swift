/// The number types a weighted layer computes in.
public enum NumberType: Sendable {
    /// IEEE 754 single precision weights and activations.
    case float32
    /// int8 weights (one scale per output channel) over integer-valued inputs (spike counts or QCFS
    /// levels, times one scale per tensor), summed exactly in int32 (docs/semantics.md, "Integer layers").
    case int8
}
