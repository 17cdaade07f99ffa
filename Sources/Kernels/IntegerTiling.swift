import GNKernelInterface

/// What the tiled integer kernels (`IntegerConvolutionExact`, `IntegerConvolutionVNNI`) share: each
/// output pixel's window copied into the thread's scratch as its *patch* of integers, weights packed
/// once per session per vector of 16 output channels, tiles of P pixels × V vectors whose sums stay in
/// registers, and tasks that make their pixels' patches once and run every block of V vectors over them
/// (or, for layers of few pixels, one block each, so that threads share the work).
enum IntegerTiling {
    /// Tiles per task.
    static let tilesPerTask = 2

    /// Blocks of `vectors` vectors of 16 output channels.
    @inline(__always)
    static func blocks(_ g: WindowGeometry, vectors: Int) -> Int { ((g.outputChannels + 15) / 16 + vectors - 1) / vectors }

    /// Whether tasks of `pixels`-pixel tiles split over the blocks of output channels as well as over
    /// the pixels: when the pixels alone make fewer than 8 tasks.
    @inline(__always)
    static func splitsBlocks(_ pixels: Int, _ query: KernelQuery) -> Bool {
        pixels == 1 || query.batch * query.outputPixelsPerSample < 8 * pixels * tilesPerTask
    }

    /// The task split of tiles of `pixels` × `vectors`.
    static func split(_ query: KernelQuery, pixels: Int, vectors: Int) -> TaskSplit {
        TaskSplit(blocks: splitsBlocks(pixels, query) ? blocks(query.geometry, vectors: vectors) : 1,
                  itemsPerSample: query.outputPixelsPerSample, itemsPerTask: pixels * tilesPerTask)
    }

    /// Runs tasks `tasks`: for each, `makePatch(pixel or nil, patch index)` for the task's pixels
    /// rounded up to whole tiles of `pixels` (nil past the last), then `tile(block, pixels, first
    /// patch index)` for every block the task covers and every tile.
    @inline(__always)
    static func forEachTile(_ arguments: KernelArguments, tasks: Range<Int>, pixels: Int, vectors: Int,
                            makePatch: (_ pixel: Int?, _ patch: Int) -> Void,
                            tile: (_ block: Int, _ pixels: Range<Int>, _ firstPatch: Int) -> Void) {
        let allBlocks = blocks(arguments.geometry, vectors: vectors)
        arguments.forEachTask(tasks) { block, items in
            let tiles = (items.count + pixels - 1) / pixels
            for index in 0..<tiles * pixels {
                makePatch(index < items.count ? items.lowerBound + index : nil, index)
            }
            for block in arguments.split.blocks > 1 ? block..<block + 1 : 0..<allBlocks {
                for index in 0..<tiles {
                    let first = items.lowerBound + index * pixels
                    tile(block, first..<min(first + pixels, items.upperBound), index * pixels)
                }
            }
        }
    }

    /// Calls `body` for every kernel position of the window of output (`outputRow`, `outputColumn`), in
    /// row-major order, with the input pixel it reads (its index within the sample), or nil on
    /// padding. Rows and columns advance by addition: no division per position.
    @inline(__always)
    static func forEachWindowPosition(_ g: WindowGeometry, outputRow: Int, outputColumn: Int,
                                      _ body: (_ tap: Int, _ inputPixel: Int?) -> Void) {
        let top = g.inputRow(outputRow, 0), left = g.inputColumn(outputColumn, 0)
        var tap = 0
        for row in top..<top + g.kernelHeight {
            let rowInside = row >= 0 && row < g.inputHeight
            for column in left..<left + g.kernelWidth {
                body(tap, rowInside && column >= 0 && column < g.inputWidth ? row * g.inputWidth + column : nil)
                tap += 1
            }
        }
    }

    /// Out of the integers for `count` outputs from `first` of one pixel: `float(sum) · (scale · σ)`,
    /// then `+ bias`, each rounded once; `sums` are `float(sum)`, the int32 sums converted to float as
    /// the semantics say (to nearest, ties to even). SIMD on purpose: 16 outputs at a time, else one.
    @inline(__always)
    static func store(_ sums: SIMD16<Float>, count: Int, first: Int, _ arguments: KernelArguments,
                      into output: UnsafeMutablePointer<Float>) {
        let scales = arguments.weightScales!, bias = arguments.bias
        if count == 16 {
            var values = sums * (SIMD16<Float>.load(scales + first) * arguments.inputScale)
            if let bias { values = values + SIMD16<Float>.load(bias + first) }
            values.store(output + first)
            return
        }
        for lane in 0..<count {
            let product = sums[lane] * (scales[first + lane] * arguments.inputScale)
            output[first + lane] = bias.map { product + $0[first + lane] } ?? product
        }
    }
}
