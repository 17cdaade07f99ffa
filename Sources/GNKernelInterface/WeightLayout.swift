/// Where the weight of output channel `o`, kernel position `tap` and input channel `c` lies.
///
/// Model files store weights as `[tap][c][o]` (`plain`). A runtime that owns its copy of a model
/// repacks the weights of conv2d and linear layers whose output channels come in whole blocks into
/// `[o / lanes][tap][c][o % lanes]` (`packed`): one block's weights are then contiguous, so the
/// tiled kernels stream them sequentially instead of with a power-of-two stride that makes cache lines
/// collide. The values are the same; only their order differs, so results do not change.
public struct WeightLayout: Sendable {
    /// Output channels per block (all of them in the plain layout).
    public let lanes: Int
    /// Floats between the first weights of consecutive blocks (0 in the plain layout).
    public let blockStride: Int
    /// Floats between consecutive kernel positions.
    public let tapStride: Int
    /// Floats between consecutive input channels.
    public let channelStride: Int

    /// The file's layout `[tap][c][o]`.
    @inlinable
    public static func plain(inputChannels: Int, outputChannels: Int) -> WeightLayout {
        WeightLayout(lanes: max(outputChannels, 1), blockStride: 0, tapStride: inputChannels * outputChannels,
                     channelStride: outputChannels)
    }

    /// The blocked layout `[o / lanes][tap][c][o % lanes]`.
    @inlinable
    public static func packed(taps: Int, inputChannels: Int, lanes: Int) -> WeightLayout {
        WeightLayout(lanes: lanes, blockStride: taps * inputChannels * lanes, tapStride: inputChannels * lanes,
                     channelStride: lanes)
    }

    @inlinable
    init(lanes: Int, blockStride: Int, tapStride: Int, channelStride: Int) {
        self.lanes = lanes
        self.blockStride = blockStride
        self.tapStride = tapStride
        self.channelStride = channelStride
    }

    /// Whether the weights are in blocks (`packed`) rather than the file's layout.
    @inlinable
    public var isPacked: Bool { blockStride != 0 }

    /// The block width a layer with `outputChannels` is packed with, or nil when its channels do not
    /// come in whole blocks (it then keeps the file's layout). The tiled kernels compute blocks of
    /// the same widths.
    @inlinable
    public static func packingLanes(outputChannels: Int) -> Int? {
        outputChannels % 32 == 0 ? 32 : outputChannels % 16 == 0 ? 16 : nil
    }

    /// The offset of the weight of output channel `channel` (the first of a run within one block),
    /// kernel position `tap` and input channel 0.
    @inlinable @inline(__always)
    public func offset(channel: Int, tap: Int) -> Int {
        (channel / lanes) * blockStride + tap * tapStride + channel % lanes
    }
}
