/// The output channels one block of a tiled kernel computes (`ConvolutionTiled`, `ConvolutionRows`,
/// `Linear.blocked`): `lanes` channels from `first`, of which `own` are its to write. A last block
/// short of `lanes` channels is shifted back to end at the last channel — it computes channels of the
/// block before again, the same sums in the same order, so the same values — and a layer of fewer
/// channels than `lanes` (its weights padded, `PaddedWeights`) starts at 0. Such a block computes into
/// scratch and copies out only its own channels (`copyOut`): no vector load reads past the weights or
/// the bias, and no two tasks write one output.
struct ChannelBlock {
    /// The channels the block writes.
    let own: Range<Int>
    /// The first channel the block computes.
    let first: Int
    /// The channels the block computes.
    let lanes: Int

    /// Block `block` of `lanes` channels of a layer of `channels` output channels.
    @inline(__always)
    init(_ block: Int, lanes: Int, channels: Int) {
        own = block * lanes..<min(block * lanes + lanes, channels)
        first = max(0, own.upperBound - lanes)
        self.lanes = lanes
    }

    /// Whether the block computes channels that are not its own (shifted back, or padded).
    @inline(__always)
    var isShifted: Bool { own.count < lanes }

    /// Copies the block's own channels of `pixels` pixels from `spill` (`lanes` floats a pixel, from
    /// channel `first`) to `output` (the first pixel's channel 0; the next pixels `channels` floats apart).
    @inline(__always)
    func copyOut(_ pixels: Int, from spill: UnsafePointer<Float>, to output: UnsafeMutablePointer<Float>, channels: Int) {
        for index in 0..<pixels {
            (output + index * channels + own.lowerBound).update(from: spill + index * lanes + (own.lowerBound - first),
                                                                count: own.count)
        }
    }
}
