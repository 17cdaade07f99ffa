import GNKernelInterface

/// The input of a row tile: `channels` input channels, read every `stride` columns by a `kernel` ×
/// `kernel` window. Compile-time constants, so that the input of a tile's pixels lies at constant
/// offsets from one pointer and the loops over a window unroll.
struct RowInput<let channels: Int, let stride: Int, let kernel: Int> {}

/// A register-blocked convolution for layers with few input channels (the 3-channel first layer of an
/// image network, and 16-channel layers), over channels-last tensors with `[kh][kw][Cin][Cout]`
/// weights.
///
/// The general tiled kernel (`ConvolutionTiled`) gives each pixel of a tile its own input pointer, and
/// with few channels per tap it spends much of its time setting them up and checking the map's edges.
/// This one works one output row at a time over the input rows its windows read, copied into scratch
/// with the padding written out as zeros (`PaddedRows`), so that every pixel of a tile reads at a
/// constant offset (pixel × stride × channels, known when compiling) from one pointer per kernel row,
/// and no pixel needs an edge check. The copy is a small part of the work: one input row per output row
/// of a 3 × 3 layer of stride 1, against 9 · Cin multiply-adds per output.
///
/// Tiles are `P` consecutive pixels of one row (or of two rows, `pairTile`) × 16 or 32 output channels,
/// summed in `SummationOrder` through `ConvolutionTiled.sumBlocks` (or as it sums, `runRowPair`), with
/// the same `multiplyAdd` as `Convolution.reference`, so results equal it bit for bit (up to the sign of
/// zero). Where smaller tiles cover a row's end exactly, the row ends in them (`tailStart`); else its
/// last, partial tile computes into scratch (its missing pixels read the zero padding past the row) and
/// copies the pixels that exist.
///
/// Work is split into tasks of whole output rows × one channel block, in row order (`split`).
/// Unsafe pointers and SIMD in the loops on purpose: this is the hot loop.
enum ConvolutionRows {
    typealias Vector = SIMD16<Float>

    /// A row tile of this variant: its shape, and its kernel for one input shape.
    struct Tile {
        /// Output pixels per tile.
        var pixels: Int
        /// Vectors of 16 output channels per tile.
        var vectors: Int
        /// The kernel's name.
        var name: StaticString
        /// Runs tasks of a call in tiles of this shape.
        var function: TaskFunction
    }

    /// The row tile for a layer with `channels` input channels, column stride `stride`, square kernels
    /// of `kernel` × `kernel`, and output channels in blocks of `vectors` × 16, or nil when this variant
    /// has none.
    ///
    /// AVX-512 (32 registers of 16 floats): 16 pixels × 16 channels, or 8 pixels × 32 channels — 16
    /// sums, with the input broadcast straight from memory into each multiply-add (but for the
    /// 3-channel first layer's 16 × 16, whose window is summed column by column, `addRowSliding`); rows
    /// end in tiles of 12 × 16 or 4 × 32 where those cover them exactly (rows of 28, grey 28 × 28 images:
    /// the examples' Fashion-MNIST network 1.03–1.05× as fast, docs/benchmarks.md).
    /// AVX2 (16 registers of 8 floats): 6 pixels × 16 channels, as its general tile, its rows ending in
    /// tiles of 4 × 16 where those cover them exactly (rows of 32 in 4 tiles of 6 and 2 of 4, where six
    /// of 6 computed 36 pixels: ResNet-20's first layer from 68–69% of the AVX2 peak to 74–77%, its
    /// first stage from 68–71% to 72–75%, docs/benchmarks.md); for 1 × 1 layers of
    /// stride 2 (ResNet's shortcuts), 4 × 16, which divides their rows of 8 and 16 pixels, so that they
    /// read their input in place and ask for the next rows ahead (`prefetchTile`), where tiles of 6
    /// copied each row and computed up to half again its pixels: ResNet-20's two shortcuts went from
    /// 57–59% of the AVX2 peak to 70–84% at batch 32 (docs/benchmarks.md). Instantiated for
    /// the shapes of narrow image networks (the first layer over 1 or 3 channels: grey and colour
    /// images, and the 7 × 7, stride-2 stem of ImageNet ResNets; ResNet's first stage, its strided
    /// 16-channel layer and its 1 × 1 shortcuts), each with its sizes known when compiling, so that the
    /// loops over a block's taps unroll; other layers, and builds without FMA, take `ConvolutionTiled`.
    /// (On AVX2 the row tiles took ResNet-20's first layer from 0.025 to 0.014 ms and its first stage's
    /// 3 × 3 layers from 0.077 to 0.072 ms, docs/benchmarks.md.)
    static func tile(channels: Int, stride: Int, kernel: Int, vectors: Int) -> Tile? {
        #if GN_AVX512
        switch (channels, stride, kernel, vectors) {
        case (1, 1, 3, 1):
            return Tile(pixels: 16, vectors: 1, name: "conv2d.rows16x16") { job, worker, begin, end in
                ConvolutionRows.run(TileShape<16, 1>.self, tail: TileShape<12, 1>.self, RowInput<1, 1, 3>.self, job, worker: worker, tasks: begin..<end)
            }
        case (1, 1, 3, 2):
            return Tile(pixels: 8, vectors: 2, name: "conv2d.rows8x32") { job, worker, begin, end in
                ConvolutionRows.run(TileShape<8, 2>.self, tail: TileShape<4, 2>.self, RowInput<1, 1, 3>.self, job, worker: worker, tasks: begin..<end)
            }
        case (1, 1, 3, 3):
            return Tile(pixels: 8, vectors: 3, name: "conv2d.rows8x48") { job, worker, begin, end in
                ConvolutionRows.run(TileShape<8, 3>.self, tail: TileShape<4, 3>.self, RowInput<1, 1, 3>.self, job, worker: worker, tasks: begin..<end)
            }
        case (3, 1, 3, 1):
            return Tile(pixels: 16, vectors: 1, name: "conv2d.rows16x16") { job, worker, begin, end in
                ConvolutionRows.run(TileShape<16, 1>.self, tail: TileShape<12, 1>.self, RowInput<3, 1, 3>.self, job, worker: worker, tasks: begin..<end)
            }
        case (3, 1, 3, 2):
            return Tile(pixels: 8, vectors: 2, name: "conv2d.rows8x32") { job, worker, begin, end in
                ConvolutionRows.run(TileShape<8, 2>.self, tail: TileShape<4, 2>.self, RowInput<3, 1, 3>.self, job, worker: worker, tasks: begin..<end)
            }
        case (3, 1, 3, 3):
            return Tile(pixels: 8, vectors: 3, name: "conv2d.rows8x48") { job, worker, begin, end in
                ConvolutionRows.run(TileShape<8, 3>.self, tail: TileShape<4, 3>.self, RowInput<3, 1, 3>.self, job, worker: worker, tasks: begin..<end)
            }
        case (3, 2, 7, 1):
            return Tile(pixels: 16, vectors: 1, name: "conv2d.rows16x16") { job, worker, begin, end in
                ConvolutionRows.run(TileShape<16, 1>.self, tail: TileShape<12, 1>.self, RowInput<3, 2, 7>.self, job, worker: worker, tasks: begin..<end)
            }
        case (3, 2, 7, 2):
            return Tile(pixels: 8, vectors: 2, name: "conv2d.rows8x32") { job, worker, begin, end in
                ConvolutionRows.run(TileShape<8, 2>.self, tail: TileShape<4, 2>.self, RowInput<3, 2, 7>.self, job, worker: worker, tasks: begin..<end)
            }
        case (16, 1, 3, 1):
            return Tile(pixels: 16, vectors: 1, name: "conv2d.rows16x16") { job, worker, begin, end in
                ConvolutionRows.run(TileShape<16, 1>.self, tail: TileShape<12, 1>.self, RowInput<16, 1, 3>.self, job, worker: worker, tasks: begin..<end)
            }
        case (16, 1, 3, 2):
            return Tile(pixels: 8, vectors: 2, name: "conv2d.rows8x32") { job, worker, begin, end in
                ConvolutionRows.run(TileShape<8, 2>.self, tail: TileShape<4, 2>.self, RowInput<16, 1, 3>.self, job, worker: worker, tasks: begin..<end)
            }
        case (16, 1, 3, 3):
            return Tile(pixels: 8, vectors: 3, name: "conv2d.rows8x48") { job, worker, begin, end in
                ConvolutionRows.run(TileShape<8, 3>.self, tail: TileShape<4, 3>.self, RowInput<16, 1, 3>.self, job, worker: worker, tasks: begin..<end)
            }
        case (16, 2, 3, 1):
            return Tile(pixels: 16, vectors: 1, name: "conv2d.rows16x16") { job, worker, begin, end in
                ConvolutionRows.run(TileShape<16, 1>.self, tail: TileShape<12, 1>.self, RowInput<16, 2, 3>.self, job, worker: worker, tasks: begin..<end)
            }
        case (16, 2, 3, 2):
            return Tile(pixels: 8, vectors: 2, name: "conv2d.rows8x32") { job, worker, begin, end in
                ConvolutionRows.run(TileShape<8, 2>.self, tail: TileShape<4, 2>.self, RowInput<16, 2, 3>.self, job, worker: worker, tasks: begin..<end)
            }
        case (16, 2, 1, 1):
            return Tile(pixels: 16, vectors: 1, name: "conv2d.rows16x16") { job, worker, begin, end in
                ConvolutionRows.run(TileShape<16, 1>.self, tail: TileShape<12, 1>.self, RowInput<16, 2, 1>.self, job, worker: worker, tasks: begin..<end)
            }
        case (16, 2, 1, 2):
            return Tile(pixels: 8, vectors: 2, name: "conv2d.rows8x32") { job, worker, begin, end in
                ConvolutionRows.run(TileShape<8, 2>.self, tail: TileShape<4, 2>.self, RowInput<16, 2, 1>.self, job, worker: worker, tasks: begin..<end)
            }
        case (32, 2, 1, 2):
            return Tile(pixels: 8, vectors: 2, name: "conv2d.rows8x32") { job, worker, begin, end in
                ConvolutionRows.run(TileShape<8, 2>.self, tail: TileShape<4, 2>.self, RowInput<32, 2, 1>.self, job, worker: worker, tasks: begin..<end)
            }
        default:
            return nil
        }
        #elseif GN_FMA
        // 16 registers of 8 floats: 6 pixels × 16 channels (12 registers of sums, 2 of weights), the
        // general tile's shape, for any `vectors` (blocks of 16 channels), with tails of 4 × 16; 4 × 16
        // for the shortcuts.
        switch (channels, stride, kernel) {
        case (1, 1, 3):
            return Tile(pixels: 6, vectors: 1, name: "conv2d.rows6x16") { job, worker, begin, end in
                ConvolutionRows.run(TileShape<6, 1>.self, tail: TileShape<4, 1>.self, RowInput<1, 1, 3>.self, job, worker: worker, tasks: begin..<end)
            }
        case (3, 1, 3):
            return Tile(pixels: 6, vectors: 1, name: "conv2d.rows6x16") { job, worker, begin, end in
                ConvolutionRows.run(TileShape<6, 1>.self, tail: TileShape<4, 1>.self, RowInput<3, 1, 3>.self, job, worker: worker, tasks: begin..<end)
            }
        case (3, 2, 7):
            return Tile(pixels: 6, vectors: 1, name: "conv2d.rows6x16") { job, worker, begin, end in
                ConvolutionRows.run(TileShape<6, 1>.self, tail: TileShape<4, 1>.self, RowInput<3, 2, 7>.self, job, worker: worker, tasks: begin..<end)
            }
        case (16, 1, 3):
            return Tile(pixels: 6, vectors: 1, name: "conv2d.rows6x16") { job, worker, begin, end in
                ConvolutionRows.run(TileShape<6, 1>.self, tail: TileShape<4, 1>.self, RowInput<16, 1, 3>.self, job, worker: worker, tasks: begin..<end)
            }
        case (16, 2, 3):
            return Tile(pixels: 6, vectors: 1, name: "conv2d.rows6x16") { job, worker, begin, end in
                ConvolutionRows.run(TileShape<6, 1>.self, tail: TileShape<4, 1>.self, RowInput<16, 2, 3>.self, job, worker: worker, tasks: begin..<end)
            }
        case (16, 2, 1):
            return Tile(pixels: 4, vectors: 1, name: "conv2d.rows4x16") { job, worker, begin, end in
                ConvolutionRows.run(TileShape<4, 1>.self, RowInput<16, 2, 1>.self, job, worker: worker, tasks: begin..<end)
            }
        case (32, 2, 1):
            return Tile(pixels: 4, vectors: 1, name: "conv2d.rows4x16") { job, worker, begin, end in
                ConvolutionRows.run(TileShape<4, 1>.self, RowInput<32, 2, 1>.self, job, worker: worker, tasks: begin..<end)
            }
        default:
            return nil
        }
        #else
        return nil
        #endif
    }

    /// The row kernel for a convolution, or nil: when this variant has no tile for its input shape,
    /// it has fewer than 16 output channels whose padded weights do not fit (`PaddedWeights`), its
    /// packed blocks are not whole vectors, or its tiles would compute many pixels past the end of its
    /// rows (`wastesLittle`). Channels past the last whole block are computed as `ConvolutionTiled` computes
    /// them: the block shifted back, or padded to 16 (`runRow`).
    static func choice(_ query: KernelQuery) -> KernelChoice? {
        let g = query.geometry, layout = query.weightLayout
        guard TiledKernels.available, case .convolution = query.operation, PaddedWeights.fit(g),
              !layout.isPacked || layout.lanes % 16 == 0 else { return nil }
        func tile(vectors: Int) -> Tile? {
            ConvolutionRows.tile(channels: g.inputChannels, stride: g.strideWidth, kernel: g.kernelWidth, vectors: vectors)
        }
        guard g.kernelHeight == g.kernelWidth, g.inputChannels <= SummationOrder.termsPerBlock,
              let tile = (ConvolutionTiled.prefersBlocksOf48(g.outputChannels) ? tile(vectors: 3) : nil)
                  ?? tile(vectors: g.outputChannels >= 32 ? 2 : 1),
              wastesLittle(rowWidth: g.outputWidth, tilePixels: tile.pixels),
              g.kernelHeight <= PaddedRows<Float>.largestKernelHeight else { return nil }
        if let pair = pairTile(g) {
            return KernelChoice(function: pair.function, split: split(query, vectors: 1, outputRows: 2),
                                scratchFloats: PairScratch.floats(g), name: pair.name)
        }
        return KernelChoice(function: tile.function, split: split(query, vectors: tile.vectors),
                            scratchFloats: Scratch.floats(g, pixels: tile.pixels, lanes: 16 * tile.vectors),
                            name: tile.name)
    }

    /// The tile of two output rows for a layer, or nil: on AVX-512, 8 pixels × 2 rows × 16 channels for a
    /// 3 × 3 layer of stride 1 from 16 channels to 16 over rows of a multiple of 8 pixels (ResNet's
    /// first stage), where the 16 × 16 tile loads 17 vectors per 16 multiply-adds (16 broadcast inputs
    /// and the weights) and waits on those loads: each input this tile broadcasts from the two rows
    /// both output rows read goes to both (`runRowPair`). In C the same loop ran at 96–97% of the peak
    /// against the 16 × 16 tile's 92–94% (docs/benchmarks.md).
    static func pairTile(_ g: WindowGeometry) -> Tile? {
        #if GN_AVX512
        guard g.inputChannels == 16, g.outputChannels == 16, g.kernelHeight == 3, g.kernelWidth == 3,
              g.strideHeight == 1, g.strideWidth == 1, g.outputWidth % 8 == 0 else { return nil }
        return Tile(pixels: 8, vectors: 1, name: "conv2d.rows8x16x2") { job, worker, begin, end in
            ConvolutionRows.runPairs(job, worker: worker, tasks: begin..<end)
        }
        #else
        return nil
        #endif
    }

    /// Whether tiles of `tilePixels` pixels cover a row of `rowWidth` pixels computing at most a third
    /// more pixels than it has (a row's last tile computes all its pixels, existing or not; the tiled
    /// kernel's tiles run on into the next row). With tiles of 6 (AVX2's general row tile), the 1 × 1
    /// shortcut of ResNet-20's last stage (rows of 8: 12 pixels computed) took 0.22 ms at batch 32 against
    /// the tiled kernel's 0.18, while its second stage's (rows of 16: 18 computed) took 0.23 against 0.31
    /// (docs/benchmarks.md); AVX2's shortcuts now take tiles of 4 (`tile`).
    static func wastesLittle(rowWidth: Int, tilePixels: Int) -> Bool {
        let computed = (rowWidth + tilePixels - 1) / tilePixels * tilePixels
        return rowWidth >= tilePixels && 3 * computed <= 4 * rowWidth
    }

    /// The tasks of a row kernel (this one's and `IntegerRowsDot`'s): whole output rows × one block of
    /// `vectors` vectors of 16 output channels; enough rows for about 2048 multiply-adds per output
    /// channel (one row of a 3 × 3 layer of 16 channels over 32 columns; several of a 1 × 1 shortcut), so
    /// that a task's work outweighs its cost. Numbered row-major (`interleavesBlocks`): a row kernel's
    /// weights are few, and consecutive tasks then write whole output pixels — VGG-16's first layer (64
    /// channels in two blocks, an 8 MiB output at batch 32) took 1.85 ms block by block, 1.58 ms so.
    static func split(_ query: KernelQuery, vectors: Int, outputRows: Int = 1) -> TaskSplit {
        let g = query.geometry
        let fanIn = g.kernelHeight * g.kernelWidth * g.inputChannels
        // Whole tiles of `outputRows` rows where the rows allow.
        let rowsForWork = max(1, (2048 + g.outputWidth * fanIn - 1) / (g.outputWidth * fanIn))
        let rowsPerTask = min(g.outputHeight, (rowsForWork + outputRows - 1) / outputRows * outputRows)
        return TaskSplit(blocks: (g.outputChannels + 16 * vectors - 1) / (16 * vectors), itemsPerSample: query.outputPixelsPerSample,
                         itemsPerTask: g.outputWidth * rowsPerTask, interleavesBlocks: true)
    }

    /// The scratch of one thread: its padded input rows (`PaddedRows`), one tile of outputs (for a row's
    /// last, partial tile and a shifted or padded block), the tile's group sums, and for fewer than 16
    /// channels their weights and bias padded to 16 (`PaddedWeights`).
    struct Scratch {
        var rows: PaddedRows<Float>
        var spill: UnsafeMutablePointer<Float>
        var groupSums: UnsafeMutablePointer<Float>
        var padded: UnsafeMutablePointer<Float>

        static func floats(_ g: WindowGeometry, pixels: Int, lanes: Int) -> Int {
            PaddedRows<Float>.elements(g, pixels: pixels) + 2 * pixels * lanes + PaddedWeights.floats(g)
        }

        init(_ scratch: UnsafeMutablePointer<Float>, _ g: WindowGeometry, pixels: Int, lanes: Int) {
            rows = PaddedRows(scratch, g, pixels: pixels)
            spill = scratch + PaddedRows<Float>.elements(g, pixels: pixels)
            groupSums = spill + pixels * lanes
            padded = groupSums + pixels * lanes
        }
    }

    /// The scratch of one thread for `pairTile`'s tiles: padded rows for two output rows at once, the group
    /// sums of a tile's two rows (8 pixels × 16 channels each), and a row of outputs that a row computed
    /// alone pairs with and drops.
    struct PairScratch {
        var rows: PaddedRows<Float>
        var groupSums: UnsafeMutablePointer<Float>
        var discardedRow: UnsafeMutablePointer<Float>

        static func floats(_ g: WindowGeometry) -> Int {
            PaddedRows<Float>.elements(g, pixels: 8, outputRows: 2) + 2 * 8 * 16 + g.outputWidth * 16
        }

        init(_ scratch: UnsafeMutablePointer<Float>, _ g: WindowGeometry) {
            rows = PaddedRows(scratch, g, pixels: 8, outputRows: 2)
            groupSums = scratch + PaddedRows<Float>.elements(g, pixels: 8, outputRows: 2)
            discardedRow = groupSums + 2 * 8 * 16
        }
    }

    /// Runs `tasks` of a call whose job is `KernelArguments`, in tiles of `shape` over inputs of `input`.
    private static func run<let P: Int, let V: Int, let C: Int, let S: Int, let K: Int>(
        _ shape: TileShape<P, V>.Type, _ input: RowInput<C, S, K>.Type, _ job: UnsafeRawPointer, worker: Int,
        tasks: Range<Int>
    ) {
        run(shape, tail: shape, input, job, worker: worker, tasks: tasks)
    }

    /// Runs `tasks` of a call whose job is `KernelArguments`, in tiles of `shape` over inputs of `input`,
    /// each row ending in tiles of `tail` where they cover it exactly and tiles of `shape` alone do not
    /// (`tailStart`).
    private static func run<let P: Int, let T: Int, let V: Int, let C: Int, let S: Int, let K: Int>(
        _ shape: TileShape<P, V>.Type, tail: TileShape<T, V>.Type, _ input: RowInput<C, S, K>.Type,
        _ job: UnsafeRawPointer, worker: Int, tasks: Range<Int>
    ) {
        var arguments = job.load(as: KernelArguments.self)
        let g = arguments.geometry
        var scratch = Scratch(arguments.scratch(of: worker), g, pixels: P, lanes: 16 * V)
        let tailStart = ConvolutionRows.tailStart(rowWidth: g.outputWidth, tilePixels: P, tailPixels: T)
        // Without padding columns and partial tiles (1 × 1 shortcuts), tiles read the input in place.
        let inPlace = g.paddingWidth == 0 && (tailStart < g.outputWidth || g.outputWidth % P == 0)
        PaddedWeights.pad(&arguments, scratch: scratch.padded)
        // A 1 × 1 layer read in place without padding rows: an image's consecutive output rows of a task
        // read input rows `inputRowStride` apart, and one call of `runRow` takes them all, its set-up
        // once: a shortcut's row is one or two tiles of 8 pixels, and per row that set-up had held
        // ResNet-20's two shortcuts at 69–75% of the peak, 77–86% in bands (AVX-512, docs/benchmarks.md).
        // Other kernels (9 to 49 times the work a pixel) take one row a call, known when compiling.
        let inputRowStride = g.strideHeight &* g.inputWidth &* C
        let bandRows = K == 1 && inPlace && g.paddingHeight == 0 ? g.outputHeight : 1
        // Each task is whole output rows (of one image or of consecutive ones).
        arguments.forEachTask(tasks) { block, pixels in
            g.forEachOutputBand(pixels, rowsAtMost: bandRows) { sample, outputRow, rowCount, rowStart in
                scratch.rows.load(g, input: arguments.input, sample: sample, outputRow: outputRow, readsInPlace: inPlace) {
                    source, destination, count in destination.update(from: source, count: count)
                }
                let rows: InlineArray<K, UnsafePointer<Float>> = scratch.rows.loadedRows()
                // Kernel rows whose input row is padding (a top or bottom output row's) are left out.
                runRow(shape, tail: tail, tailStart: tailStart, input, g, block: block, rows: rows,
                       kernelRows: g.kernelRowsInside(outputRow: outputRow), rowCount: rowCount,
                       inputRowStride: inputRowStride, weights: arguments.weights!,
                       layout: arguments.weightLayout, bias: arguments.bias,
                       output: arguments.output + rowStart * g.outputChannels, spill: scratch.spill,
                       groupSums: scratch.groupSums, rowAhead: inPlace ? rows[K - 1] + inputRowStride : nil)
            }
        }
    }

    /// Runs `tasks` of a call in `pairTile`'s tiles: output rows two at a time; a row that a task has
    /// alone (the last of an odd count, or of a band) pairs with a row computed into scratch and dropped.
    private static func runPairs(_ job: UnsafeRawPointer, worker: Int, tasks: Range<Int>) {
        let arguments = job.load(as: KernelArguments.self)
        let g = arguments.geometry
        var scratch = PairScratch(arguments.scratch(of: worker), g)
        // The only shape `pairTile` admits (3 × 3, 16 channels), as constants: its blocks' ends are then
        // known when compiling, with no division per tap.
        let order = SummationOrder(taps: 9, channels: 16)
        arguments.forEachTask(tasks) { _, pixels in
            var pairedBefore = false
            g.forEachOutputRow(pixels) { sample, outputRow, rowStart in
                // The second row of a pair was computed with the first.
                if pairedBefore {
                    pairedBefore = false
                    return
                }
                let paired = outputRow &+ 1 < g.outputHeight && rowStart &+ 2 &* g.outputWidth <= pixels.upperBound
                scratch.rows.loadPair(g, input: arguments.input, sample: sample, outputRow: outputRow) {
                    source, destination, count in destination.update(from: source, count: count)
                }
                let output = arguments.output + rowStart &* g.outputChannels
                runRowPair(g, order: order, rows: scratch.rows.loadedRows(), weights: arguments.weights!,
                           layout: arguments.weightLayout, bias: arguments.bias, output: output,
                           secondRow: paired ? output + g.outputWidth &* 16 : scratch.discardedRow, groupSums: scratch.groupSums)
                pairedBefore = paired
            }
        }
    }

    /// Output rows `y` and `y + 1` (at `output` and `secondRow`, each row's first pixel) of a 3 × 3 layer
    /// of stride 1 from 16 channels to 16, in tiles of 8 pixels × 2 rows from the padded input rows
    /// `y − 1` … `y + 2` (`rows`). Input rows `y` and `y + 1` are read by both output rows, through kernel rows 1 and 2
    /// for row `y` and 0 and 1 for row `y + 1`, so each input value broadcast from them goes to two
    /// multiply-adds, each with the weights of its own kernel row. Each output still receives its terms
    /// in the summation order: its kernel rows in order, and within a kernel row its taps and their
    /// channels, its blocks summed apart (in registers, 8 sums per row) and added into its group sums
    /// (`groupSums`, 8 × 16 floats per row) and the output by `ConvolutionTiled.addBlock`, as every tile
    /// adds them, so the results are those of `runRow`, bit for bit. Kernel rows on padding read the zero
    /// row.
    /// Input rows `y − 1` and `y + 2` are read by one output row each, row `y`'s first kernel row and row
    /// `y + 1`'s last: a loop over one of them alone carries 8 sums, each multiply-add waiting on the one
    /// before (as many as two units of 4-cycle multiply-adds need, no slack). So a tile's row `y + 1` keeps
    /// its sums to the next tile, whose row `y` starts with input row `y − 1` in the same loop: 16 sums
    /// (ResNet-20's 16-channel layers on the Intel Xeon from 72–76% of the peak to 76–80% at batch 32,
    /// from 77–78% to 81–82% at batch 1; docs/benchmarks.md).
    @inline(__always)
    private static func runRowPair(
        _ g: WindowGeometry, order: SummationOrder, rows: InlineArray<4, UnsafePointer<Float>>,
        weights: UnsafePointer<Float>, layout: WeightLayout, bias: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>, secondRow: UnsafeMutablePointer<Float>, groupSums: UnsafeMutablePointer<Float>
    ) {
        typealias Sums = InlineArray<8, InlineArray<1, Vector>>
        let groupsA = groupSums, groupsB = groupSums + 8 &* 16
        let start = bias.map { Vector.load($0) } ?? Vector()
        // Zero sums, built element by element, as the tile's sums are (`runRow`), so that they stay in
        // registers.
        @inline(__always)
        func zeroSums() -> Sums { Sums { _ in InlineArray { _ in Vector() } } }
        // A block of `sums` ends after `tap`: its sums go to the group sums at `groups`, and where the
        // group ends, into the output at `target` (which holds the bias).
        @inline(__always)
        func endBlock(_ sums: inout Sums, tap: Int, groups: UnsafeMutablePointer<Float>, target: UnsafeMutablePointer<Float>) {
            guard (tap &+ 1) % order.tapsPerBlock == 0 || tap &+ 1 == order.taps else { return }
            ConvolutionTiled.addBlock(sums, block: tap / order.tapsPerBlock, order: order, groupSums: groups,
                                      output: target, pixelStride: 16)
            sums = zeroSums()
        }
        // One kernel column's 16 channels for one output row (the first or the last input row's, which
        // only one of the two reads).
        @inline(__always)
        func addKernelColumn(to sums: inout Sums, inputs: UnsafePointer<Float>, weights: UnsafePointer<Float>) {
            var columnWeights = weights
            for channel in 0..<16 {
                let weight = Vector.load(columnWeights)
                for pixel in 0..<8 {
                    sums[pixel][0] = multiplyAdd(sums[pixel][0], Vector(repeating: inputs[pixel &* 16 &+ channel]), weight)
                }
                columnWeights += layout.channelStride
            }
        }
        // Input row y + 2 (kernel row 2 of row y + 1) for the tile at `column`, into `sums`.
        @inline(__always)
        func addLastRow(_ sums: inout Sums, column: Int, target: UnsafeMutablePointer<Float>) {
            for kernelColumn in 0..<3 {
                let tap = 6 &+ kernelColumn
                addKernelColumn(to: &sums, inputs: rows[3] + (column &* 16 &+ kernelColumn &* 16),
                                weights: weights + layout.offset(channel: 0, tap: tap))
                endBlock(&sums, tap: tap, groups: groupsB, target: target)
            }
        }
        // Row y + 1's sums of the tile before (the one at `column` − 8), whose last kernel row (input row
        // y + 2) is still to add: it is added beside the next tile's first (input row y − 1, row y's
        // alone), so that both loops carry 16 independent sums rather than 8.
        var sumsB = zeroSums()
        var column = 0
        while column < g.outputWidth {
            let targetA = output + column &* 16, targetB = secondRow + column &* 16
            for pixel in 0..<8 {
                start.store(targetA + pixel &* 16)
                start.store(targetB + pixel &* 16)
            }
            var sumsA = zeroSums()
            for kernelColumn in 0..<3 {
                let tapA = kernelColumn
                let inputsA = rows[0] + (column &* 16 &+ kernelColumn &* 16)
                var weightsA = weights + layout.offset(channel: 0, tap: tapA)
                if column == 0 {
                    addKernelColumn(to: &sumsA, inputs: inputsA, weights: weightsA)
                } else {
                    let tapB = 6 &+ kernelColumn
                    let inputsB = rows[3] + ((column &- 8) &* 16 &+ kernelColumn &* 16)
                    var weightsB = weights + layout.offset(channel: 0, tap: tapB)
                    for channel in 0..<16 {
                        let weightA = Vector.load(weightsA), weightB = Vector.load(weightsB)
                        for pixel in 0..<8 {
                            sumsA[pixel][0] = multiplyAdd(sumsA[pixel][0], Vector(repeating: inputsA[pixel &* 16 &+ channel]), weightA)
                            sumsB[pixel][0] = multiplyAdd(sumsB[pixel][0], Vector(repeating: inputsB[pixel &* 16 &+ channel]), weightB)
                        }
                        weightsA += layout.channelStride
                        weightsB += layout.channelStride
                    }
                    endBlock(&sumsB, tap: tapB, groups: groupsB, target: targetB - 8 &* 16)
                }
                endBlock(&sumsA, tap: tapA, groups: groupsA, target: targetA)
            }
            // Input rows y and y + 1: kernel rows 1 and 2 of row y, 0 and 1 of row y + 1.
            for inputRow in 1..<3 {
                let inputs = rows[inputRow] + column &* 16
                for kernelColumn in 0..<3 {
                    let tapA = inputRow &* 3 &+ kernelColumn, tapB = tapA &- 3
                    let columnInputs = inputs + kernelColumn &* 16
                    var weightsA = weights + layout.offset(channel: 0, tap: tapA)
                    var weightsB = weights + layout.offset(channel: 0, tap: tapB)
                    for channel in 0..<16 {
                        let weightA = Vector.load(weightsA), weightB = Vector.load(weightsB)
                        for pixel in 0..<8 {
                            let value = Vector(repeating: columnInputs[pixel &* 16 &+ channel])
                            sumsA[pixel][0] = multiplyAdd(sumsA[pixel][0], value, weightA)
                            sumsB[pixel][0] = multiplyAdd(sumsB[pixel][0], value, weightB)
                        }
                        weightsA += layout.channelStride
                        weightsB += layout.channelStride
                    }
                    endBlock(&sumsA, tap: tapA, groups: groupsA, target: targetA)
                    endBlock(&sumsB, tap: tapB, groups: groupsB, target: targetB)
                }
            }
            column &+= 8
        }
        // The last tile's (rows are whole tiles: `pairTile`).
        let last = g.outputWidth &- 8
        addLastRow(&sumsB, column: last, target: secondRow + last &* 16)
    }

    /// One output row (at `output`, its first pixel's channel 0) × the channels of block `block`, from
    /// the padded input row of each kernel row, `rows`, of which those outside `kernelRows` lie on
    /// padding and are left out (but for a one-block window summed tap by tap, `addWindow`, which reads
    /// their zeros).
    /// `rowAhead`, for rows read in place, is the input row the next output row reads last, whose
    /// columns each tile asks for ahead (`prefetchTile`).
    /// A 1 × 1 kernel (`K` = 1) computes `rowCount` output rows, consecutive in `output`, whose input
    /// rows (and rows ahead) lie `inputRowStride` floats apart (a band read in place, `run`); other
    /// kernels, one.
    /// A partial last block is shifted back, or padded, and its tiles compute into `spill` (`ChannelBlock`);
    /// `groupSums` holds a tile's group sums (the two parts of `Scratch` a row uses).
    @inline(__always)
    private static func runRow<let P: Int, let T: Int, let V: Int, let C: Int, let S: Int, let K: Int>(
        _ shape: TileShape<P, V>.Type, tail: TileShape<T, V>.Type, tailStart: Int, _ input: RowInput<C, S, K>.Type,
        _ g: WindowGeometry,
        block: Int, rows firstRows: InlineArray<K, UnsafePointer<Float>>, kernelRows: Range<Int>,
        rowCount: Int, inputRowStride: Int,
        weights: UnsafePointer<Float>, layout: WeightLayout,
        bias: UnsafePointer<Float>?, output firstOutput: UnsafeMutablePointer<Float>, spill: UnsafeMutablePointer<Float>,
        groupSums: UnsafeMutablePointer<Float>, rowAhead firstRowAhead: UnsafePointer<Float>?
    ) {
        let lanes = 16 * V
        // Built here from constants, not passed in: its blocks are then known when compiling.
        let order = SummationOrder(taps: K * K, channels: C)
        let channels = ChannelBlock(block, lanes: lanes, channels: g.outputChannels)
        let firstChannel = channels.first
        // A constant, not a variable: the tiles below capture it.
        let tileWeights = InlineArray<V, UnsafePointer<Float>> { vector in
            weights + layout.offset(channel: firstChannel + 16 * vector, tap: 0)
        }
        // One output row: its input rows (`rows`), its output and the row it asks for ahead. Parameters,
        // not variables the tiles capture: captured variables that change went into boxes, checked for
        // exclusive access at run time (`swift_beginAccess`) in the 3-channel first layer's tiles.
        @inline(__always)
        func runOneRow(rows: InlineArray<K, UnsafePointer<Float>>, output: UnsafeMutablePointer<Float>,
                       rowAhead: UnsafePointer<Float>?) {
            // The tile of `Q` pixels at `column`; returns the pixels of the row it computed.
            @inline(__always)
            func runTile<let Q: Int>(_ tileShape: TileShape<Q, V>.Type, column: Int) -> Int {
                // Wrapping arithmetic: a tile's offsets lie inside the tensors the session checked, and
                // each overflow check here is a branch per tile of 128 multiply-adds (a 1 × 1 shortcut's).
                let count = min(Q, g.outputWidth &- column)
                // A partial tile, or a shifted or padded block, computes into scratch (its pixels `lanes`
                // floats apart), then copies what is its own.
                let partial = count < Q || channels.isShifted
                let target = partial ? spill : output + (column &* g.outputChannels &+ firstChannel)
                let tileColumn = column &* (S &* C)
                if let rowAhead { prefetchTile(input, tileShape, rowAhead + tileColumn) }
                ConvolutionTiled.sumBlocks(tileShape, TileCount<1>.self, order: order, bias: bias.map { $0 + firstChannel },
                                           groupSums: groupSums, output: target,
                                           pixelStride: partial ? lanes : g.outputChannels) { taps, _, _ in
                    // Built element by element: the repeating initializer, called out of line for 16 sums,
                    // would keep them in memory.
                    var sums = InlineArray<Q, InlineArray<V, Vector>> { _ in InlineArray { _ in Vector() } }
                    if taps.count == K * K {
                        addWindow(tileShape, input, to: &sums, rows: rows, kernelRows: kernelRows, column: tileColumn,
                                  weights: tileWeights, layout: layout)
                        return sums
                    }
                    // The block's taps by kernel row: the terms of a row's taps (their channels, in the
                    // summation order's (tap, channel) order) are consecutive in its padded row and their
                    // weights `channelStride` apart, so a 3 × 3 layer of 3 channels takes three loops of 9
                    // terms rather than nine of 3.
                    for kernelRow in kernelRows {
                        let first = max(taps.lowerBound, kernelRow * K), end = min(taps.upperBound, kernelRow * K + K)
                        guard first < end else { continue }
                        let inputs = rows[kernelRow] + tileColumn + (first - kernelRow * K) * C
                        var w = InlineArray<V, UnsafePointer<Float>>(repeating: weights)
                        for vector in 0..<V { w[vector] = tileWeights[vector] + first * layout.tapStride }
                        for term in 0..<(end - first) * C {
                            addTerm(input, to: &sums, inputs: inputs, term: term, weights: &w, channelStride: layout.channelStride)
                        }
                    }
                    return sums
                }
                if partial {
                    channels.copyOut(count, from: spill, to: output + column * g.outputChannels, channels: g.outputChannels)
                }
                return count
            }
            var column = 0
            while column < tailStart { column += runTile(shape, column: column) }
            // Known when compiling: kernels without a tail have no second loop.
            if T < P {
                while column < g.outputWidth { column += runTile(tail, column: column) }
            }
        }
        // A band's rows (1 × 1 kernels, `run`) lie `inputRowStride` apart; other kernels take one row.
        for row in 0..<(K == 1 ? rowCount : 1) {
            runOneRow(rows: InlineArray { firstRows[$0] + row &* inputRowStride },
                      output: firstOutput + row &* (g.outputWidth &* g.outputChannels),
                      rowAhead: firstRowAhead.map { $0 + row &* inputRowStride })
        }
    }

    /// The column at which a row of `rowWidth` pixels, in tiles of `tilePixels`, takes tiles of
    /// `tailPixels` (fewer) instead, so that its tiles cover it exactly: the last tiles of `tilePixels`
    /// that leave a multiple of `tailPixels` — AVX2's rows of 32 pixels in 4 tiles of 6 and 2 of 4,
    /// rather than 6 of 6 (36 pixels computed) — or `rowWidth` when there are none (a row's last
    /// tile then partial). Every pixel's sums are the same whichever tile computes them.
    static func tailStart(rowWidth: Int, tilePixels: Int, tailPixels: Int) -> Int {
        guard tailPixels < tilePixels else { return rowWidth }
        var start = rowWidth / tilePixels * tilePixels
        while start >= 0 {
            if (rowWidth - start) % tailPixels == 0 { return start }
            start -= tilePixels
        }
        return rowWidth
    }

    /// Asks for the cache lines a tile of `P` pixels at `inputs` reads in one input row, ahead of the
    /// tile that reads them (an output row later). For rows read in place — the 1 × 1 shortcuts, whose
    /// input is larger than the L2 cache at batch 32 and whose few multiply-adds per value wait for it:
    /// ResNet-20's 16 → 32 shortcut went from 58% to 72% of the peak (docs/benchmarks.md).
    @inline(__always)
    private static func prefetchTile<let P: Int, let V: Int, let C: Int, let S: Int, let K: Int>(
        _ input: RowInput<C, S, K>.Type, _ shape: TileShape<P, V>.Type, _ inputs: UnsafePointer<Float>
    ) {
        for pixel in 0..<P {
            // A pixel's C channels are consecutive: one line per 16 floats.
            for line in 0..<(C + 15) / 16 { prefetchLine(inputs + (pixel &* (S &* C) &+ line &* 16)) }
        }
    }

    /// Adds to `sums` a tile's terms over the whole window, when it is one block (a layer with at most 64
    /// terms per output: the 3-channel first layer, 1 × 1 shortcuts), in the summation order's (tap,
    /// channel) order. Every loop's length is known when compiling, and the sums stay in registers
    /// from the first term to the last: through the loops of `runRow`, whose lengths are known only
    /// when running, the compiler zeroed them in memory (a call to `memset`) and reloaded them. With
    /// `loadedRows`, ResNet-20's first layer went from 48–51% to 62–64% of the peak at batch 1.
    /// A `slidesWindow` tile sums the kernel rows of `kernelRows` alone (those not on padding); the
    /// others read the padding's zeros.
    @inline(__always)
    private static func addWindow<let P: Int, let V: Int, let C: Int, let S: Int, let K: Int>(
        _ shape: TileShape<P, V>.Type, _ input: RowInput<C, S, K>.Type, to sums: inout InlineArray<P, InlineArray<V, Vector>>,
        rows: InlineArray<K, UnsafePointer<Float>>, kernelRows: Range<Int>, column: Int,
        weights: InlineArray<V, UnsafePointer<Float>>, layout: WeightLayout
    ) {
        if slidesWindow(shape, input) {
            // A kernel row's K · C weights lie `channelStride` apart, as `addTerm` steps through them.
            // A kernel row is one whole loop body (its terms' loops unrolled within it), so the loop can
            // run over the rows inside the input alone and the sums still stay in registers.
            for kernelRow in kernelRows {
                addRowSliding(input, to: &sums, inputs: rows[kernelRow] + column,
                              weights: weights[0] + kernelRow &* (K &* C &* layout.channelStride),
                              channelStride: layout.channelStride)
            }
            return
        }
        var w = weights
        for kernelRow in 0..<K {
            let inputs = rows[kernelRow] + column
            for term in 0..<K * C {
                addTerm(input, to: &sums, inputs: inputs, term: term, weights: &w, channelStride: layout.channelStride)
            }
        }
    }

    /// Whether a one-block window of this shape is summed by `addRowSliding`: on AVX-512 (32 registers
    /// of 16 floats), a tile of up to 16 pixels × 16 channels of a 3 × 3 layer of stride 1 over 3 channels
    /// (the first layer of a colour-image network), whose 16 sums and a kernel row's 9 vectors of
    /// weights fit in registers together.
    @inline(__always)
    private static func slidesWindow<let P: Int, let V: Int, let C: Int, let S: Int, let K: Int>(
        _ shape: TileShape<P, V>.Type, _ input: RowInput<C, S, K>.Type
    ) -> Bool {
        #if GN_AVX512
        return V == 1 && S == 1 && K == 3 && C == 3 && P <= 16
        #else
        return false
        #endif
    }

    /// Adds one kernel row's terms to a `slidesWindow` tile: input column `x` (its C = 3 channels at
    /// `inputs` + C·x) goes to the up to three pixels whose windows read it — pixel x − k with the
    /// weights of kernel column k — each of its values broadcast once for the three, with the kernel
    /// row's 9 weight vectors held in registers. The tile's way (`addTerm`) broadcasts an input per multiply-add, which
    /// bounds ResNet-20's first layer on a core with two 512-bit multiply-add units (docs/benchmarks.md).
    /// A pixel still receives its terms in the summation order's (tap, channel) order: its input
    /// columns in increasing order, each column's channels in order, so the sums are the same bits.
    /// Written out column by column, with named weights: the compiler keeps neither the sums nor the
    /// weights in registers through a loop over the 18 columns, or through an array of the weights.
    /// Column by column, a pixel's 9 terms of the row wait on one another and only about three pixels'
    /// run at once; the tile's two halves of 8 pixels go side by side (column j of the first with
    /// column 8 + j of the second, the two columns both read broadcast once for each), so that twice as
    /// many do: the first layer of ResNet-20 about 4% faster on the Intel Xeon (docs/benchmarks.md).
    @inline(__always)
    private static func addRowSliding<let P: Int, let V: Int, let C: Int, let S: Int, let K: Int>(
        _ input: RowInput<C, S, K>.Type, to sums: inout InlineArray<P, InlineArray<V, Vector>>,
        inputs: UnsafePointer<Float>, weights: UnsafePointer<Float>, channelStride: Int
    ) {
        // Weights of kernel column k, channel c: `wkc`.
        let w00 = Vector.load(weights), w01 = Vector.load(weights + channelStride), w02 = Vector.load(weights + 2 &* channelStride)
        let w10 = Vector.load(weights + 3 &* channelStride), w11 = Vector.load(weights + 4 &* channelStride)
        let w12 = Vector.load(weights + 5 &* channelStride), w20 = Vector.load(weights + 6 &* channelStride)
        let w21 = Vector.load(weights + 7 &* channelStride), w22 = Vector.load(weights + 8 &* channelStride)
        // Channel `channel` of input column `x`, times the weights of kernel columns 0, 1 and 2 of that
        // channel, into pixels x, x − 1 and x − 2 (those of the tile). Constant indices once inlined.
        @inline(__always)
        func add(_ x: Int, _ channel: Int, _ column0: Vector, _ column1: Vector, _ column2: Vector, pixels: Range<Int>) {
            let value = Vector(repeating: inputs[x &* C &+ channel])
            if pixels.contains(x - 2) { sums[x - 2][0] = multiplyAdd(sums[x - 2][0], value, column2) }
            if pixels.contains(x - 1) { sums[x - 1][0] = multiplyAdd(sums[x - 1][0], value, column1) }
            if pixels.contains(x) { sums[x][0] = multiplyAdd(sums[x][0], value, column0) }
        }
        // Input column `x` into the tile's pixels of `pixels`.
        @inline(__always)
        func column(_ x: Int, _ pixels: Range<Int>) {
            guard x < pixels.upperBound + 2, x + 1 > pixels.lowerBound else { return }
            add(x, 0, w00, w10, w20, pixels: pixels)
            add(x, 1, w01, w11, w21, pixels: pixels)
            add(x, 2, w02, w12, w22, pixels: pixels)
        }
        // The two halves of the tile side by side, column j of the first beside column 8 + j of the second.
        let first = 0..<min(P, 8), second = min(P, 8)..<P
        @inline(__always)
        func step(_ j: Int) {
            column(j, first)
            column(8 + j, second)
        }
        step(0); step(1); step(2); step(3); step(4); step(5); step(6); step(7); step(8); step(9)
    }

    /// Adds term `term` of a tile to `sums`: each of its `P` pixels' input (pixel `p`'s at `inputs` +
    /// p · S · C + `term`) times the `V` weight vectors at `weights`, which then move to the next term's.
    @inline(__always)
    private static func addTerm<let P: Int, let V: Int, let C: Int, let S: Int, let K: Int>(
        _ input: RowInput<C, S, K>.Type, to sums: inout InlineArray<P, InlineArray<V, Vector>>, inputs: UnsafePointer<Float>,
        term: Int, weights: inout InlineArray<V, UnsafePointer<Float>>, channelStride: Int
    ) {
        var weight = InlineArray<V, Vector>(repeating: Vector())
        for vector in 0..<V { weight[vector] = Vector.load(weights[vector]) }
        for index in 0..<P {
            // Wrapping arithmetic: the offsets are small constants, and without overflow checks the
            // compiler unrolls the loop and keeps the sums in registers.
            let value = Vector(repeating: inputs[index &* (S &* C) &+ term])
            for vector in 0..<V { sums[index][vector] = multiplyAdd(sums[index][vector], value, weight[vector]) }
        }
        for vector in 0..<V { weights[vector] += channelStride }
    }
}

// The row kernels' own: an internal helper, so that a build without them (the embedded core, which
// links every public function of the interface) carries none of it.
extension WindowGeometry {
    /// Calls `body` for each band of consecutive output rows of one sample in `pixels` (whole rows, as a
    /// row kernel's tasks are), at most `rowsAtMost` rows a band, in memory order, with its sample, its
    /// first row, its number of rows and its first output pixel.
    @inline(__always)
    func forEachOutputBand(_ pixels: Range<Int>, rowsAtMost: Int,
                           _ body: (_ sample: Int, _ outputRow: Int, _ rows: Int, _ rowStart: Int) -> Void) {
        guard !pixels.isEmpty else { return }
        var (sample, outputRow, _) = outputPosition(pixels.lowerBound)
        var rowStart = pixels.lowerBound, rowsLeft = pixels.count / outputWidth
        while rowsLeft > 0 {
            let rows = min(min(rowsAtMost, outputHeight &- outputRow), rowsLeft)
            body(sample, outputRow, rows, rowStart)
            rowsLeft &-= rows
            rowStart &+= rows &* outputWidth
            outputRow &+= rows
            if outputRow == outputHeight { (sample, outputRow) = (sample &+ 1, 0) }
        }
    }
}
