import GNKernelInterface

/// The shape of a register tile: `pixels` output pixels × `vectors` vectors of 16 output channels,
/// whose sums stay in registers while the kernel streams the weights.
struct TileShape<let pixels: Int, let vectors: Int> {
    /// The shape's pixels (a matrix-vector tile's rows), for code that is not generic over them.
    static var pixelCount: Int { pixels }
}

/// How many tiles take each block of the summation order in turn (`ConvolutionTiled.sumBlocks`): a
/// constant, so that the loop over one tile compiles to none.
struct TileCount<let tiles: Int> {
    static var count: Int { tiles }
}

/// A register-blocked convolution over channels-last tensors with `[kh][kw][Cin][Cout]` weights.
///
/// The output is computed in tiles of consecutive output pixels (in memory order, so a tile may span
/// rows and samples: narrow maps waste nothing) — or, in a padded layer over groups of as many images
/// as a tile has pixels, of one output position of each image of a group (`positionTilesEnd`), whose
/// windows leave the input alike — × 16 or 32 output channels, whose sums stay in
/// registers while the loop runs over the taps and input channels of one block of `SummationOrder`:
/// each step loads one weight vector and multiplies it by one input value per pixel. The tile's shape
/// is this variant's (`tile(_:)`): as many sums as its vector registers hold beside the weights. Each
/// pixel reads its input through its own pointer, so pixels whose window leaves the input read a row
/// of zeros instead (no special edge path; a tap on padding for every pixel of a tile is skipped), and
/// the pixels of a last, partial tile write to scratch.
/// The sums follow `SummationOrder` with the same `multiplyAdd` as `Convolution.reference`, so results
/// equal it bit for bit (up to the sign of zero). A last block of fewer channels than the tile's
/// width is shifted back to end at the last channel (`run`). Pointwise layers (linear layers, 1 × 1 convolutions of stride 1) are matrix
/// products: there the tiles of a task take each block in turn (`runPointwise`), so that a block's
/// weights are read from memory once per task rather than once per tile.
///
/// Work is split into tasks — (channel block, run of `tilesPerTask` tiles) pairs, sample-major, or
/// block-major for layers of many weights so that a range of tasks reuses one block of them — which
/// threads may run in parallel.
/// Unsafe pointers and SIMD in the loops on purpose: this is the hot loop.
enum ConvolutionTiled {
    /// Tiles per task.
    static let tilesPerTask = TaskTiles.count
    /// The tiles of a task of a pointwise layer, which take each block of weights in turn.
    typealias TaskTiles = TileCount<4>

    typealias Vector = SIMD16<Float>

    /// A tile shape of this variant: its kernel, and the numbers that go with it.
    struct Tile {
        /// Output pixels per tile.
        var pixels: Int
        /// Vectors of 16 output channels per tile.
        var vectors: Int
        /// The kernel's name for a convolution and for a linear layer.
        var names: (convolution: StaticString, linear: StaticString)
        /// Runs tasks of a call in tiles of this shape.
        var function: TaskFunction
    }

    #if GN_AVX512
    // 32 registers of 16 floats: 10 pixels × 16 channels (10 sums, enough independent multiply-adds
    // to hide their latency, and 10 input pointers that fit the general registers: 12 measured slower)
    // 8 × 32 (16 sums and 2 vectors of weights) and 8 × 48 (24 sums, 3 vectors of weights and the
    // broadcast input: 28 registers).
    static var narrowTile: Tile {
        Tile(pixels: 10, vectors: 1, names: ("conv2d.tiled10x16", "linear.tiled10x16")) { job, worker, begin, end in
            ConvolutionTiled.run(TileShape<10, 1>.self, job, worker: worker, tasks: begin..<end)
        }
    }
    static var wideTile: Tile? {
        Tile(pixels: 8, vectors: 2, names: ("conv2d.tiled8x32", "linear.tiled8x32")) { job, worker, begin, end in
            ConvolutionTiled.run(TileShape<8, 2>.self, job, worker: worker, tasks: begin..<end)
        }
    }
    static var widerTile: Tile? {
        Tile(pixels: 8, vectors: 3, names: ("conv2d.tiled8x48", "linear.tiled8x48")) { job, worker, begin, end in
            ConvolutionTiled.run(TileShape<8, 3>.self, job, worker: worker, tasks: begin..<end)
        }
    }
    // 6 × 64 (24 sums, 4 vectors of weights): 24 multiply-adds per 4 loads of weights and 6 broadcast
    // inputs, where 8 × 32 does 16 per 2 and 8 — for convolutions of whole blocks of 64 channels over
    // many pixels (`tile`).
    static var widestTile: Tile? {
        Tile(pixels: 6, vectors: 4, names: ("conv2d.tiled6x64", "linear.tiled6x64")) { job, worker, begin, end in
            ConvolutionTiled.run(TileShape<6, 4>.self, job, worker: worker, tasks: begin..<end)
        }
    }
    // Small maps (VGG-16's last convolutions at batch 1: 2 × 2 pixels) waste less in tiles of 4
    // pixels, and are bound by reading their weights: 4 × 64 reads two blocks of packed weights at once.
    static var smallWideTile: Tile? {
        Tile(pixels: 4, vectors: 4, names: ("conv2d.tiled4x64", "linear.tiled4x64")) { job, worker, begin, end in
            ConvolutionTiled.run(TileShape<4, 4>.self, job, worker: worker, tasks: begin..<end)
        }
    }
    #elseif GN_FMA
    // 16 registers of 8 floats: 6 pixels × 16 channels (12 registers of sums, 2 of weights).
    static var narrowTile: Tile {
        Tile(pixels: 6, vectors: 1, names: ("conv2d.tiled6x16", "linear.tiled6x16")) { job, worker, begin, end in
            ConvolutionTiled.run(TileShape<6, 1>.self, job, worker: worker, tasks: begin..<end)
        }
    }
    static var wideTile: Tile? { nil }
    static var widerTile: Tile? { nil }
    static var smallWideTile: Tile? { nil }
    static var widestTile: Tile? { nil }
    #else
    // 16 registers of 4 floats: 3 pixels × 16 channels (12 registers of sums, 4 of weights).
    static var narrowTile: Tile {
        Tile(pixels: 3, vectors: 1, names: ("conv2d.tiled3x16", "linear.tiled3x16")) { job, worker, begin, end in
            ConvolutionTiled.run(TileShape<3, 1>.self, job, worker: worker, tasks: begin..<end)
        }
    }
    static var wideTile: Tile? { nil }
    static var widerTile: Tile? { nil }
    static var smallWideTile: Tile? { nil }
    static var widestTile: Tile? { nil }
    #endif

    /// This variant's tile for a layer: the wide one when its channels fill at least one block of 32 (a
    /// last, partial block shifts back, `run`; for a convolution over fewer pixels than four wide tiles —
    /// all samples and steps of a call — or a padded one over fewer images than a wide tile has pixels but
    /// at least as many as the small wide one's, the small wide one, where the variant has one and the
    /// channels come in whole blocks of it; the wider one, where the variant has one, when its blocks of 48
    /// compute no more channels than blocks of 32 would: 48, 80, 96, 144 channels but not 64 or 128), else
    /// the narrow one, fewer than 16 channels included when their weights padded to 16 fit
    /// (`PaddedWeights`); nil for wider weights of so few channels, or packed weights in blocks of other
    /// than whole vectors.
    ///
    /// A convolution whose channels come in whole blocks of 64, over 192 pixels a call or more (8 tasks of
    /// 4 tiles per block), takes the widest tile where the variant has one: VGG-16's layers of 64 to 512
    /// channels from 76–80% of the peak to 79–88% at batch 32, the network 1.08× as fast; over fewer
    /// pixels (ResNet-20's 8 × 8 maps at batch 1: 3 tasks) two threads could not share its tasks evenly,
    /// and ResNet-20 at batch 1 on two threads ran 0.96× as fast (docs/benchmarks.md).
    ///
    /// The wide tile, though it computes up to 31 channels twice, is the faster for every width past
    /// 32: it does 16 multiply-adds per weight load to the narrow tile's 10 (`benchmarks/layer_widths.py`).
    /// The wider one does 24 per 3 loads of weights and 8 of inputs, to the wide one's 16 per 2 and 8:
    /// 1.08–1.42× faster than the wide one where it computes no more channels, 0.72× where it computes
    /// 64 channels as 96 (alternated single layers at batch 8).
    static func tile(_ query: KernelQuery) -> Tile? {
        let channels = query.geometry.outputChannels, layout = query.weightLayout
        guard TiledKernels.available, !layout.isPacked || layout.lanes % 16 == 0, PaddedWeights.fit(query.geometry) else {
            return nil
        }
        if channels >= 32, let wide = wideTile {
            // A convolution over few pixels (fewer than four wide tiles: VGG-16's 2 × 2 and 4 × 4 maps at
            // batch 1) is bound by reading its weights, and leaves tiles empty: the small tile, measured
            // 1.2–1.6× faster there (1.0 against 1.2 ms, 0.6 against 0.9–1.0 ms), level on 8 × 8 maps.
            let pixels = query.batch * query.outputPixelsPerSample
            if case .convolution = query.operation, let small = smallWideTile, channels % (16 * small.vectors) == 0 {
                if pixels < 4 * wide.pixels { return small }
                // A padded layer over fewer images (samples × steps) than the wide tile has pixels but as
                // many as the small one's: the small tile, whose groups of images its calls fill, so
                // that its tiles take one position each (`positionTilesEnd`) — ResNet-20's 64-channel
                // layers at T = 4, batch 1 (4 images), 8% faster, the network 1.03×.
                if query.batch * query.steps < wide.pixels, takesPositionTiles(query, pixels: small.pixels) {
                    return small
                }
            }
            if let wider = widerTile, prefersBlocksOf48(channels) { return wider }
            if case .convolution = query.operation, let widest = widestTile, channels % (16 * widest.vectors) == 0,
               pixels >= 8 * tilesPerTask * widest.pixels {
                return widest
            }
            return wide
        }
        return narrowTile
    }

    /// Whether a layer of `channels` output channels computes them in blocks of 48 rather than 32,
    /// where the variant has tiles of both (`tile`): 48 channels or more, of which blocks of 48 compute
    /// no more than blocks of 32 would (a last block shifted back computes some twice).
    static func prefersBlocksOf48(_ channels: Int) -> Bool {
        func computed(_ lanes: Int) -> Int { (channels + lanes - 1) / lanes * lanes }
        return channels >= 48 && computed(48) <= computed(32)
    }

    /// The tiled kernel for a query (named `linear.…` for a linear layer), or nil (see `tile`).
    static func choice(_ query: KernelQuery, linear: Bool = false) -> KernelChoice? {
        guard let tile = tile(query) else { return nil }
        let g = query.geometry
        let lanes = 16 * tile.vectors
        // Tasks sample by sample, each block of channels in turn (a thread pool's share of them then is
        // whole samples, which the thread computes layer after layer: docs/architecture.md, "Threads"),
        // but for layers of many weights, block by block, so that a range of tasks reuses one block.
        let split = TaskSplit(blocks: (g.outputChannels + lanes - 1) / lanes,
                              itemsPerSample: query.outputPixelsPerSample, itemsPerTask: tile.pixels * tilesPerTask,
                              interleavesBlocks: !hasManyWeights(g))
        return KernelChoice(function: tile.function, split: split,
                            scratchFloats: Scratch.floats(g, pixels: tile.pixels, lanes: lanes),
                            name: linear ? tile.names.linear : tile.names.convolution,
                            reordersItems: takesPositionTiles(query, pixels: tile.pixels))
    }

    /// Whether a layer of tiles of `pixels` pixels reads its weights from memory for few tiles: a layer
    /// of many weights (a MiB or more, more than the second level of cache keeps from one run to the
    /// next) over few tiles per channel block (small maps at batch 1: VGG-16's 8 × 8 maps and smaller).
    /// The tiles of a task then take each block in turn, as a pointwise layer's do, and fetch the next
    /// block ahead — VGG-16's 4 × 4 layers at batch 1 in 0.70–0.78 ms rather than 1.07–1.11.
    /// Elsewhere tile by tile is faster: where many tiles share a block (VGG-16's 32 × 32 layer at
    /// batch 32) the grouped order took 7% longer and with the fetches ahead 20%, and where the weights
    /// stay in cache (ResNet-20's 8 × 8 layers at batch 1) 8–10% longer.
    static func streamsWeights(_ g: WindowGeometry, pixels: Int) -> Bool {
        hasManyWeights(g) && g.outputPixels <= 2 * tilesPerTask * pixels
    }

    /// Where the pixels a tiled convolution of tiles of `pixels` pixels computes image-major end: the
    /// pixels of whole groups of `pixels` images (samples and steps), in which a tile takes one output
    /// position of each image of its group (position by position, group by group), when the layer is
    /// padded and is not pointwise; 0 otherwise. Such a tile's windows leave the input alike, so its
    /// taps on padding are left out for all its pixels: a 3 × 3 layer over 2 × 2 maps reads 4 taps of
    /// 9, over 4 × 4 maps 6.25, where tiles of consecutive pixels, which mix positions, read all 9.
    /// The other pixels (of the images past the last whole group) are in memory order.
    static func positionTilesEnd(_ g: WindowGeometry, pixels: Int) -> Int {
        guard takesPositionTiles(g) else { return 0 }
        return g.batch / pixels * pixels * g.outputPixelsPerSample
    }

    /// Whether a call of the query's layer, over its images (samples × steps) at most, takes tiles of
    /// `pixels` pixels per position for a group of them (`positionTilesEnd`), which leave out the taps
    /// on padding: a padded layer of as many images as a tile has pixels or more.
    static func takesPositionTiles(_ query: KernelQuery, pixels: Int) -> Bool {
        takesPositionTiles(query.geometry) && query.batch * query.steps >= pixels
    }

    /// Whether a layer's groups of images take tiles per position (`positionTilesEnd`): a padded layer,
    /// not pointwise.
    static func takesPositionTiles(_ g: WindowGeometry) -> Bool {
        !g.isPointwise && (g.paddingHeight > 0 || g.paddingWidth > 0)
    }

    /// Whether a layer has many weights: a MiB or more, more than the second level of cache keeps from
    /// one run to the next beside the activations.
    static func hasManyWeights(_ g: WindowGeometry) -> Bool {
        g.kernelHeight * g.kernelWidth * g.inputChannels * g.outputChannels * MemoryLayout<Float>.size >= 1 << 20
    }

    /// The scratch of one thread: a zero row of input channels, one tile of outputs (for a last,
    /// partial tile and a shifted block, `lanes` floats a pixel), the group sums of one tile (of a
    /// task's tiles, for a pointwise layer), and for fewer than 16 channels their weights and bias
    /// padded to 16 (`PaddedWeights`).
    struct Scratch {
        var zeros: UnsafeMutablePointer<Float>
        var spill: UnsafeMutablePointer<Float>
        var groupSums: UnsafeMutablePointer<Float>
        var padded: UnsafeMutablePointer<Float>

        static func floats(_ g: WindowGeometry, pixels: Int, lanes: Int) -> Int {
            g.inputChannels + pixels * lanes + groupSumTiles(g, pixels: pixels) * pixels * lanes + PaddedWeights.floats(g)
        }

        /// The tiles whose group sums are kept at once: a task's, whose tiles take each block in turn,
        /// in a pointwise layer (`runPointwise`) and one that streams its weights (`streamsWeights`);
        /// one elsewhere.
        static func groupSumTiles(_ g: WindowGeometry, pixels: Int) -> Int {
            g.isPointwise || streamsWeights(g, pixels: pixels) ? tilesPerTask : 1
        }

        init(_ scratch: UnsafeMutablePointer<Float>, _ g: WindowGeometry, pixels: Int, lanes: Int) {
            zeros = scratch
            spill = zeros + g.inputChannels
            groupSums = spill + pixels * lanes
            padded = groupSums + Scratch.groupSumTiles(g, pixels: pixels) * pixels * lanes
        }
    }

    /// Runs `tasks` of a call whose job is `KernelArguments`, in tiles of `shape`.
    private static func run<let P: Int, let V: Int>(_ shape: TileShape<P, V>.Type, _ job: UnsafeRawPointer, worker: Int,
                                                    tasks: Range<Int>) {
        var arguments = job.load(as: KernelArguments.self)
        let g = arguments.geometry
        let scratch = Scratch(arguments.scratch(of: worker), g, pixels: P, lanes: 16 * V)
        scratch.zeros.update(repeating: 0, count: g.inputChannels)
        PaddedWeights.pad(&arguments, scratch: scratch.padded)
        let groupedEnd = arguments.keepsItemsInOrder ? 0 : positionTilesEnd(g, pixels: P)
        arguments.forEachTask(tasks) { block, pixels in
            run(shape, g, block: block, pixels: pixels, groupedEnd: groupedEnd, input: arguments.input,
                weights: arguments.weights!, layout: arguments.weightLayout, bias: arguments.bias, output: arguments.output,
                scratch: scratch)
        }
    }

    /// Computes output pixels `pixels` × the channels of block `block` (16·V channels; the last block
    /// may be partial); items before `groupedEnd` are pixels of groups of `P` images, a tile per
    /// position (`positionTilesEnd`; 0: every item is the pixel of its own index). `scratch` is private to
    /// the caller, its zero row cleared. `layout` says how `weights` are ordered: the file's layout, or
    /// packed in blocks the tile's width divides.
    ///
    /// A partial last block is shifted back, or padded, and computes tile by tile into scratch
    /// (`ChannelBlock`).
    private static func run<let P: Int, let V: Int>(_ shape: TileShape<P, V>.Type, _ g: WindowGeometry, block: Int,
                                                    pixels: Range<Int>, groupedEnd: Int, input: UnsafePointer<Float>,
                                                    weights: UnsafePointer<Float>, layout: WeightLayout,
                                                    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
                                                    scratch: Scratch) {
        let lanes = 16 * V
        let channels = ChannelBlock(block, lanes: lanes, channels: g.outputChannels)
        let firstChannel = channels.first, shifted = channels.isShifted
        let order = SummationOrder(taps: g.kernelHeight * g.kernelWidth, channels: g.inputChannels)
        var pixel = pixels.lowerBound
        // Weights read from memory for few tiles: a task's tiles together, each block fetched ahead.
        let streams = streamsWeights(g, pixels: P)
        // Weights past what the second level of cache keeps (all that stream, and those over many
        // tiles too) come from memory: tile by tile, each fetches its next block ahead (VGG-16's 256-
        // and 512-channel layers at batch 32 2-7% faster; layers of fewer weights, whose blocks stay in
        // cache, 1-2% slower with it).
        let fetchesAhead = hasManyWeights(g)
        if !shifted, g.isPointwise, pixels.count >= P {
            pixel += runPointwise(shape, g, firstChannel: firstChannel, pixels: pixels, input: input, weights: weights,
                                  layout: layout, bias: bias, order: order, groupSums: scratch.groupSums, output: output)
        } else if !shifted, streams, pixels.count == tilesPerTask * P, pixel >= groupedEnd {
            computeTiles(shape, TaskTiles.self, g,
                         tileOrigins: TileOrigins<P>.consecutive(g, input: input, firstPixel: pixel, count: pixels.count),
                         zeros: scratch.zeros,
                         firstChannel: firstChannel, weights: weights, layout: layout, bias: bias, order: order,
                         fetchesAhead: true, groupSums: scratch.groupSums,
                         output: output + pixel * g.outputChannels + firstChannel, outputStride: g.outputChannels)
            pixel = pixels.upperBound
        }
        let positions = g.outputPixelsPerSample
        while pixel < pixels.upperBound {
            // The tile's pixels: in whole groups of `P` images, one position of each image of the group
            // (`positionTilesEnd`), whose outputs lie an image apart; after them, up to `P` consecutive
            // pixels.
            let origins: TileOrigins<P>, tileOutput: UnsafeMutablePointer<Float>, pixelStride: Int, count: Int
            if pixel < groupedEnd {
                let group = pixel / (P * positions), position = pixel % (P * positions) / P
                origins = TileOrigins(g, input: input, firstImage: group * P, position: position)
                (tileOutput, pixelStride, count) = (output + (group * P * positions + position) * g.outputChannels,
                                                    positions * g.outputChannels, P)
            } else {
                count = min(P, pixels.upperBound - pixel)
                origins = TileOrigins(g, input: input, firstPixel: pixel, count: count)
                (tileOutput, pixelStride) = (output + pixel * g.outputChannels, g.outputChannels)
            }
            // A partial tile, or a shifted block, computes into scratch, then copies what is its own.
            let direct = count == P && !shifted
            computeTiles(shape, TileCount<1>.self, g, tileOrigins: InlineArray(repeating: origins), zeros: scratch.zeros,
                         firstChannel: firstChannel, weights: weights, layout: layout, bias: bias, order: order,
                         fetchesAhead: fetchesAhead, groupSums: scratch.groupSums,
                         output: direct ? tileOutput + firstChannel : scratch.spill, outputStride: direct ? pixelStride : lanes)
            if !direct { channels.copyOut(count, from: scratch.spill, to: tileOutput, channels: pixelStride) }
            pixel += count
        }
    }

    /// The full tiles of `pixels` of a pointwise layer (`WindowGeometry.isPointwise`: a linear layer,
    /// whose pixels are samples, or a 1 × 1 convolution of stride 1 without padding) × the `16·V`
    /// channels from `firstChannel`; returns how many pixels they cover (the rest, less than a tile,
    /// is left to the caller). Pixel `p` reads the `inputChannels` values at `p · inputChannels`: a
    /// matrix product, whose tiles take each block of `order` in turn, so that the block's weights
    /// (at most 64 × 16·V floats), read from memory once, serve every tile of the task from the first
    /// level of cache — a linear layer's weights are read once per call, where they would be read once
    /// per tile. Same sums, same order, as tile by tile. `groupSums` holds the group sums of
    /// `tilesPerTask` tiles.
    @inline(__always)
    private static func runPointwise<let P: Int, let V: Int>(_ shape: TileShape<P, V>.Type, _ g: WindowGeometry,
                                                             firstChannel: Int, pixels: Range<Int>,
                                                             input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                                                             layout: WeightLayout, bias: UnsafePointer<Float>?,
                                                             order: SummationOrder, groupSums: UnsafeMutablePointer<Float>,
                                                             output: UnsafeMutablePointer<Float>) -> Int {
        let channels = g.inputChannels
        var tileWeights = InlineArray<V, UnsafePointer<Float>>(repeating: weights)
        for vector in 0..<V { tileWeights[vector] = weights + layout.offset(channel: firstChannel + 16 * vector, tap: 0) }
        // A task's tiles together when they are `tilesPerTask`, else one by one.
        let tiles = pixels.count / P
        for group in 0..<(tiles == tilesPerTask ? 1 : tiles) {
            let first = pixels.lowerBound + group * P
            let target = output + first * g.outputChannels + firstChannel, tileBias = bias.map { $0 + firstChannel }
            let tileInput = input + first * channels
            if tiles == tilesPerTask {
                sumBlocks(shape, TaskTiles.self, order: order, bias: tileBias, groupSums: groupSums, output: target,
                          pixelStride: g.outputChannels) { _, terms, tile in
                    pointwiseSums(shape, input: tileInput + tile * P * channels, channels: channels, weights: tileWeights,
                                  layout: layout, terms: terms, ahead: tile, of: tilesPerTask)
                }
            } else {
                sumBlocks(shape, TileCount<1>.self, order: order, bias: tileBias, groupSums: groupSums, output: target,
                          pixelStride: g.outputChannels) { _, terms, _ in
                    pointwiseSums(shape, input: tileInput, channels: channels, weights: tileWeights, layout: layout, terms: terms,
                                  ahead: 0, of: 1)
                }
            }
        }
        return tiles * P
    }

    /// The sums of one block (`terms`, the input channels of a pointwise layer) of one tile, whose `P`
    /// pixels read `channels` inputs each from `input` on; `weights` holds each vector's first weight.
    /// The next block's weights (a linear layer's come from memory) are asked for while this block
    /// computes (`termAhead`): this tile is the `ahead`-th of the `tiles` that take the block.
    @inline(__always)
    private static func pointwiseSums<let P: Int, let V: Int>(
        _ shape: TileShape<P, V>.Type, input: UnsafePointer<Float>, channels: Int, weights: InlineArray<V, UnsafePointer<Float>>,
        layout: WeightLayout, terms: Range<Int>, ahead tile: Int, of tiles: Int
    ) -> InlineArray<P, InlineArray<V, Vector>> {
        var sums = InlineArray<P, InlineArray<V, Vector>>(repeating: InlineArray(repeating: Vector()))
        // One pointer per pixel, as in `computeTile`: the loop below then unrolls with its sums in registers.
        let firstInput = input + terms.lowerBound
        var x = InlineArray<P, UnsafePointer<Float>>(repeating: firstInput)
        for index in 0..<P { x[index] = firstInput + index * channels }
        var w = InlineArray<V, UnsafePointer<Float>>(repeating: firstInput)
        for vector in 0..<V { w[vector] = weights[vector] + terms.lowerBound * layout.channelStride }
        for term in 0..<terms.count {
            var weight = InlineArray<V, Vector>(repeating: Vector())
            let ahead = (terms.lowerBound &+ termAhead(term, blockTerms: terms.count, tile: tile, of: tiles)) &* layout.channelStride
            for vector in 0..<V {
                weight[vector] = Vector.load(w[vector])
                prefetchLine(weights[vector] + ahead)
            }
            for index in 0..<P {
                let value = Vector(repeating: x[index][term])
                for vector in 0..<V { sums[index][vector] = multiplyAdd(sums[index][vector], value, weight[vector]) }
            }
            for vector in 0..<V { w[vector] += layout.channelStride }
        }
        return sums
    }

    /// The term of the next block, counted from this block's first, whose weights term `term` of a block
    /// of `blockTerms` asks for ahead (the next block's weights follow this block's in both layouts:
    /// taps, then channels, are consecutive). The block is taken by `tiles` tiles in turn, and tile
    /// `tile` asks for the `tile`-th `tiles`-th of the next block, one term per `tiles` of its own, so
    /// that few are in flight at once: all of them during the first of four tiles filled the queue of
    /// outstanding misses and stalled it.
    @inline(__always)
    private static func termAhead(_ term: Int, blockTerms: Int, tile: Int, of tiles: Int) -> Int {
        blockTerms &+ tile &* (blockTerms / tiles) &+ term / tiles
    }

    /// Where the windows of a tile's `P` pixels read: for each pixel, its window's top-left corner in
    /// the input (row, column, and where it would lie in memory, even outside the input). Pixels past
    /// the end of a partial tile get a corner far outside the input, so they read zeros.
    private struct TileOrigins<let P: Int> {
        var corners: InlineArray<P, UnsafePointer<Float>>
        var tops: InlineArray<P, Int>
        var lefts: InlineArray<P, Int>
        /// Whether every tap of each pixel lies inside the input.
        var pixelInside: InlineArray<P, Bool>
        /// Whether every tap of every pixel lies inside the input (the common case: no checks).
        var inside: Bool

        @inline(__always)
        init(_ g: WindowGeometry, input: UnsafePointer<Float>, firstPixel: Int, count: Int) {
            var corners = InlineArray<P, UnsafePointer<Float>>(repeating: input)
            var tops = InlineArray<P, Int>(repeating: Int.min / 2)
            var lefts = InlineArray<P, Int>(repeating: 0)
            var pixelInside = InlineArray<P, Bool>(repeating: false)
            var (sample, row, column) = g.outputPosition(firstPixel)
            var inside = count == P
            for index in 0..<min(count, P) {
                let top = g.inputRow(row, 0), left = g.inputColumn(column, 0)
                corners[index] = input + sample * g.inputElementsPerSample + (top * g.inputWidth + left) * g.inputChannels
                tops[index] = top
                lefts[index] = left
                pixelInside[index] = top >= 0 && left >= 0 && top + g.kernelHeight <= g.inputHeight
                    && left + g.kernelWidth <= g.inputWidth
                if !pixelInside[index] { inside = false }
                column += 1
                if column == g.outputWidth {
                    column = 0
                    row += 1
                    if row == g.outputHeight {
                        row = 0
                        sample += 1
                    }
                }
            }
            self.corners = corners
            self.tops = tops
            self.lefts = lefts
            self.pixelInside = pixelInside
            self.inside = inside
        }

        /// The origins of `P` pixels at one position (`position`, of `g.outputPixelsPerSample`) of
        /// images `firstImage ..< firstImage + P`: their windows lie alike, inside the input or not.
        @inline(__always)
        init(_ g: WindowGeometry, input: UnsafePointer<Float>, firstImage: Int, position: Int) {
            let (_, row, column) = g.outputPosition(position)
            let top = g.inputRow(row, 0), left = g.inputColumn(column, 0)
            let inside = top >= 0 && left >= 0 && top + g.kernelHeight <= g.inputHeight && left + g.kernelWidth <= g.inputWidth
            let first = input + firstImage * g.inputElementsPerSample + (top * g.inputWidth + left) * g.inputChannels
            corners = InlineArray { first + $0 * g.inputElementsPerSample }
            tops = InlineArray(repeating: top)
            lefts = InlineArray(repeating: left)
            pixelInside = InlineArray(repeating: inside)
            self.inside = inside
        }

        /// The origins of `tiles` tiles of consecutive pixels, `count` from `firstPixel` (the last
        /// tile may be partial).
        @inline(__always)
        static func consecutive<let tiles: Int>(_ g: WindowGeometry, input: UnsafePointer<Float>, firstPixel: Int,
                                                count: Int) -> InlineArray<tiles, TileOrigins<P>> {
            InlineArray { TileOrigins<P>(g, input: input, firstPixel: firstPixel + $0 * P, count: min(P, count - $0 * P)) }
        }

        /// Whether any pixel's tap at kernel position (`kernelRow`, `kernelColumn`) lies inside the input
        /// (a partial tile's missing pixels lie outside).
        @inline(__always)
        func reads(_ g: WindowGeometry, kernelRow: Int, kernelColumn: Int) -> Bool {
            for index in 0..<P where g.containsInput(row: tops[index] + kernelRow, column: lefts[index] + kernelColumn) {
                return true
            }
            return false
        }

        /// The input pointers of the pixels at kernel position (`kernelRow`, `kernelColumn`): the input
        /// pixel, or the zero row where the window leaves the input.
        @inline(__always)
        func pointers(_ g: WindowGeometry, zeros: UnsafePointer<Float>, kernelRow: Int, kernelColumn: Int)
            -> InlineArray<P, UnsafePointer<Float>> {
            let offset = (kernelRow * g.inputWidth + kernelColumn) * g.inputChannels
            var result = InlineArray<P, UnsafePointer<Float>>(repeating: zeros)
            for index in 0..<P { result[index] = corners[index] + offset }
            if inside { return result }
            // Only pixels whose window leaves the input (few: those at the map's edges) need a check.
            for index in 0..<P where !pixelInside[index] {
                if !g.containsInput(row: tops[index] + kernelRow, column: lefts[index] + kernelColumn) { result[index] = zeros }
            }
            return result
        }
    }

    /// `tiles` tiles of `P` output pixels, whose windows lie at `tileOrigins` (a last tile may be
    /// partial: its missing pixels read zeros), × `16·V` channels from `firstChannel`, written at
    /// `output` (the first pixel's first channel; the others follow, `outputStride` floats apart), summed in
    /// `order`, every tile taking a block before the next block begins: the block's weights, read from
    /// memory or the second level of cache once, serve every tile from the first; `fetchesAhead`: the
    /// next block's weights are asked for while a block computes. `groupSums` holds `tiles · P · 16·V`
    /// floats of scratch.
    @inline(__always)
    private static func computeTiles<let P: Int, let V: Int, let tiles: Int>(
        _ shape: TileShape<P, V>.Type, _ count: TileCount<tiles>.Type, _ g: WindowGeometry,
        tileOrigins: InlineArray<tiles, TileOrigins<P>>, zeros: UnsafePointer<Float>, firstChannel: Int,
        weights: UnsafePointer<Float>, layout: WeightLayout, bias: UnsafePointer<Float>?, order: SummationOrder,
        fetchesAhead: Bool, groupSums: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>, outputStride: Int
    ) {
        // Each vector's weights (in a packed layout, the tile's vectors may lie in different blocks:
        // separate streams, which also lets the memory system fetch more at once).
        var tileWeights = InlineArray<V, UnsafePointer<Float>>(repeating: weights)
        for vector in 0..<V { tileWeights[vector] = weights + layout.offset(channel: firstChannel + 16 * vector, tap: 0) }
        sumBlocks(shape, count, order: order, bias: bias.map { $0 + firstChannel }, groupSums: groupSums,
                  output: output, pixelStride: outputStride) { taps, channels, tile in
            let origins = tileOrigins[tile]
            let blockOffset = channels.lowerBound * layout.channelStride
            var sums = InlineArray<P, InlineArray<V, Vector>>(repeating: InlineArray(repeating: Vector()))
            // Runs of terms contiguous in the input: one tap's channels, or — when every pixel's window
            // lies inside the input and the block takes whole taps — the block's taps within one kernel
            // row (a window row's columns × channels are consecutive in channels-last memory, and so are
            // their weights). Fewer, longer loops; the terms are added in the same order.
            let wholeTaps = channels.count == g.inputChannels
            // With `fetchesAhead`, the next block's weights are asked for while this block computes
            // (`termAhead`); `done` counts the block's terms of the runs before.
            let blockTerms = taps.count * channels.count
            var done = 0
            var tap = taps.lowerBound
            while tap < taps.upperBound {
                let kernelRow = tap / g.kernelWidth, kernelColumn = tap % g.kernelWidth
                let runEnd = origins.inside && wholeTaps ? min(taps.upperBound, (kernelRow + 1) * g.kernelWidth) : tap + 1
                let terms = channels.lowerBound..<(channels.lowerBound + (runEnd - tap - 1) * g.inputChannels + channels.count)
                // A tap on padding for every pixel of the tile (the windows of a top or bottom row) adds
                // nothing: it is left out (docs/semantics.md), as its multiply-adds would add zeros.
                if !origins.inside, !origins.reads(g, kernelRow: kernelRow, kernelColumn: kernelColumn) {
                    done += terms.count
                    tap = runEnd
                    continue
                }
                let x = origins.pointers(g, zeros: zeros, kernelRow: kernelRow, kernelColumn: kernelColumn)
                var w = InlineArray<V, UnsafePointer<Float>>(repeating: weights)
                for vector in 0..<V { w[vector] = tileWeights[vector] + blockOffset + tap * layout.tapStride }
                for term in terms {
                    var weight = InlineArray<V, Vector>(repeating: Vector())
                    for vector in 0..<V { weight[vector] = Vector.load(w[vector]) }
                    if fetchesAhead {
                        // Relative to this term's weights, which lie `index` terms into the block.
                        let index = done &+ (term &- terms.lowerBound)
                        let ahead = (termAhead(index, blockTerms: blockTerms, tile: tile, of: tiles) &- index) &* layout.channelStride
                        for vector in 0..<V { prefetchLine(w[vector] + ahead) }
                    }
                    for index in 0..<P {
                        let value = Vector(repeating: x[index][term])
                        for vector in 0..<V { sums[index][vector] = multiplyAdd(sums[index][vector], value, weight[vector]) }
                    }
                    for vector in 0..<V { w[vector] += layout.channelStride }
                }
                done += terms.count
                tap = runEnd
            }
            return sums
        }
    }

    /// Sums `tiles` tiles of `P` output pixels × `16·V` channels in `order`, the part every tiled
    /// convolution shares: the output (`output`, the first tile's first pixel at its first channel; the
    /// other pixels, the next tiles' too, `pixelStride` floats apart) starts as the bias (`bias`, at the
    /// tiles' first channel; nil: zero); `blockSums` gives each block's sums for one tile (of the block's
    /// taps and input channels, each summed from zero), which add up into group sums (in `groupSums`,
    /// `tiles · P · 16·V` floats of scratch), each added to the output when its group ends. An order of
    /// one block adds its sums to the bias directly. Every tile takes a block before the next block
    /// begins; each output's sums are the same, in the same order, whatever `tiles` is. The loops over a
    /// tile's sums use wrapping arithmetic: with overflow checks they did not unroll, and the sums went
    /// through memory (16 and 24 spills a tile in `rows16x16` and the tiles of 48 channels).
    @inline(__always)
    static func sumBlocks<let P: Int, let V: Int, let tiles: Int>(
        _ shape: TileShape<P, V>.Type, _ count: TileCount<tiles>.Type, order: SummationOrder, bias: UnsafePointer<Float>?,
        groupSums: UnsafeMutablePointer<Float>, output out: UnsafeMutablePointer<Float>, pixelStride: Int,
        _ blockSums: (_ taps: Range<Int>, _ channels: Range<Int>, _ tile: Int) -> InlineArray<P, InlineArray<V, Vector>>
    ) {
        if order.count == 1 {
            // One block (narrow layers: a 3-channel first layer, 1 × 1 shortcuts): the output is the bias
            // plus its sums, the same additions without going through memory.
            for tile in 0..<tiles {
                let sums = blockSums(order.block(0).taps, order.block(0).channels, tile)
                let tileOutput = out + tile * P * pixelStride
                for vector in 0..<V {
                    let start = bias.map { Vector.load($0 + 16 &* vector) } ?? Vector()
                    for index in 0..<P { (start + sums[index][vector]).store(tileOutput + (index &* pixelStride &+ 16 &* vector)) }
                }
            }
            return
        }
        for vector in 0..<V {
            let start = bias.map { Vector.load($0 + 16 * vector) } ?? Vector()
            for index in 0..<tiles * P { start.store(out + index * pixelStride + 16 * vector) }
        }
        for block in 0..<order.count {
            let (taps, channels) = order.block(block)
            for tile in 0..<tiles {
                addBlock(blockSums(taps, channels, tile), block: block, order: order,
                         groupSums: groupSums + tile * P * V * 16, output: out + tile * P * pixelStride, pixelStride: pixelStride)
            }
        }
    }

    /// Adds the sums of block `block` of `order` of one tile (`P` pixels × `16·V` channels, each summed
    /// from zero) into the tile's group sums (`groupSums`, `P · 16·V` floats: the block's sums when it
    /// starts its group, else added to them), and when the block ends its group, the group sums into
    /// the output (`output`, the tile's first pixel; the others `pixelStride` floats apart). The step
    /// of `sumBlocks` for each block, and of tiles that end their blocks themselves
    /// (`ConvolutionRows.runRowPair`). Straight-line loops, so that the sums stay in registers.
    @inline(__always)
    static func addBlock<let P: Int, let V: Int>(
        _ sums: InlineArray<P, InlineArray<V, Vector>>, block: Int, order: SummationOrder,
        groupSums: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>, pixelStride: Int
    ) {
        if order.startsGroup(block) {
            for index in 0..<P {
                for vector in 0..<V { sums[index][vector].store(groupSums + (index &* V &+ vector) &* 16) }
            }
        } else {
            for index in 0..<P {
                for vector in 0..<V {
                    let group = groupSums + (index &* V &+ vector) &* 16
                    (Vector.load(group) + sums[index][vector]).store(group)
                }
            }
        }
        if order.endsGroup(block) {
            for index in 0..<P {
                for vector in 0..<V {
                    let target = output + index * pixelStride + 16 * vector
                    (Vector.load(target) + Vector.load(groupSums + (index * V + vector) * 16)).store(target)
                }
            }
        }
    }
}
