import GNKernelInterface

/// The Group Neuron GN(τ, λ) of Lv et al. (ICASSP 2024): τ members with thresholds `k·u`
/// (`u = λ/τ`, k = 1 … τ) share one membrane potential `v`, which starts at `u/2`.
enum GroupNeuron {
    /// The unit `u = λ/τ`.
    @inline(__always)
    static func unit(members: Int, threshold: Float) -> Float {
        NeuronParameters(threshold: threshold, levels: 0, members: members).unit
    }

    /// Sets `count` membrane potentials to their initial value `u/2`.
    static func reset(_ membrane: UnsafeMutablePointer<Float>, count: Int, members: Int, threshold: Float) {
        membrane.update(repeating: 0.5 * unit(members: members, threshold: threshold), count: count)
    }

    /// One time step for `count` neurons: `v += x`, with `x = input + second` when there is a second
    /// input; `s = #{k : v ≥ k·u}`; `v −= s·u`; output `s·u`. `output` may be `input` or `second`. SIMD
    /// on purpose: 16 neurons per step, then the rest one neuron at a time (every neuron, on
    /// microcontrollers).
    /// Not inlined into the neuron layer's loops, which are large: the compiler would then call
    /// `SpikeCounter.spikes`, not inline it.
    @inline(never)
    static func step(_ input: UnsafePointer<Float>, adding second: UnsafePointer<Float>? = nil, membrane: UnsafeMutablePointer<Float>,
                     into output: UnsafeMutablePointer<Float>, count: Int, members: Int, threshold: Float) {
        let unit = unit(members: members, threshold: threshold)
        var index = 0
        // Microcontrollers have no vector unit: there the vector loop would be emulated lane by lane in
        // more code (8 KiB on RV32 for this one) and no fewer instructions than the loop below.
        #if !hasFeature(Embedded)
        let counter = SpikeCounter(members: members, unit: unit)
        while index + 16 <= count {
            let potential = SIMD16<Float>.load(membrane + index) + SIMD16<Float>.load(input + index, adding: second.map { $0 + index })
            let spikes = counter.spikes(potential)
            (potential - spikes * unit).store(membrane + index)
            (spikes * unit).store(output + index)
            index += 16
        }
        #endif
        stepOneAtATime(input + index, adding: second.map { $0 + index }, membrane: membrane + index, into: output + index,
                       count: count - index, members: members, unit: unit)
    }

    /// The one step of `count` neurons at rest whose potentials are not kept (`NeuronUpdate.stepFromRest`):
    /// `v = u/2 + x`, with `x = input + second` when there is a second input; output `s·u`. Whole
    /// vectors of 16 neurons; returns how many it computed (none on microcontrollers). Not inlined, as
    /// `step`.
    @inline(never)
    static func stepFromRest(_ input: UnsafePointer<Float>, adding second: UnsafePointer<Float>?,
                             into output: UnsafeMutablePointer<Float>, count: Int, members: Int, threshold: Float) -> Int {
        var index = 0
        #if !hasFeature(Embedded)
        let unit = unit(members: members, threshold: threshold)
        let rest = SIMD16<Float>(repeating: 0.5 * unit), counter = SpikeCounter(members: members, unit: unit)
        while index + 16 <= count {
            let sum = SIMD16<Float>.load(input + index, adding: second.map { $0 + index })
            (counter.spikes(rest + sum) * unit).store(output + index)
            index += 16
        }
        #endif
        return index
    }

    /// The member counts `s` of 16 potentials at a time (as floats): `#{k : v ≥ k·u}`, the vector form
    /// of `spikeCount`.
    struct SpikeCounter {
        /// The unit `u`, its reciprocal, and τ as a float.
        let unit: Float, reciprocal: Float, members: Float
        /// The thresholds `k·u` of members 1 … 4 (NaN past τ, which no potential reaches), for groups of
        /// at most 4 members.
        let thresholds: InlineArray<4, SIMD16<Float>>

        @inline(__always)
        init(members: Int, unit: Float) {
            self.unit = unit
            reciprocal = 1 / unit
            self.members = Float(members)
            thresholds = InlineArray { member in SIMD16(repeating: member < members ? Float(member + 1) * unit : .nan) }
        }

        @inline(__always)
        func spikes(_ potential: SIMD16<Float>) -> SIMD16<Float> {
            if members <= 4 {
                // Up to 4 members: each threshold compared, as the definition does — fewer instructions
                // than the guess below (ResNet-20 GN τ = 4 T = 4 at batch 1: its neuron layers went from
                // 7.1% of its time to 4.5%). With 8 members the comparisons take as long as the guess.
                var spikes = SIMD16<Float>()
                for member in 0..<4 { spikes.replace(with: spikes + 1, where: potential .>= thresholds[member]) }
                return spikes
            }
            // A guess from floor(v·(1/u)), corrected by one against the thresholds k·u themselves (the
            // rounding of v·(1/u) can misplace a boundary by one, never by two), then clamped to [0, τ]
            // (NaN to 0): within [0, τ] the member count of the definition; a guess outside it stays
            // outside, or reaches its edge, and clamps to the count (0, or τ). Four comparisons, where
            // clamping first took six (a correction at an edge must not step past it): ResNet-20 GN
            // τ = 8 T = 1 spent 7.8% of its time at batch 1 in its neuron layers, then 5.8%.
            var spikes = (potential * reciprocal).rounded(.down)
            spikes.replace(with: spikes - 1, where: potential .< spikes * unit)
            spikes.replace(with: spikes + 1, where: potential .>= (spikes + 1) * unit)
            spikes.replace(with: 0, where: .!(spikes .> 0))  // NaN and −0 too: no spike is +0
            spikes.replace(with: members, where: spikes .> members)
            return spikes
        }
    }

    /// `step` one neuron at a time, with outputs of type `Output`.
    @inline(__always)
    private static func stepOneAtATime<Output: NeuronOutput>(_ input: UnsafePointer<Float>, adding second: UnsafePointer<Float>?,
                                                             membrane: UnsafeMutablePointer<Float>,
                                                             into output: UnsafeMutablePointer<Output>, count: Int,
                                                             members: Int, unit: Float) {
        // Groups of few members (the usual τ) compare with each threshold, as the definition does: fewer
        // instructions than the guess and its corrections where neurons go one at a time.
        if members <= 4 {
            stepComparing(InlineArray<4, Float>.self, input, adding: second, membrane: membrane, into: output, count: count,
                          members: members, unit: unit)
        } else if members <= 8 {
            stepComparing(InlineArray<8, Float>.self, input, adding: second, membrane: membrane, into: output, count: count,
                          members: members, unit: unit)
        } else {
            let reciprocal = 1 / unit, top = Float(members)
            for index in 0..<count {
                let potential = membrane[index] + input.value(at: index, adding: second)
                let spikes = spikeCount(potential: potential, unit: unit, reciprocal: reciprocal, members: top)
                membrane[index] = potential - spikes * unit
                output[index] = Output(spikes: Int(spikes), unit: unit)
            }
        }
    }

    /// `step` one neuron at a time for at most N members: `s` counts the thresholds `k·u` the potential
    /// has reached (the thresholds past τ are NaN, which no potential reaches). A neuron below its first
    /// threshold, most of them, takes one comparison; the others compare with every other threshold,
    /// without branches.
    @inline(__always)
    private static func stepComparing<let N: Int, Output: NeuronOutput>(
        _ thresholdsType: InlineArray<N, Float>.Type, _ input: UnsafePointer<Float>, adding second: UnsafePointer<Float>?,
        membrane: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Output>, count: Int, members: Int, unit: Float
    ) {
        var thresholds = InlineArray<N, Float>(repeating: .nan)
        for member in 0..<min(members, N) { thresholds[member] = Float(member + 1) * unit }
        for index in 0..<count {
            let potential = membrane[index] + input.value(at: index, adding: second)
            if potential >= unit {
                var reached = 1
                for member in 1..<N where potential >= thresholds[member] { reached &+= 1 }
                let spikes = Float(reached)
                membrane[index] = potential - spikes * unit
                output[index] = Output(spikes: reached, unit: unit)
            } else {
                // No spike: `v − 0·u` is `v` itself (0·u is +0, as u > 0), and the output +0.
                membrane[index] = potential
                output[index] = Output.noSpike
            }
        }
    }

    /// The number of members whose threshold `k·u` the potential has reached (as a float): the
    /// one-value form of the vector code in `step`. NaN reaches no threshold; +∞ reaches all.
    @inline(__always)
    static func spikeCount(potential: Float, unit: Float, reciprocal: Float, members: Float) -> Float {
        var spikes = (potential * reciprocal).rounded(.down)
        if potential < spikes * unit { spikes -= 1 }
        if potential >= (spikes + 1) * unit { spikes += 1 }
        spikes = spikes > 0 ? spikes : 0
        return spikes > members ? members : spikes
    }
}

extension GroupNeuron: NeuronUpdate {
    static func reset(_ membrane: UnsafeMutablePointer<Float>, count: Int, _ neuron: NeuronParameters) {
        reset(membrane, count: count, members: neuron.members, threshold: neuron.threshold)
    }

    static func step(_ input: UnsafePointer<Float>, adding second: UnsafePointer<Float>?, membrane: UnsafeMutablePointer<Float>?,
                     into output: UnsafeMutablePointer<Float>, count: Int, _ neuron: NeuronParameters) {
        step(input, adding: second, membrane: membrane!, into: output, count: count, members: neuron.members,
             threshold: neuron.threshold)
    }

    /// `step` writing each neuron's spike count `s` as a byte (τ ≤ 255) instead of `s·u`: a lean
    /// session's spike maps. One neuron at a time.
    static func stepCounting(_ input: UnsafePointer<Float>, adding second: UnsafePointer<Float>?,
                             membrane: UnsafeMutablePointer<Float>?, into output: UnsafeMutablePointer<UInt8>, count: Int,
                             _ neuron: NeuronParameters) {
        stepOneAtATime(input, adding: second, membrane: membrane!, into: output, count: count, members: neuron.members,
                       unit: unit(members: neuron.members, threshold: neuron.threshold))
    }

    static func stepFromRest(_ input: UnsafePointer<Float>, adding second: UnsafePointer<Float>?,
                             into output: UnsafeMutablePointer<Float>, count: Int, _ neuron: NeuronParameters) -> Int {
        stepFromRest(input, adding: second, into: output, count: count, members: neuron.members, threshold: neuron.threshold)
    }
}
