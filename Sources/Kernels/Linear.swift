import GNKernelInterface

/// Fully connected layer: `output[n][o] = bias[o] + Σ_i input[n][i] · weights[i][o]`, summed in
/// `SummationOrder` (blocks of 64 inputs) with `multiplyAdd`; the matrix-vector kernel skips zero
/// inputs (which changes no result but the sign of a zero: weights are finite).
enum Linear {
    typealias Vector = SIMD16<Float>

    /// The fastest kernel for a query: the tiled convolution, whose pixels are the samples, when there
    /// are samples enough to fill a tile; for fewer outputs than a vector whose padded weights would not
    /// fit the tiles' scratch (a wide classifier's), `narrowSamples` when there are samples enough to
    /// fill its rows; for 64 outputs or more, `gather` (the weights of the nonzero inputs alone, for 1, 2
    /// or 4 rows at once); else the matrix-vector kernel, in runs of 16 outputs (a classifier's 10 too);
    /// nil without SIMD kernels.
    static func fastestChoice(_ query: KernelQuery) -> KernelChoice? {
        guard TiledKernels.available else { return nil }
        // Rows: the samples and steps of one call.
        let rows = query.batch * query.steps
        if let tile = ConvolutionTiled.tile(query), rows >= tile.pixels,
           let tiled = ConvolutionTiled.choice(query, linear: true) {
            return tiled
        }
        let outputCount = query.geometry.outputChannels, narrow = outputCount < 16
        if narrow, rows >= NarrowSamples.pixelCount {
            return KernelChoice(function: { job, worker, begin, end in
                                    Linear.runNarrowSamples(NarrowSamples.self, job, worker: worker, tasks: begin..<end)
                                },
                                split: TaskSplit(itemsPerSample: query.steps, itemsPerTask: NarrowSamples.pixelCount),
                                scratchFloats: BlockedScratch.floats(vectors: 2 * NarrowSamples.pixelCount, narrow: true),
                                name: narrowSamplesName)
        }
        // Few rows of a wide layer: the weights of their nonzero inputs alone, each read once for all rows.
        if outputCount >= 64 { return gatherChoice(query, rows: rows) }
        let runs = (outputCount + 15) / 16
        return KernelChoice(function: { job, worker, begin, end in
                                Linear.runBlocked(OutputRun<1>.self, job, worker: worker, tasks: begin..<end)
                            },
                            split: TaskSplit(itemsPerSample: query.steps * runs, itemsPerTask: 1),
                            scratchFloats: BlockedScratch.floats(vectors: 1, narrow: narrow), name: "linear.blocked")
    }

    /// The reference kernel for a query: the reference convolution's (a linear layer is a 1 × 1
    /// convolution over 1 × 1 maps, whose pixels are the samples).
    static func referenceChoice(_ query: KernelQuery) -> KernelChoice {
        var reference = Convolution.choice(query)
        reference.name = "linear.reference"
        return reference
    }

    /// The reference kernel over `batch` samples, weights in the file's layout: the reference
    /// convolution over 1 × 1 maps. `scratch` holds `Convolution.scratchFloats(channels: outputCount)`.
    static func reference(batch: Int, inputCount: Int, outputCount: Int, input: UnsafePointer<Float>,
                          weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
                          scratch: UnsafeMutablePointer<Float>) {
        Convolution.reference(geometry(batch: batch, inputCount: inputCount, outputCount: outputCount), input: input,
                              weights: weights, bias: bias, output: output, scratch: scratch)
    }

    /// The geometry of a linear layer: a 1 × 1 convolution over 1 × 1 maps.
    static func geometry(batch: Int, inputCount: Int, outputCount: Int) -> WindowGeometry {
        WindowGeometry(batch: batch, inputHeight: 1, inputWidth: 1, inputChannels: inputCount, outputHeight: 1,
                       outputWidth: 1, outputChannels: outputCount, kernelHeight: 1, kernelWidth: 1,
                       strideHeight: 1, strideWidth: 1, paddingHeight: 0, paddingWidth: 0)
    }

    /// Runs `tasks` of a call whose job is `KernelArguments` with `blocked`; a layer of fewer outputs
    /// than a vector pads its bias and last rows once per call (`NarrowCopies`).
    private static func runBlocked<let V: Int>(_ run: OutputRun<V>.Type, _ job: UnsafeRawPointer, worker: Int, tasks: Range<Int>) {
        let arguments = job.load(as: KernelArguments.self)
        let g = arguments.geometry
        let scratch = arguments.scratch(of: worker)
        let narrow = g.outputChannels < 16
            ? NarrowCopies(g, weights: arguments.weights!, layout: arguments.weightLayout, bias: arguments.bias,
                           scratch: scratch + 16 * V)
            : nil
        arguments.forEachTask(tasks) { _, items in
            blocked(run, g, items: items, input: arguments.input, weights: arguments.weights!, layout: arguments.weightLayout,
                    bias: arguments.bias, narrow: narrow, output: arguments.output, scratch: scratch)
        }
    }

    /// Runs `tasks` of a call whose job is `KernelArguments` with `narrowSamples`: a task's `S` rows
    /// (samples and steps) at once, a last, partial task's shifted back to end at the last row (it
    /// computes rows of the task before again, and writes only its own); fewer rows than `S` in all (an
    /// exit rule stopped samples) one at a time (`blocked`).
    private static func runNarrowSamples<let S: Int>(_ shape: TileShape<S, 1>.Type, _ job: UnsafeRawPointer, worker: Int,
                                                     tasks: Range<Int>) {
        let arguments = job.load(as: KernelArguments.self)
        let g = arguments.geometry
        let scratch = arguments.scratch(of: worker)
        let narrow = NarrowCopies(g, weights: arguments.weights!, layout: arguments.weightLayout, bias: arguments.bias,
                                  scratch: scratch + 32 * S)
        arguments.forEachTask(tasks) { _, items in
            if items.upperBound >= S {
                narrowSamples(shape, g, rows: items.upperBound - S, own: items, input: arguments.input, weights: arguments.weights!,
                              layout: arguments.weightLayout, narrow: narrow, output: arguments.output, scratch: scratch)
            } else {
                // One run of outputs: an item of `blocked` is a row.
                blocked(OutputRun<1>.self, g, items: items, input: arguments.input, weights: arguments.weights!,
                        layout: arguments.weightLayout, bias: arguments.bias, narrow: narrow, output: arguments.output,
                        scratch: scratch)
            }
        }
    }

    /// The scratch of `blocked` and `narrowSamples`: `vectors` vectors (a shifted or narrow run's
    /// outputs; the group sums and totals of `narrowSamples`), then, for fewer outputs than a vector
    /// (`narrow`), `NarrowCopies`.
    enum BlockedScratch {
        static func floats(vectors: Int, narrow: Bool) -> Int { 16 * vectors + (narrow ? NarrowCopies.floats : 0) }
    }

    /// For a layer of fewer outputs than a vector, whose lanes past the outputs read the next row's
    /// weights: the bias and the rows from `tailStart` on (those whose 16-float read could pass the
    /// weights' end), copied with their outputs padded with zeros to 16.
    struct NarrowCopies {
        /// The most rows copied (10 outputs: the last 2; 1 output: the last 16).
        static let tailRows = 16
        /// The floats of scratch the copies take.
        static let floats = 16 + 16 * tailRows

        /// The first row read from `tail`.
        let tailStart: Int
        /// The rows from `tailStart` on, 16 floats each.
        let tail: UnsafePointer<Float>
        /// The bias (zeros without one), 16 floats.
        let bias: UnsafePointer<Float>

        init(_ g: WindowGeometry, weights: UnsafePointer<Float>, layout: WeightLayout, bias: UnsafePointer<Float>?,
             scratch: UnsafeMutablePointer<Float>) {
            let inputCount = g.inputChannels, outputCount = g.outputChannels
            let paddedBias = scratch, tail = scratch + 16
            tailStart = max(0, inputCount - (15 + outputCount) / outputCount)
            paddedBias.update(repeating: 0, count: 16)
            if let bias { paddedBias.update(from: bias, count: outputCount) }
            tail.update(repeating: 0, count: 16 * (inputCount - tailStart))
            for row in tailStart..<inputCount {
                (tail + (row - tailStart) * 16).update(from: weights + row * layout.channelStride, count: outputCount)
            }
            self.tail = UnsafePointer(tail)
            self.bias = UnsafePointer(paddedBias)
        }
    }

    /// A matrix-vector kernel for few samples: each task keeps a run of `16·V` outputs of one sample in
    /// registers while it streams the rows of the weights it needs, skipping the rows of zero inputs
    /// (spikes are sparse). Bit for bit the reference. `layout` orders `weights` (packed ones come in
    /// whole blocks of 16 or 32). Computes `items`: (sample, run) pairs, numbered sample by sample, with
    /// `scratch` (`BlockedScratch.floats`). A last, partial run is shifted back to end at the last
    /// output and computes into scratch (`ChannelBlock`). Fewer outputs than a vector (V = 1) compute
    /// 16 lanes all the same, the lanes past the outputs reading the next row's weights (dropped), and
    /// the bias and the last rows (whose read would pass the end) from `narrow`. Unsafe pointers and
    /// SIMD on purpose: the hot loop.
    static func blocked<let V: Int>(_ run: OutputRun<V>.Type, _ g: WindowGeometry, items: Range<Int>,
                                    input: UnsafePointer<Float>, weights: UnsafePointer<Float>, layout: WeightLayout,
                                    bias: UnsafePointer<Float>?, narrow: NarrowCopies?, output: UnsafeMutablePointer<Float>,
                                    scratch: UnsafeMutablePointer<Float>) {
        let inputCount = g.inputChannels, outputCount = g.outputChannels
        let width = 16 * V
        let runs = (outputCount + width - 1) / width
        let order = SummationOrder(taps: 1, channels: inputCount)
        let tailStart = narrow?.tailStart ?? inputCount, tail = narrow?.tail ?? weights
        for item in items {
            let sample = item / runs
            let outputs = ChannelBlock(item % runs, lanes: width, channels: outputCount)
            let first = outputs.first
            let x = input + sample * inputCount
            let out = output + sample * outputCount
            // The weights of each 16 outputs, input by input.
            var rows = InlineArray<V, UnsafePointer<Float>>(repeating: weights)
            var totals = InlineArray<V, Vector>(repeating: Vector())
            let runBias = narrow?.bias ?? bias.map { $0 + first }
            for vector in 0..<V {
                rows[vector] = weights + layout.offset(channel: first + 16 * vector, tap: 0)
                if let runBias { totals[vector] = Vector.load(runBias + 16 * vector) }
            }
            var groups = InlineArray<V, Vector>(repeating: Vector())
            for block in 0..<order.count {
                var sums = InlineArray<V, Vector>(repeating: Vector())
                for index in order.block(block).channels {
                    let value = x[index]
                    if value != 0 {
                        let broadcast = Vector(repeating: value)
                        if V == 1 && index >= tailStart {
                            sums[0] = multiplyAdd(sums[0], broadcast, Vector.load(tail + (index - tailStart) * 16))
                        } else {
                            let row = index * layout.channelStride
                            for vector in 0..<V {
                                sums[vector] = multiplyAdd(sums[vector], broadcast, Vector.load(rows[vector] + row))
                            }
                        }
                    }
                }
                let starts = order.startsGroup(block), ends = order.endsGroup(block)
                for vector in 0..<V {
                    groups[vector] = starts ? sums[vector] : groups[vector] + sums[vector]
                    if ends { totals[vector] = totals[vector] + groups[vector] }
                }
            }
            if outputs.isShifted {
                for vector in 0..<V { totals[vector].store(scratch + 16 * vector) }
                outputs.copyOut(1, from: scratch, to: out, channels: outputCount)
            } else {
                for vector in 0..<V { totals[vector].store(out + first + 16 * vector) }
            }
        }
    }

    /// A kernel for a layer of fewer outputs than a vector over many rows (samples and steps): `S`
    /// consecutive rows from `rows` at once, each row of weights loaded once for all of them, so that
    /// `S` independent multiply-adds hide one another's latency — the tiled kernel's way, whose padded
    /// weights would not fit in scratch for a wide classifier (`PaddedWeights`). Zero inputs are not
    /// skipped (among `S` rows, few rows of inputs are all zero); that changes a result at most in the
    /// sign of a zero. Lanes past the outputs read the next row's weights and the last rows come from
    /// `narrow`, as in `blocked`. `scratch` holds the group sums and the totals (`S` vectors each); the
    /// outputs of the `own` rows are copied out of their totals. Unsafe pointers and SIMD on purpose:
    /// the hot loop.
    static func narrowSamples<let S: Int>(_ shape: TileShape<S, 1>.Type, _ g: WindowGeometry, rows: Int, own: Range<Int>,
                                          input: UnsafePointer<Float>, weights: UnsafePointer<Float>, layout: WeightLayout,
                                          narrow: NarrowCopies, output: UnsafeMutablePointer<Float>,
                                          scratch: UnsafeMutablePointer<Float>) {
        let inputCount = g.inputChannels, outputCount = g.outputChannels
        let totals = scratch + 16 * S
        ConvolutionTiled.sumBlocks(shape, TileCount<1>.self, order: SummationOrder(taps: 1, channels: inputCount),
                                   bias: narrow.bias, groupSums: scratch, output: totals, pixelStride: 16) { _, terms, _ in
            // Built element by element, as in the row kernels: the sums stay in registers.
            var sums = InlineArray<S, InlineArray<1, Vector>> { _ in InlineArray { _ in Vector() } }
            // The rows before `narrow.tailStart` from the weights, the others from their padded copies.
            let direct = terms.lowerBound..<max(terms.lowerBound, min(terms.upperBound, narrow.tailStart))
            let padded = direct.upperBound..<terms.upperBound
            let x = input + rows * inputCount
            sampleSums(shape, &sums, input: x, inputCount: inputCount, terms: direct,
                       rows: weights + direct.lowerBound * layout.channelStride, rowStride: layout.channelStride)
            sampleSums(shape, &sums, input: x, inputCount: inputCount, terms: padded,
                       rows: narrow.tail + (padded.lowerBound - narrow.tailStart) * 16, rowStride: 16)
            return sums
        }
        for row in own {
            (output + row * outputCount).update(from: totals + 16 * (row - rows), count: outputCount)
        }
    }

    /// Adds to `sums` the products of `terms` inputs of each of `S` rows (`inputCount` apart from
    /// `input`) with the rows of weights from `rows` on (`rowStride` apart). One pointer per row, as in
    /// the tiled kernel: the loop then unrolls with its sums in registers.
    @inline(__always)
    private static func sampleSums<let S: Int>(_ shape: TileShape<S, 1>.Type, _ sums: inout InlineArray<S, InlineArray<1, Vector>>,
                                               input: UnsafePointer<Float>, inputCount: Int, terms: Range<Int>,
                                               rows: UnsafePointer<Float>, rowStride: Int) {
        var x = InlineArray<S, UnsafePointer<Float>>(repeating: input)
        for sample in 0..<S { x[sample] = input + terms.lowerBound + sample * inputCount }
        var row = rows
        for term in 0..<terms.count {
            let rowWeights = Vector.load(row)
            for sample in 0..<S {
                sums[sample][0] = multiplyAdd(sums[sample][0], Vector(repeating: x[sample][term]), rowWeights)
            }
            row += rowStride
        }
    }
}

extension Linear {
    /// A kernel for few rows (samples and steps) of a layer of 64 outputs or more: run `outputRun` of
    /// `16·V` outputs of `R` consecutive rows from `rows` at once, so that each row of weights is read
    /// once for all of them (a wide layer's weights come from memory) — `blocked` reads them once per
    /// row. An input row is skipped when it is zero in all `R` rows (spikes are sparse); one zero among
    /// others adds a zero product, which changes a result at most in the sign of a zero. `scratch`
    /// holds the group sums and the totals (`R·V` vectors each); the `own` rows' outputs of the run are
    /// copied out of the totals (a last, partial run shifted back: `ChannelBlock`). Unsafe pointers and
    /// SIMD on purpose: the hot loop.
    static func rowsTogether<let R: Int, let V: Int>(
        _ shape: TileShape<R, V>.Type, _ g: WindowGeometry, outputRun: Int, rows: Int, own: Range<Int>,
        input: UnsafePointer<Float>, weights: UnsafePointer<Float>, layout: WeightLayout, bias: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
    ) {
        let inputCount = g.inputChannels, outputCount = g.outputChannels
        let outputs = ChannelBlock(outputRun, lanes: 16 * V, channels: outputCount)
        let totals = scratch + 16 * V * R
        ConvolutionTiled.sumBlocks(shape, TileCount<1>.self, order: SummationOrder(taps: 1, channels: inputCount),
                                   bias: bias.map { $0 + outputs.first }, groupSums: scratch, output: totals,
                                   pixelStride: 16 * V) { _, terms, _ in
            var w = InlineArray<V, UnsafePointer<Float>>(repeating: weights)
            for vector in 0..<V { w[vector] = weights + layout.offset(channel: outputs.first + 16 * vector, tap: 0) }
            var x = InlineArray<R, UnsafePointer<Float>>(repeating: input)
            for row in 0..<R { x[row] = input + (rows + row) * inputCount }
            var sums = InlineArray<R, InlineArray<V, Vector>> { _ in InlineArray { _ in Vector() } }
            for index in terms {
                // One branch for the R inputs: their bits but the sign's, or-ed together (±0 alike).
                var bits: UInt32 = 0
                for row in 0..<R { bits |= x[row][index].bitPattern }
                guard bits & 0x7FFF_FFFF != 0 else { continue }
                var rowWeights = InlineArray<V, Vector>(repeating: Vector())
                for vector in 0..<V { rowWeights[vector] = Vector.load(w[vector] + index &* layout.channelStride) }
                for row in 0..<R {
                    let value = Vector(repeating: x[row][index])
                    for vector in 0..<V { sums[row][vector] = multiplyAdd(sums[row][vector], value, rowWeights[vector]) }
                }
            }
            return sums
        }
        for row in own {
            outputs.copyOut(1, from: totals + (row - rows) * V * 16, to: output + row * outputCount, channels: outputCount)
        }
    }
}

/// The outputs a task of `Linear.blocked` keeps in registers: `vectors` vectors of 16.
enum OutputRun<let vectors: Int> {}

extension Linear {
    // As many rows as the narrow tile has pixels (`ConvolutionTiled`): their sums fill the vector
    // registers beside one row of weights.
    #if GN_AVX512
    typealias NarrowSamples = TileShape<10, 1>
    static let narrowSamplesName: StaticString = "linear.samples10x16"
    #elseif GN_FMA
    typealias NarrowSamples = TileShape<6, 1>
    static let narrowSamplesName: StaticString = "linear.samples6x16"
    #else
    typealias NarrowSamples = TileShape<3, 1>
    static let narrowSamplesName: StaticString = "linear.samples3x16"
    #endif
}
