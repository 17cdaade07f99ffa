import GNKernelInterface

/// How a tensor holds integers: every value is `q · scale` for an integer `q` in `0 ... largest`.
/// Neuron layers emit such tensors (spike counts, QCFS levels), pooling and flatten keep the form, and
/// the int8 layers reading them sum the integers exactly (docs/semantics.md, "Integer layers").
///
/// The tensors are stored as floats, each within `roundings` roundings (a relative 2⁻²⁴ each) of its
/// exact `q · scale`; an int8 layer recovers `q` by rounding `x · (1/scale)`, two roundings more.
struct IntegerForm {
    /// The scale `σ` every integer is multiplied by.
    var scale: Float
    /// The largest integer a value may hold.
    var largest: Int
    /// Roundings between a stored value and its exact `q · scale` (a relative error of at most
    /// `roundings · 2⁻²⁴`, to first order).
    var roundings: Int

    /// The form of a neuron layer's output: `s · λ/τ` for a Group Neuron (`s ≤ τ`, one rounding:
    /// the product), `s · λ` for IF (`s ≤ 1`, exact), `(q·λ)/L` for QCFS (`q ≤ L`; two roundings, and a
    /// third between `λ/L` and the exact quotient).
    static func neuron(_ kind: NeuronKind, _ parameters: NeuronParameters) -> IntegerForm {
        switch kind {
        case .ann:
            return IntegerForm(scale: parameters.threshold / Float(parameters.levels), largest: parameters.levels, roundings: 3)
        case .groupNeuron:
            return IntegerForm(scale: parameters.unit, largest: parameters.members, roundings: 1)
        case .integrateAndFire:
            return IntegerForm(scale: parameters.threshold, largest: 1, roundings: 0)
        }
    }

    /// The form of the sum over a window of `window` values divided by `window` (an average pool):
    /// integers up to `window · largest`, scale `σ / window` (one rounding); the sum of `window`
    /// non-negative values adds `window − 1` roundings, the division one. Nil when the integers
    /// overflow `Int`.
    func averaged(over window: Int) -> IntegerForm? {
        let (sum, overflow) = largest.multipliedReportingOverflow(by: window)
        guard !overflow else { return nil }
        return IntegerForm(scale: scale / Float(window), largest: sum, roundings: roundings + window + 1)
    }

    /// Whether rounding `x · (1/scale)` recovers every integer exactly: the stored value's error
    /// (plus the two roundings of the recovery) stays below a quarter at the largest integer,
    /// `largest · (roundings + 3) ≤ 2²²`, and no value is subnormal or near overflow (the scale is
    /// normal; `largest · scale` stays below 2⁶⁴, far from the float range's end).
    var isRecoverable: Bool {
        let (weighted, overflow) = largest.multipliedReportingOverflow(by: roundings + 3)
        return !overflow && weighted <= 1 << 22 && scale.isNormal && scale > 0
            && Float(largest) * scale < 0x1p64
    }

    /// Whether the int32 sum of `fanIn` products of an int8 weight (|w| ≤ 128) and an integer of this
    /// form cannot overflow: `fanIn · 128 · largest ≤ 2³¹ − 1`.
    func sumFitsInt32(fanIn: Int) -> Bool {
        guard let sum = NumberType.largestInt8Sum(fanIn: fanIn, largestInput: largest) else { return false }
        return sum <= Int(Int32.max)
    }
}
