import GNKernelInterface

/// The input rows a row kernel (`ConvolutionRows`, `IntegerRowsDot`, `IntegerConvolutionPairs`,
/// `IntegerConvolutionCounts`) reads for one output row (or for two, `loadPair`), as `Element`s in the
/// thread's scratch, with the padding columns written out as zeros: every pixel of a tile then reads at
/// a constant offset from one pointer per kernel row, and no pixel needs an edge check. The rows lie in
/// a ring of one slot per row read at once (a kernel row, and for two output rows one more), input row
/// `r` of a sample in slot `r mod slots`, so that consecutive output rows reuse the rows they share (a
/// 3 × 3 layer of stride 1 converts one new row per output row, not three); kernel rows above or below
/// the input read a row of zeros. Every slot's padding columns are zeroed once, when the rows are made: a
/// row's conversion writes only the columns inside the input.
struct PaddedRows<Element: AdditiveArithmetic> {
    /// One value per kernel row: row kernels take kernels of at most 8 rows.
    typealias PerKernelRow<Value> = InlineArray<8, Value>
    static var largestKernelHeight: Int { 8 }

    /// The row of zeros, then the ring's slots, `rowElements` apart.
    private let zeros: UnsafeMutablePointer<Element>
    /// Elements of one padded row.
    let rowElements: Int
    /// Which input row each slot holds (sample · inputHeight + row), -1 for none.
    private var held = PerKernelRow<Int>(repeating: -1)
    /// The padded row each kernel row of the current output row reads.
    private(set) var kernelRows = PerKernelRow<UnsafePointer<Element>?>(repeating: nil)

    /// The rows of the first `K` kernel rows (all of a layer whose kernels have `K` rows), after `load`.
    /// Read one at a time: a kernel that copied `kernelRows` whole, right after `load` had stored them
    /// one by one, waited for those stores to complete (about 8% of ResNet-20's first layer).
    @inline(__always)
    func loadedRows<let K: Int>() -> InlineArray<K, UnsafePointer<Element>> {
        InlineArray { kernelRows[$0].unsafelyUnwrapped }
    }

    /// Elements of one padded row of a layer whose rows are computed in tiles of `pixels` pixels:
    /// every column the row's tiles read, those of a last, partial tile's missing pixels included.
    static func rowElements(_ g: WindowGeometry, pixels: Int) -> Int {
        let tiles = (g.outputWidth + pixels - 1) / pixels
        return ((tiles * pixels - 1) * g.strideWidth + g.kernelWidth) * g.inputChannels
    }

    /// Elements of scratch the rows take: the zero row and one slot per row a load makes ready, for loads
    /// of `outputRows` output rows at once (1: `load`; 2: `loadPair`).
    static func elements(_ g: WindowGeometry, pixels: Int, outputRows: Int = 1) -> Int {
        (g.kernelHeight + outputRows) * rowElements(g, pixels: pixels)
    }

    /// Rows in `storage` (`elements(g, pixels:, outputRows:)` of them), for tiles of `pixels`; writes
    /// zeros over all of them: the zero row, and the padding columns of every slot, which no conversion
    /// writes.
    init(_ storage: UnsafeMutablePointer<Element>, _ g: WindowGeometry, pixels: Int, outputRows: Int = 1) {
        zeros = storage
        rowElements = PaddedRows.rowElements(g, pixels: pixels)
        zeros.update(repeating: .zero, count: PaddedRows.elements(g, pixels: pixels, outputRows: outputRows))
    }

    /// Makes `kernelRows` the rows output row `outputRow` of `sample` reads: those the ring does not hold
    /// are converted from the input (`convert(source, destination, count)`: floats, or a lean session's
    /// bytes) between their padding columns. `readsInPlace` (rows of the input's own type only: a layer
    /// without padding columns whose rows have no partial tile) makes them the input rows themselves.
    mutating func load<Source>(_ g: WindowGeometry, input: UnsafePointer<Source>, sample: Int, outputRow: Int, readsInPlace: Bool,
                               convert: (_ source: UnsafePointer<Source>, _ destination: UnsafeMutablePointer<Element>, _ count: Int) -> Void) {
        loadRows(g, input: input, sample: sample, outputRow: outputRow, rows: g.kernelHeight,
                 readsInPlace: readsInPlace, convert: convert)
        if !readsInPlace { fetchAhead(g, input: input, sample: sample, outputRow: outputRow) }
    }

    /// `load` for output rows `outputRow` and `outputRow` + 1 of a layer of stride 1, from rows made for
    /// two output rows (`init`'s `outputRows`): `kernelRows` then holds the kernel's rows for the first and
    /// one more after them, which the second reads last. Never in place.
    mutating func loadPair<Source>(_ g: WindowGeometry, input: UnsafePointer<Source>, sample: Int, outputRow: Int,
                                   convert: (_ source: UnsafePointer<Source>, _ destination: UnsafeMutablePointer<Element>, _ count: Int) -> Void) {
        assert(g.strideHeight == 1, "two output rows at once only at stride 1")
        loadRows(g, input: input, sample: sample, outputRow: outputRow, rows: g.kernelHeight &+ 1,
                 readsInPlace: false, convert: convert)
        fetchAhead(g, input: input, sample: sample, outputRow: outputRow &+ 1)
    }

    /// The rows of `load` and `loadPair`: `rows` input rows from output row `outputRow`'s first, in a
    /// ring of as many slots. A function of its own, inlined into each, so that `load`'s code stays what
    /// it was: with the ring's size as an argument of `load` itself, the compiler stopped inlining the
    /// row tiles into the kernel of ResNet-20's 1 × 1 shortcuts, which lost 7–9 points of the peak
    /// (docs/benchmarks.md).
    @inline(__always)
    private mutating func loadRows<Source>(_ g: WindowGeometry, input: UnsafePointer<Source>, sample: Int, outputRow: Int,
                                           rows: Int, readsInPlace: Bool,
                                           convert: (_ source: UnsafePointer<Source>, _ destination: UnsafeMutablePointer<Element>, _ count: Int) -> Void) {
        assert(!readsInPlace || Element.self == Source.self, "only rows of the input's own type are the input itself")
        // Wrapping arithmetic: every offset lies inside the validated input or the scratch (this runs for
        // every output row).
        let channels = g.inputChannels
        let left = min(g.paddingWidth &* channels, rowElements)
        let copied = max(0, min(g.inputWidth &* channels, rowElements &- left))
        let firstRow = g.inputRow(outputRow, 0)
        let sampleInput = input + sample &* g.inputElementsPerSample, sampleRows = sample &* g.inputHeight
        // The slot of kernel row 0's input row (its remainder modulo the ring's `rows` slots, negative
        // rows included); the next kernel rows' slots follow it round the ring, without a division each. On
        // microcontrollers, whose division takes many cycles, a division per kernel row cost the int8
        // Fashion-MNIST firmware 0.3 million instructions per inference on the Cortex-M4, 0.8 on RV32.
        var slot = firstRow % rows
        if slot < 0 { slot &+= rows }
        for kernelRow in 0..<rows {
            let inputRow = firstRow &+ kernelRow, rowSlot = slot
            slot = slot &+ 1 == rows ? 0 : slot &+ 1
            guard inputRow >= 0, inputRow < g.inputHeight else {
                kernelRows[kernelRow] = UnsafePointer(zeros)
                continue
            }
            let source = sampleInput + inputRow &* g.inputWidth &* channels
            if readsInPlace {
                kernelRows[kernelRow] = UnsafeRawPointer(source).assumingMemoryBound(to: Element.self)
                continue
            }
            let identity = sampleRows &+ inputRow
            let row = zeros + (1 &+ rowSlot) &* rowElements
            kernelRows[kernelRow] = UnsafePointer(row)
            if held[rowSlot] == identity { continue }
            held[rowSlot] = identity
            convert(source, row + left, copied)
        }
    }

    /// Asks for the input rows the next output row of `sample` converts (those it reads past this row's
    /// last; not those a stride larger than the kernel skips), ahead of its `load`: at batch 32 a layer's
    /// input is larger than the L2 cache, and the copy of each row waited for it — 5% of ResNet-20's time,
    /// most of it in the first stage's 3 × 3 layers. The rows are consecutive, so their bytes are one
    /// run, asked for line by line.
    @inline(__always)
    private func fetchAhead<Source>(_ g: WindowGeometry, input: UnsafePointer<Source>, sample: Int, outputRow: Int) {
        guard outputRow &+ 1 < g.outputHeight else { return }
        let lastRow = g.kernelHeight &- 1
        // Two-argument `max` only: the variadic one builds an array, which the Embedded build refuses.
        let first = max(max(g.inputRow(outputRow, lastRow) &+ 1, g.inputRow(outputRow &+ 1, 0)), 0)
        let end = min(g.inputRow(outputRow &+ 1, lastRow) &+ 1, g.inputHeight)
        guard first < end else { return }
        let rowElements = g.inputWidth &* g.inputChannels
        let start = UnsafeRawPointer(input + (sample &* g.inputElementsPerSample &+ first &* rowElements))
        let bytes = (end &- first) &* rowElements &* MemoryLayout<Source>.stride
        // One request per 64-byte line, the last partial line included.
        var offset = 0
        while offset < bytes &+ 63 {
            prefetchLine(start + offset)
            offset &+= 64
        }
    }
}

extension PaddedRows where Element == UInt16 {
    /// Words (4 bytes) of scratch the rows of a kernel that reads one pixel at a time take.
    static func integerRowWords(_ g: WindowGeometry) -> Int { (elements(g, pixels: 1) + 1) / 2 }

    /// `load` for the integer kernels of CPUs without a vector unit (`IntegerConvolutionPairs`,
    /// `IntegerConvolutionCounts`): each input value becomes its integer, as a 16-bit value — recovered
    /// from its float (`IntegerArithmetic.recover`, `reciprocal` = 1/σ), or read from its byte when the
    /// input holds integers.
    mutating func loadIntegers(_ g: WindowGeometry, _ arguments: KernelArguments, sample: Int, outputRow: Int) {
        if arguments.inputHoldsIntegers {
            load(g, input: arguments.inputIntegers, sample: sample, outputRow: outputRow, readsInPlace: false) {
                source, destination, count in
                for index in 0..<count { destination[index] = UInt16(source[index]) }
            }
            return
        }
        let reciprocal = arguments.inputReciprocal
        load(g, input: arguments.input, sample: sample, outputRow: outputRow, readsInPlace: false) { source, destination, count in
            for index in 0..<count {
                destination[index] = UInt16(truncatingIfNeeded: IntegerArithmetic.recover(source[index], reciprocal: reciprocal))
            }
        }
    }
}
