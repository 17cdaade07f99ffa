import GNKernelInterface

/// Fully connected layer: `output[n][o] = bias[o] + Σ_i input[n][i] · weights[i][o]`, the sum in
/// ascending `i` with `multiplyAdd`, zero inputs skipped (which changes no result: weights are finite).
enum Linear {
    /// Outputs per task of `blocked`: four vectors of 16 held in registers.
    static let outputsPerTask = 64
    /// Samples (times steps) from which a linear layer runs as a tiled 1 × 1 convolution whose pixels
    /// are the samples: one full tile.
    static let tiledSamples = ConvolutionTiled.tileWidth

    /// The fastest kernel for a query: the tiled convolution when there are samples enough to fill a
    /// tile, else the matrix-vector kernel; nil without SIMD kernels.
    static func fastestChoice(_ query: KernelQuery) -> KernelChoice? {
        guard TiledKernels.available else { return nil }
        if query.batch * query.steps >= tiledSamples, var tiled = ConvolutionTiled.choice(query) {
            tiled.name = query.geometry.outputChannels % 32 == 0 ? "linear.tiled32" : "linear.tiled16"
            return tiled
        }
        let runs = (query.geometry.outputChannels + outputsPerTask - 1) / outputsPerTask
        return KernelChoice(function: { job, _, begin, end in
            let arguments = job.load(as: KernelArguments.self)
            arguments.forEachTask(begin..<end) { _, items in
                Linear.blocked(arguments.geometry, items: items, input: arguments.input, weights: arguments.weights!,
                               layout: arguments.weightLayout, bias: arguments.bias, output: arguments.output)
            }
        }, split: TaskSplit(itemsPerSample: query.steps * runs, itemsPerTask: 1), name: "linear.blocked")
    }

    /// The reference kernel for a query: the reference convolution's (a linear layer is a 1 × 1
    /// convolution over 1 × 1 maps, whose pixels are the samples).
    static func referenceChoice(_ query: KernelQuery) -> KernelChoice {
        var reference = Convolution.choice(query)
        reference.name = "linear.reference"
        return reference
    }

    /// The reference kernel over `batch` samples, weights in the file's layout: the reference
    /// convolution over 1 × 1 maps.
    static func reference(batch: Int, inputCount: Int, outputCount: Int, input: UnsafePointer<Float>,
                          weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>) {
        let g = WindowGeometry(batch: batch, inputHeight: 1, inputWidth: 1, inputChannels: inputCount, outputHeight: 1,
                               outputWidth: 1, outputChannels: outputCount, kernelHeight: 1, kernelWidth: 1,
                               strideHeight: 1, strideWidth: 1, paddingHeight: 0, paddingWidth: 0)
        Convolution.reference(g, input: input, weights: weights, bias: bias, output: output)
    }

    /// A matrix-vector kernel for few samples: each task keeps 64 outputs of one sample in registers
    /// while it streams the rows of the weights it needs, skipping the rows of zero inputs (spikes are
    /// sparse). Bit for bit the reference. `layout` orders `weights` (packed ones come in whole blocks
    /// of 16 or 32). Computes `items`: (sample, run of 64 outputs) pairs, numbered sample by sample.
    /// Unsafe pointers and SIMD on purpose: the hot loop.
    static func blocked(_ g: WindowGeometry, items: Range<Int>, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                        layout: WeightLayout, bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>) {
        let inputCount = g.inputChannels, outputCount = g.outputChannels
        typealias Vector = SIMD16<Float>
        let runs = (outputCount + outputsPerTask - 1) / outputsPerTask
        for item in items {
            let sample = item / runs
            let first = (item % runs) * outputsPerTask
            let x = input + sample * inputCount
            let out = output + sample * outputCount + first
            let count = min(outputsPerTask, outputCount - first)
            if count < outputsPerTask {
                // The last, partial run of outputs.
                if !layout.isPacked {
                    if let bias {
                        out.update(from: bias + first, count: count)
                    } else {
                        out.update(repeating: 0, count: count)
                    }
                    Convolution.accumulate(x, count: inputCount, rows: weights + first, width: count,
                                           stride: outputCount, into: out)
                } else {
                    // Packed weights come in whole blocks of 16: one vector at a time.
                    for group in stride(from: 0, to: count, by: 16) {
                        var sum = bias.map { Vector.load($0 + first + group) } ?? Vector()
                        let w = weights + layout.offset(channel: first + group, tap: 0)
                        for index in 0..<inputCount where x[index] != 0 {
                            sum = multiplyAdd(sum, Vector(repeating: x[index]), Vector.load(w + index * layout.channelStride))
                        }
                        sum.store(out + group)
                    }
                }
                continue
            }
            var a0 = Vector(), a1 = Vector(), a2 = Vector(), a3 = Vector()
            if let bias {
                a0 = Vector.load(bias + first)
                a1 = Vector.load(bias + first + 16)
                a2 = Vector.load(bias + first + 32)
                a3 = Vector.load(bias + first + 48)
            }
            // The weights of each 16 outputs, input by input.
            let w0 = weights + layout.offset(channel: first, tap: 0)
            let w1 = weights + layout.offset(channel: first + 16, tap: 0)
            let w2 = weights + layout.offset(channel: first + 32, tap: 0)
            let w3 = weights + layout.offset(channel: first + 48, tap: 0)
            let stride = layout.channelStride
            for index in 0..<inputCount {
                let value = x[index]
                if value != 0 {
                    let broadcast = Vector(repeating: value)
                    let row = index * stride
                    a0 = multiplyAdd(a0, broadcast, Vector.load(w0 + row))
                    a1 = multiplyAdd(a1, broadcast, Vector.load(w1 + row))
                    a2 = multiplyAdd(a2, broadcast, Vector.load(w2 + row))
                    a3 = multiplyAdd(a3, broadcast, Vector.load(w3 + row))
                }
            }
            a0.store(out)
            a1.store(out + 16)
            a2.store(out + 32)
            a3.store(out + 48)
        }
    }
}
