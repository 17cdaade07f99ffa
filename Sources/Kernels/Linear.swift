import GNKernelInterface

/// Fully connected layer: `output[n][o] = bias[o] + Σ_i input[n][i] · weights[i][o]`, summed in
/// `SummationOrder` (blocks of 64 inputs) with `multiplyAdd`, zero inputs skipped (which changes no
/// result: weights are finite).
enum Linear {
    /// The fastest kernel for a query: the tiled convolution, whose pixels are the samples, when there
    /// are samples enough to fill a tile; else the matrix-vector kernel, in runs of 64 outputs (of 16
    /// when there are fewer than 64: a classifier's 10 too); nil without SIMD kernels.
    static func fastestChoice(_ query: KernelQuery) -> KernelChoice? {
        guard TiledKernels.available else { return nil }
        if let tile = ConvolutionTiled.tile(query), query.batch * query.steps >= tile.pixels,
           let tiled = ConvolutionTiled.choice(query, linear: true) {
            return tiled
        }
        let outputCount = query.geometry.outputChannels
        let vectors = outputCount >= 64 ? 4 : 1
        let runs = (outputCount + 16 * vectors - 1) / (16 * vectors)
        let function: TaskFunction = vectors == 4 ? { job, worker, begin, end in
            Linear.runBlocked(OutputRun<4>.self, job, worker: worker, tasks: begin..<end)
        } : { job, worker, begin, end in
            Linear.runBlocked(OutputRun<1>.self, job, worker: worker, tasks: begin..<end)
        }
        return KernelChoice(function: function, split: TaskSplit(itemsPerSample: query.steps * runs, itemsPerTask: 1),
                            scratchFloats: BlockedScratch.floats(vectors: vectors), name: "linear.blocked")
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

    /// The scratch of `blocked`: a run's outputs (for a shifted or narrow run), and, for fewer
    /// outputs than a vector, `NarrowCopies`.
    enum BlockedScratch {
        static func floats(vectors: Int) -> Int { 16 * vectors + (vectors == 1 ? NarrowCopies.floats : 0) }
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
        typealias Vector = SIMD16<Float>
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
}

/// The outputs a task of `Linear.blocked` keeps in registers: `vectors` vectors of 16.
enum OutputRun<let vectors: Int> {}
