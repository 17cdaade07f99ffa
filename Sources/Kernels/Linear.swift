import GNKernelInterface

/// Fully connected layer: `output[n][o] = bias[o] + Σ_i input[n][i] · weights[i][o]`, summed in
/// `SummationOrder` (blocks of 64 inputs) with `multiplyAdd`, zero inputs skipped (which changes no
/// result: weights are finite).
enum Linear {
    /// Outputs per task of `blocked`: four vectors of 16 held in registers.
    static let outputsPerTask = 64

    /// The fastest kernel for a query: the tiled convolution, whose pixels are the samples, when there
    /// are samples enough to fill a tile; else the matrix-vector kernel; nil without SIMD kernels.
    static func fastestChoice(_ query: KernelQuery) -> KernelChoice? {
        guard TiledKernels.available else { return nil }
        if let tile = ConvolutionTiled.tile(query), query.batch * query.steps >= tile.pixels,
           let tiled = ConvolutionTiled.choice(query, linear: true) {
            return tiled
        }
        let runs = (query.geometry.outputChannels + outputsPerTask - 1) / outputsPerTask
        return KernelChoice(function: { job, worker, begin, end in
            let arguments = job.load(as: KernelArguments.self)
            let scratch = arguments.scratch(of: worker)
            arguments.forEachTask(begin..<end) { _, items in
                Linear.blocked(arguments.geometry, items: items, input: arguments.input, weights: arguments.weights!,
                               layout: arguments.weightLayout, bias: arguments.bias, output: arguments.output,
                               scratch: scratch)
            }
        }, split: TaskSplit(itemsPerSample: query.steps * runs, itemsPerTask: 1),
           scratchFloats: Convolution.scratchFloats(channels: outputsPerTask), name: "linear.blocked")
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

    /// A matrix-vector kernel for few samples: each task keeps 64 outputs of one sample in registers
    /// while it streams the rows of the weights it needs, skipping the rows of zero inputs (spikes are
    /// sparse). Bit for bit the reference. `layout` orders `weights` (packed ones come in whole blocks
    /// of 16 or 32). Computes `items`: (sample, run of 64 outputs) pairs, numbered sample by sample; a
    /// last, partial run goes through the reference loop, with `scratch` (`Convolution.scratchFloats`
    /// of 64 channels). Unsafe pointers and SIMD on purpose: the hot loop.
    static func blocked(_ g: WindowGeometry, items: Range<Int>, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                        layout: WeightLayout, bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
                        scratch: UnsafeMutablePointer<Float>) {
        let inputCount = g.inputChannels, outputCount = g.outputChannels
        typealias Vector = SIMD16<Float>
        let runs = (outputCount + outputsPerTask - 1) / outputsPerTask
        let order = SummationOrder(taps: 1, channels: inputCount)
        for item in items {
            let sample = item / runs
            let first = (item % runs) * outputsPerTask
            let x = input + sample * inputCount
            let out = output + sample * outputCount
            if first + outputsPerTask > outputCount {
                Convolution.pixel(g, image: x, outputRow: 0, outputColumn: 0, channels: first..<outputCount, weights: weights,
                                  layout: layout, bias: bias, output: out, scratch: scratch)
                continue
            }
            // The weights of each 16 outputs, input by input.
            var rows = InlineArray<4, UnsafePointer<Float>>(repeating: weights)
            var totals = InlineArray<4, Vector>(repeating: Vector())
            for vector in 0..<4 {
                rows[vector] = weights + layout.offset(channel: first + 16 * vector, tap: 0)
                if let bias { totals[vector] = Vector.load(bias + first + 16 * vector) }
            }
            var groups = InlineArray<4, Vector>(repeating: Vector())
            for block in 0..<order.count {
                var sums = InlineArray<4, Vector>(repeating: Vector())
                for index in order.block(block).channels {
                    let value = x[index]
                    if value != 0 {
                        let broadcast = Vector(repeating: value)
                        let row = index * layout.channelStride
                        for vector in 0..<4 { sums[vector] = multiplyAdd(sums[vector], broadcast, Vector.load(rows[vector] + row)) }
                    }
                }
                let starts = order.startsGroup(block), ends = order.endsGroup(block)
                for vector in 0..<4 {
                    groups[vector] = starts ? sums[vector] : groups[vector] + sums[vector]
                    if ends { totals[vector] = totals[vector] + groups[vector] }
                }
            }
            for vector in 0..<4 { totals[vector].store(out + first + 16 * vector) }
        }
    }
}
