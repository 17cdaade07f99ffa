import GNKernelInterface

/// The QCFS activation of the ANN: `clamp(floor((x·L)/λ + 0.5), 0, L)`, then `(q·λ)/L`.
enum QCFS {
    /// Applies QCFS with `levels` and `threshold` to `count` values, `input` or `input + second` when
    /// there is a second input (the add a neuron layer computes); `output` may be `input` or `second`.
    /// SIMD on purpose: 16 values per step, then the same arithmetic one value at a time.
    ///
    /// The level is the definition's, `(x·L)/λ + 0.5` divided and floored (docs/semantics.md). The output
    /// is `(q·λ)·(1/L)` instead of `(q·λ)/L` when the two agree for every level 0 … L, checked once per
    /// call (always when L is a power of two, whose reciprocal is exact): one vector division per step,
    /// not two. (The level guessed from `(x·L)·(1/λ)` instead, with the vectors divided where some value
    /// lay too near a rounding boundary for the guess to be sure, took longer than the division it
    /// saved on the AMD EPYC: the check cost seven vector comparisons per 16 values. ResNet-20's ANN
    /// spent 9.2% of its time in QCFS that way, 4.3% this way, docs/benchmarks.md.)
    static func apply(_ input: UnsafePointer<Float>, adding second: UnsafePointer<Float>? = nil, into output: UnsafeMutablePointer<Float>,
                      count: Int, levels: Int, threshold: Float) {
        var index = applyVectors(input, adding: second, into: output, count: count, levels: levels, threshold: threshold)
        let levelCount = Float(levels)
        while index < count {
            output[index] = (level(input.value(at: index, adding: second), levels: levelCount, threshold: threshold) * threshold)
                / levelCount
            index += 1
        }
    }

    /// `apply`'s vector loop over `input`, or over `input + second` when there is a second input (the
    /// add a neuron layer computes, `Elementwise.add`): whole vectors of 16 values; returns how many
    /// values it computed (none on microcontrollers).
    @inline(__always)
    static func applyVectors(_ input: UnsafePointer<Float>, adding second: UnsafePointer<Float>?,
                             into output: UnsafeMutablePointer<Float>, count: Int, levels: Int, threshold: Float) -> Int {
        var index = 0
        // Microcontrollers have no vector unit: there the vector loop would be emulated lane by lane in
        // more code (8 KiB on RV32 for this one) and no fewer instructions than the loop in `apply`.
        #if !hasFeature(Embedded)
        let levelCount = Float(levels), levelReciprocal = 1 / levelCount
        // Checking every level costs L + 1 divisions: only when the call divides more than that.
        let outputsByProduct = levels < count / 16 && (0...levels).allSatisfy { level in
            let product = Float(level) * threshold
            return product * levelReciprocal == product / levelCount
        }
        while index + 16 <= count {
            let value = SIMD16<Float>.load(input + index, adding: second.map { $0 + index })
            var q = (value * levelCount / threshold + 0.5).rounded(.down)
            // Clamp to [0, L]; NaN (q ≥ 0 false) becomes 0.
            q.replace(with: 0, where: .!(q .>= 0))
            q.replace(with: levelCount, where: q .> levelCount)
            let product = q * threshold
            (outputsByProduct ? product * levelReciprocal : product / levelCount).store(output + index)
            index += 16
        }
        #endif
        return index
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

    static func step(_ input: UnsafePointer<Float>, adding second: UnsafePointer<Float>?, membrane: UnsafeMutablePointer<Float>?,
                     into output: UnsafeMutablePointer<Float>, count: Int, _ neuron: NeuronParameters) {
        apply(input, adding: second, into: output, count: count, levels: neuron.levels, threshold: neuron.threshold)
    }

    /// The one step of a call of one step: `apply` over `input`, or over `input + second`, without the
    /// add written first. Whole vectors (`applyVectors`); the caller computes the rest as `step`.
    static func stepFromRest(_ input: UnsafePointer<Float>, adding second: UnsafePointer<Float>?,
                             into output: UnsafeMutablePointer<Float>, count: Int, _ neuron: NeuronParameters) -> Int {
        applyVectors(input, adding: second, into: output, count: count, levels: neuron.levels, threshold: neuron.threshold)
    }

    /// The levels `q` themselves, as bytes (L ≤ 255).
    static func stepCounting(_ input: UnsafePointer<Float>, adding second: UnsafePointer<Float>?,
                             membrane: UnsafeMutablePointer<Float>?, into output: UnsafeMutablePointer<UInt8>, count: Int,
                             _ neuron: NeuronParameters) {
        let levels = Float(neuron.levels)
        for index in 0..<count {
            let level = level(input.value(at: index, adding: second), levels: levels, threshold: neuron.threshold)
            output[index] = UInt8(truncatingIfNeeded: Int32(level))
        }
    }
}
