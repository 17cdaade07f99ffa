import GNKernelInterface

/// 2-D convolution over channels-last tensors: the reference kernel, the definition the tiled kernel
/// is tested against, and the kernel of layers too narrow to tile (fewer than 16 output channels).
enum Convolution {
    /// Output pixels per task.
    static let pixelsPerTask = 16

    /// The reference kernel for a query.
    static func choice(_ query: KernelQuery) -> KernelChoice {
        KernelChoice(function: { job, _, begin, end in
            let arguments = job.load(as: KernelArguments.self)
            arguments.forEachTask(begin..<end) { _, pixels in
                Convolution.reference(arguments.geometry, pixels: pixels, input: arguments.input, weights: arguments.weights!,
                                      layout: arguments.weightLayout, bias: arguments.bias, output: arguments.output)
            }
        }, split: TaskSplit(itemsPerSample: query.outputPixelsPerSample, itemsPerTask: pixelsPerTask), name: "conv2d.reference")
    }

    /// The reference kernel: each output element is `bias + Σ (kh, kw, cin) input · weight`, summed in
    /// that order with `multiplyAdd`, with positions outside the input skipped (they are zeros). Zero
    /// inputs are skipped too, which changes no result (weights are finite) and saves work on sparse
    /// spike maps. Computes the output pixels `pixels` (all by default); `layout` orders the weights
    /// (the file's layout by default).
    static func reference(_ g: WindowGeometry, pixels: Range<Int>? = nil, input: UnsafePointer<Float>,
                          weights: UnsafePointer<Float>, layout: WeightLayout? = nil, bias: UnsafePointer<Float>?,
                          output: UnsafeMutablePointer<Float>) {
        let layout = layout ?? WeightLayout.plain(inputChannels: g.inputChannels, outputChannels: g.outputChannels)
        g.forEachOutput(pixels) { sample, outputRow, outputColumn, outputPixel in
            pixel(g, image: input + sample * g.inputElementsPerSample, outputRow: outputRow, outputColumn: outputColumn,
                  channels: 0..<g.outputChannels, weights: weights, layout: layout, bias: bias,
                  output: output + outputPixel * g.outputChannels)
        }
    }

    /// Output channels `channels` of one output pixel (`output` is the pixel's first channel), as the
    /// reference computes them. Unsafe pointers in the loops on purpose: the inner loop is an axpy
    /// over output channels.
    @inline(never)
    static func pixel(_ g: WindowGeometry, image: UnsafePointer<Float>, outputRow: Int, outputColumn: Int,
                      channels: Range<Int>, weights: UnsafePointer<Float>, layout: WeightLayout,
                      bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>) {
        let out = output + channels.lowerBound
        if let bias {
            out.update(from: bias + channels.lowerBound, count: channels.count)
        } else {
            out.update(repeating: 0, count: channels.count)
        }
        g.forEachTap(outputRow: outputRow, outputColumn: outputColumn) { inputPixel, tap in
            // The channels block by block of the weight layout (one block in the file's layout): each
            // output still sums over (kh, kw, cin) in order.
            var channel = channels.lowerBound
            while channel < channels.upperBound {
                let width = min(layout.lanes - channel % layout.lanes, channels.upperBound - channel)
                accumulate(image + inputPixel * g.inputChannels, count: g.inputChannels,
                           rows: weights + layout.offset(channel: channel, tap: tap), width: width,
                           stride: layout.channelStride, into: output + channel)
                channel += width
            }
        }
    }

    /// `out[j] += Σ_i activations[i] · rows[i·stride + j]` for `j < width`, one row at a time
    /// (i ascending), skipping zero activations.
    @inline(__always)
    static func accumulate(_ activations: UnsafePointer<Float>, count: Int, rows: UnsafePointer<Float>,
                           width: Int, stride: Int, into out: UnsafeMutablePointer<Float>) {
        for index in 0..<count {
            let activation = activations[index]
            if activation == 0 { continue }
            let row = rows + index * stride
            for column in 0..<width {
                out[column] = multiplyAdd(out[column], activation, row[column])
            }
        }
    }
}
