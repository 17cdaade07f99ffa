/// The Group Neuron GN(τ, λ) of Lv et al. (ICASSP 2024): τ members with thresholds `k·u`
/// (`u = λ/τ`, k = 1 … τ) share one membrane potential `v`, which starts at `u/2`.
enum GroupNeuron {
    /// The largest number of members a group may have.
    static let maxMembers = 64

    /// The unit `u = λ/τ`.
    @inline(__always)
    static func unit(members: Int, threshold: Float) -> Float { threshold / Float(members) }

    /// Sets `count` membrane potentials to their initial value `u/2`.
    static func reset(_ membrane: UnsafeMutablePointer<Float>, count: Int, members: Int, threshold: Float) {
        membrane.update(repeating: 0.5 * unit(members: members, threshold: threshold), count: count)
    }

    /// One time step for `count` neurons: `v += x`; `s = #{k : v ≥ k·u}`; `v −= s·u`; output `s·u`.
    /// `output` may be `input`.
    static func step(_ input: UnsafePointer<Float>, membrane: UnsafeMutablePointer<Float>,
                     into output: UnsafeMutablePointer<Float>, count: Int, members: Int, threshold: Float) {
        let unit = unit(members: members, threshold: threshold)
        for index in 0..<count {
            let potential = membrane[index] + input[index]
            let spikes = Float(spikeCount(potential: potential, unit: unit, members: members))
            membrane[index] = potential - spikes * unit
            output[index] = spikes * unit
        }
    }

    /// The number of members whose threshold `k·u` the potential has reached. A first guess from
    /// `floor(v/u)` is corrected against the thresholds themselves, which are the definition (the two
    /// can differ by one in binary32 at a boundary). NaN reaches no threshold; +∞ reaches all.
    @inline(__always)
    static func spikeCount(potential: Float, unit: Float, members: Int) -> Int {
        let guess = (potential / unit).rounded(.down)
        var count = guess >= Float(members) ? members : (guess > 0 ? Int(guess) : 0)
        while count < members && potential >= Float(count + 1) * unit { count += 1 }
        while count > 0 && potential < Float(count) * unit { count -= 1 }
        return count
    }
}
