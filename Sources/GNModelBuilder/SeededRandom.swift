/// A small deterministic random generator (SplitMix64), so that a seed names the same weights on
/// every platform and every run.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform float in `[0, 1)` with 24 random bits.
    public mutating func unit() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A uniform float in `[-bound, bound)`.
    public mutating func symmetric(_ bound: Float) -> Float {
        (2 * unit() - 1) * bound
    }
}
