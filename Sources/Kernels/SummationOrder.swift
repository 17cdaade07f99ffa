/// The order in which every convolution and linear kernel adds up the products of one output, the same
/// in every kernel and every variant (docs/semantics.md, "Summation order"), so that they agree bit
/// for bit.
///
/// The terms `input · weight` of an output, in (kernel row, kernel column, input channel) order, are
/// cut into **blocks** of at most `termsPerBlock`: ⌊64 / Cin⌋ whole kernel positions (taps) when a
/// tap has at most 64 input channels, else runs of 64 channels of one tap (the last run of a tap
/// shorter). A block is summed from zero, term by term, with `multiplyAdd`; `blocksPerGroup`
/// consecutive blocks add up into a **group** sum (the first block's sum, then each next one added);
/// the output is the bias plus the group sums, added in order. A sequential sum of `n` terms has an
/// error that grows like √n ulp on random data; this one like √(64 + 8 + n/512), so wide layers are
/// as accurate as PyTorch's.
struct SummationOrder {
    /// The most terms in one block.
    static let termsPerBlock = 64
    /// Blocks added up into one group sum.
    static let blocksPerGroup = 8

    /// Kernel positions of the layer.
    let taps: Int
    /// Input channels of the layer.
    let channels: Int
    /// Whole taps per block (1 when a tap has more than 64 channels).
    let tapsPerBlock: Int
    /// Channels per block within a tap (all of them when a tap has at most 64).
    let channelsPerBlock: Int
    /// Blocks in a tap's run of `tapsPerBlock` taps.
    let blocksPerTapRun: Int
    /// Blocks of one output.
    let count: Int

    /// The order of a layer with `taps` kernel positions (1 for a linear layer) and `channels` input
    /// channels (a linear layer's inputs).
    @inline(__always)
    init(taps: Int, channels: Int) {
        self.taps = taps
        self.channels = channels
        let terms = SummationOrder.termsPerBlock
        channelsPerBlock = max(1, min(channels, terms))
        tapsPerBlock = channels > terms ? 1 : max(1, terms / max(channels, 1))
        blocksPerTapRun = (channels + channelsPerBlock - 1) / channelsPerBlock
        count = (taps + tapsPerBlock - 1) / tapsPerBlock * blocksPerTapRun
    }

    /// The taps and the input channels of block `index` (every tap of the range, every channel of it).
    @inline(__always)
    func block(_ index: Int) -> (taps: Range<Int>, channels: Range<Int>) {
        let tapRun = index / blocksPerTapRun, channelRun = index % blocksPerTapRun
        let firstTap = tapRun * tapsPerBlock, firstChannel = channelRun * channelsPerBlock
        return (firstTap..<min(taps, firstTap + tapsPerBlock), firstChannel..<min(channels, firstChannel + channelsPerBlock))
    }

    /// Whether block `index` starts a group (its sum is the group's first).
    @inline(__always)
    func startsGroup(_ index: Int) -> Bool { index % SummationOrder.blocksPerGroup == 0 }

    /// Whether block `index` ends a group (the group's sum is then added to the output).
    @inline(__always)
    func endsGroup(_ index: Int) -> Bool { (index + 1) % SummationOrder.blocksPerGroup == 0 || index + 1 == count }
}
