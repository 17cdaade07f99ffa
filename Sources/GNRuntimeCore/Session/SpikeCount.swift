/// Counting the spikes of one step of a neuron layer from its output.
///
/// A neuron's output is `s · unit`, where `s` is the number of spikes it emitted (a Group Neuron's
/// member count, 0 … τ, with `unit = λ/τ`; an IF neuron's 0 or 1, with `unit = λ`), so `s` is the
/// output times `1/unit`, rounded: exact, since `s ≤ 64`.
///
/// Counts are `Int`s, which saturate rather than overflow: 64-bit on hosts, 32-bit on
/// microcontrollers (where a count past 2^31 − 1 reads 2^31 − 1).
enum SpikeCount {
    /// The spikes of one sample's output, channels-last (`pixels × channels` values), and the
    /// synaptic operations they cause: `Σ s · fanOut[pixel]`. Unsafe pointers in the loop on purpose.
    /// `members` bounds a neuron's count: with a threshold so small that `1/unit` overflows (or so
    /// large that `s · unit` does), the quotient is clamped to `0 … members` rather than trusted.
    static func count(_ output: UnsafePointer<Float>, pixels: Int, channels: Int, unit: Float, members: Int,
                      fanOut: UnsafePointer<Int>) -> (spikes: Int, synapticOperations: Int) {
        let reciprocal = 1 / unit
        let top = Float(members)
        var spikes = 0
        var operations = 0
        for pixel in 0..<pixels {
            let values = output + pixel * channels
            var pixelSpikes = 0
            for channel in 0..<channels {
                // Outputs are ≥ 0: adding a half and truncating rounds to nearest. NaN counts 0.
                let estimate = values[channel] * reciprocal + 0.5
                pixelSpikes += estimate >= 1 ? Int(min(estimate, top)) : 0
            }
            spikes = spikes.saturatingAdding(pixelSpikes)
            operations = operations.saturatingAdding(pixelSpikes.saturatingMultiplied(by: fanOut[pixel]))
        }
        return (spikes, operations)
    }

    /// `count` from an output holding each neuron's spikes as a byte (a lean session's spike map).
    static func count(_ output: UnsafePointer<UInt8>, pixels: Int, channels: Int,
                      fanOut: UnsafePointer<Int>) -> (spikes: Int, synapticOperations: Int) {
        var spikes = 0
        var operations = 0
        for pixel in 0..<pixels {
            let values = output + pixel * channels
            var pixelSpikes = 0
            for channel in 0..<channels { pixelSpikes += Int(values[channel]) }
            spikes = spikes.saturatingAdding(pixelSpikes)
            operations = operations.saturatingAdding(pixelSpikes.saturatingMultiplied(by: fanOut[pixel]))
        }
        return (spikes, operations)
    }
}
