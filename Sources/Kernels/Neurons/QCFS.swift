import GNKernelInterface

/// The QCFS activation of the ANN: `clamp(floor((x·L)/λ + 0.5), 0, L)`, then `(q·λ)/L`.
enum QCFS {
    /// Applies QCFS with `levels` and `threshold` to `count` values; `output` may be `input`.
    /// SIMD on purpose: 16 values per step, then the same arithmetic one value at a time.
    static func apply(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, count: Int,
                      levels: Int, threshold: Float) {
        let levelCount = Float(levels)
        var index = 0
        // Microcontrollers have no vector unit: there the vector loop would be emulated lane by lane in
        // more code (8 KiB on RV32 for this one) and no fewer instructions than the loop below.
        #if !hasFeature(Embedded)
        while index + 16 <= count {
            let x = SIMD16<Float>.load(input + index)
            var q = ((x * levelCount) / threshold + 0.5).rounded(.down)
            // Clamp to [0, L]; NaN (q ≥ 0 false) becomes 0.
            q.replace(with: 0, where: .!(q .>= 0))
            q.replace(with: levelCount, where: q .> levelCount)
            ((q * threshold) / levelCount).store(output + index)
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
