import GNKernelInterface

/// The QCFS activation of the ANN: `clamp(floor((x·L)/λ + 0.5), 0, L)`, then `(q·λ)/L`.
enum QCFS {
    /// Applies QCFS with `levels` and `threshold` to `count` values; `output` may be `input`.
    /// SIMD on purpose: 16 values per step, then the same arithmetic one value at a time.
    ///
    /// The definition divides twice (docs/semantics.md); a vector division costs as much as the rest of
    /// the step together, so the vector loop multiplies where it can prove the result is the same:
    /// - the level: `((x·L)·(1/λ) + 0.5)` floored, kept for the 16 values when each lies at least
    ///   `(|t| + 1)·2⁻¹⁸` from an integer (or past the clamps): the product differs from the quotient
    ///   by less than `|t|·2⁻²²`, and the two additions of 0.5 by at most an ulp more, so both sides of
    ///   every such value floor alike. Otherwise the 16 values are divided, as defined (rarely: a value
    ///   falls that near an integer about once in 10⁴).
    /// - the output: `(q·λ)·(1/L)` instead of `(q·λ)/L` when the two agree for every level 0 … L,
    ///   checked once per call (always when L is a power of two, whose reciprocal is exact).
    static func apply(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, count: Int,
                      levels: Int, threshold: Float) {
        let levelCount = Float(levels)
        var index = 0
        // Microcontrollers have no vector unit: there the vector loop would be emulated lane by lane in
        // more code (8 KiB on RV32 for this one) and no fewer instructions than the loop below.
        #if !hasFeature(Embedded)
        let reciprocal = 1 / threshold, levelReciprocal = 1 / levelCount
        // 1/λ normal: the product's error bound above holds.
        let levelsByProduct = reciprocal.isNormal
        // Checking every level costs L + 1 divisions: only when the call divides more than that.
        let outputsByProduct = levels < count / 16 && (0...levels).allSatisfy { level in
            let product = Float(level) * threshold
            return product * levelReciprocal == product / levelCount
        }
        while index + 16 <= count {
            let scaled = SIMD16<Float>.load(input + index) * levelCount
            var q = SIMD16<Float>(), divides = true
            if levelsByProduct {
                let estimate = scaled * reciprocal, shifted = estimate + 0.5
                let floored = shifted.rounded(.down), distance = shifted - floored
                let margin = (estimate.replacing(with: -estimate, where: estimate .< 0) + 1) * 0x1p-18
                // NaN decides nothing (every comparison false): it goes the divided way.
                let decided = (distance .> margin) .& (distance .< 1 - margin) .| (estimate .> levelCount + 1) .| (estimate .< -1)
                if all(decided) { (q, divides) = (floored, false) }
            }
            if divides { q = (scaled / threshold + 0.5).rounded(.down) }
            // Clamp to [0, L]; NaN (q ≥ 0 false) becomes 0.
            q.replace(with: 0, where: .!(q .>= 0))
            q.replace(with: levelCount, where: q .> levelCount)
            let product = q * threshold
            (outputsByProduct ? product * levelReciprocal : product / levelCount).store(output + index)
            index += 16
        }
        #endif
        while index < count {
            output[index] = (level(input[index], levels: levelCount, threshold: threshold) * threshold) / levelCount
            index += 1
        }
    }

    /// The quantisation level `q` in `0 ... L` (as a float) of one value.
    @inline(__always)
    static func level(_ value: Float, levels: Float, threshold: Float) -> Float {
        let scaled = ((value * levels) / threshold + 0.5).rounded(.down)
        // Written so that NaN yields 0 rather than propagating.
        return scaled >= levels ? levels : (scaled > 0 ? scaled : 0)
    }
}

extension QCFS: NeuronUpdate {
    static func reset(_ membrane: UnsafeMutablePointer<Float>, count: Int, _ neuron: NeuronParameters) {}

    static func step(_ input: UnsafePointer<Float>, membrane: UnsafeMutablePointer<Float>?,
                     into output: UnsafeMutablePointer<Float>, count: Int, _ neuron: NeuronParameters) {
        apply(input, into: output, count: count, levels: neuron.levels, threshold: neuron.threshold)
    }

    /// The levels `q` themselves, as bytes (L ≤ 255).
    static func stepCounting(_ input: UnsafePointer<Float>, membrane: UnsafeMutablePointer<Float>?,
                             into output: UnsafeMutablePointer<UInt8>, count: Int, _ neuron: NeuronParameters) {
        let levels = Float(neuron.levels)
        for index in 0..<count {
            output[index] = UInt8(truncatingIfNeeded: Int32(level(input[index], levels: levels, threshold: neuron.threshold)))
        }
    }
}
