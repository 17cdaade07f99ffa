import GNRuntimeCore

// Packing weights: done by a host that owns its copy of a model (ModelHandle), once, at load.
extension WeightLayout {
    /// Copies `taps × inputChannels × outputChannels` weights from the file's layout into the packed
    /// layout with `lanes`-wide blocks.
    static func pack(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, taps: Int,
                     inputChannels: Int, outputChannels: Int, lanes: Int) {
        let plain = WeightLayout.plain(inputChannels: inputChannels, outputChannels: outputChannels)
        let packed = WeightLayout.packed(taps: taps, inputChannels: inputChannels, lanes: lanes)
        for tap in 0..<taps {
            for channel in 0..<inputChannels {
                for block in stride(from: 0, to: outputChannels, by: lanes) {
                    (destination + packed.offset(channel: block, tap: tap) + channel * lanes)
                        .update(from: source + plain.offset(channel: block, tap: tap) + channel * outputChannels, count: lanes)
                }
            }
        }
    }
}
