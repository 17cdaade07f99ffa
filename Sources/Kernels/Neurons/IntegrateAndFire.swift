import GNKernelInterface

/// The integrate-and-fire neuron with reset by subtraction, threshold `λ`, `v` starting at `λ/2`:
/// the baseline the Group Neuron is compared with.
enum IntegrateAndFire {
    /// Sets `count` membrane potentials to `λ/2`.
    static func reset(_ membrane: UnsafeMutablePointer<Float>, count: Int, threshold: Float) {
        membrane.update(repeating: 0.5 * threshold, count: count)
    }

    /// One time step for `count` neurons: `v += x`, with `x = input + second` when there is a second
    /// input; spike when `v ≥ λ`, then `v −= λ`; output `s·λ`. `output` may be `input` or `second`.
    /// SIMD on purpose: 16 neurons per step, then one at a time.
    static func step(_ input: UnsafePointer<Float>, adding second: UnsafePointer<Float>? = nil, membrane: UnsafeMutablePointer<Float>,
                     into output: UnsafeMutablePointer<Float>, count: Int, threshold: Float) {
        var index = 0
        // Microcontrollers have no vector unit: there the vector loop would be emulated lane by lane in
        // more code (8 KiB on RV32 for this one) and no fewer instructions than the loop below.
        #if !hasFeature(Embedded)
        while index + 16 <= count {
            var potential = SIMD16<Float>.load(membrane + index) + SIMD16<Float>.load(input + index, adding: second.map { $0 + index })
            let fires = potential .>= threshold
            var spikes = SIMD16<Float>()
            spikes.replace(with: threshold, where: fires)
            potential.replace(with: potential - threshold, where: fires)
            potential.store(membrane + index)
            spikes.store(output + index)
            index += 16
        }
        #endif
        stepOneAtATime(input + index, adding: second.map { $0 + index }, membrane: membrane + index, into: output + index,
                       count: count - index, threshold: threshold)
    }

    /// The one step of `count` neurons at rest whose potentials are not kept (`NeuronUpdate.stepFromRest`):
    /// `v = λ/2 + x`, with `x = input + second` when there is a second input; output `λ` when `v ≥ λ`.
    /// Whole vectors of 16 neurons; returns how many it computed (none on microcontrollers).
    static func stepFromRest(_ input: UnsafePointer<Float>, adding second: UnsafePointer<Float>?,
                             into output: UnsafeMutablePointer<Float>, count: Int, threshold: Float) -> Int {
        var index = 0
        #if !hasFeature(Embedded)
        let rest = SIMD16<Float>(repeating: 0.5 * threshold)
        while index + 16 <= count {
            let sum = SIMD16<Float>.load(input + index, adding: second.map { $0 + index })
            var spikes = SIMD16<Float>()
            spikes.replace(with: threshold, where: rest + sum .>= threshold)
            spikes.store(output + index)
            index += 16
        }
        #endif
        return index
    }

    /// `step` one neuron at a time, with outputs of type `Output` (`s·λ`, or the spike `s` as a byte).
    @inline(__always)
    private static func stepOneAtATime<Output: NeuronOutput>(_ input: UnsafePointer<Float>, adding second: UnsafePointer<Float>?,
                                                             membrane: UnsafeMutablePointer<Float>,
                                                             into output: UnsafeMutablePointer<Output>, count: Int,
                                                             threshold: Float) {
        for index in 0..<count {
            let potential = membrane[index] + input.value(at: index, adding: second)
            if potential >= threshold {
                membrane[index] = potential - threshold
                output[index] = Output(spikes: 1, unit: threshold)
            } else {
                membrane[index] = potential
                output[index] = Output.noSpike
            }
        }
    }
}

extension IntegrateAndFire: NeuronUpdate {
    static func reset(_ membrane: UnsafeMutablePointer<Float>, count: Int, _ neuron: NeuronParameters) {
        reset(membrane, count: count, threshold: neuron.threshold)
    }

    static func step(_ input: UnsafePointer<Float>, adding second: UnsafePointer<Float>?, membrane: UnsafeMutablePointer<Float>?,
                     into output: UnsafeMutablePointer<Float>, count: Int, _ neuron: NeuronParameters) {
        step(input, adding: second, membrane: membrane!, into: output, count: count, threshold: neuron.threshold)
    }

    /// `step` writing each neuron's spike (0 or 1) as a byte, one neuron at a time.
    static func stepCounting(_ input: UnsafePointer<Float>, adding second: UnsafePointer<Float>?,
                             membrane: UnsafeMutablePointer<Float>?, into output: UnsafeMutablePointer<UInt8>, count: Int,
                             _ neuron: NeuronParameters) {
        stepOneAtATime(input, adding: second, membrane: membrane!, into: output, count: count, threshold: neuron.threshold)
    }

    static func stepFromRest(_ input: UnsafePointer<Float>, adding second: UnsafePointer<Float>?,
                             into output: UnsafeMutablePointer<Float>, count: Int, _ neuron: NeuronParameters) -> Int {
        stepFromRest(input, adding: second, into: output, count: count, threshold: neuron.threshold)
    }
}
