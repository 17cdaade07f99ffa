import GNKernelInterface

/// 2-D convolution over channels-last tensors: the reference kernel, the definition the tiled kernel
/// is tested against, and the kernel of the layers the tiled ones leave (fewer than 16 output channels
/// whose weights padded to 16 would exceed `PaddedWeights.limit`; every layer of builds without them).
enum Convolution {
    /// Output pixels per task.
    static let pixelsPerTask = 16

    /// The reference kernel for a query.
    static func choice(_ query: KernelQuery) -> KernelChoice {
        KernelChoice(function: { job, worker, begin, end in
            let arguments = job.load(as: KernelArguments.self)
            let scratch = arguments.scratch(of: worker)
            arguments.forEachTask(begin..<end) { _, pixels in
                Convolution.reference(arguments.geometry, pixels: pixels, input: arguments.input, weights: arguments.weights!,
                                      layout: arguments.weightLayout, bias: arguments.bias, output: arguments.output,
                                      scratch: scratch)
            }
        }, split: TaskSplit(itemsPerSample: query.outputPixelsPerSample, itemsPerTask: pixelsPerTask),
           scratchFloats: scratchFloats(channels: query.geometry.outputChannels), name: "conv2d.reference")
    }

    /// Scratch floats `pixel` needs for `channels` output channels: their block sums and group sums.
    static func scratchFloats(channels: Int) -> Int { 2 * channels }

    /// The reference kernel: each output element is `bias + Σ (kh, kw, cin) input · weight`, summed in
    /// `SummationOrder` with `multiplyAdd`, with positions outside the input skipped (they are zeros).
    /// Zero inputs are skipped too, which changes no result (weights are finite) and saves work on
    /// sparse spike maps. Computes the output pixels `pixels` (all by default); `layout` orders the
    /// weights (the file's layout by default); `scratch` holds `scratchFloats(channels:)` floats.
    static func reference(_ g: WindowGeometry, pixels: Range<Int>? = nil, input: UnsafePointer<Float>,
                          weights: UnsafePointer<Float>, layout: WeightLayout? = nil, bias: UnsafePointer<Float>?,
                          output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let layout = layout ?? WeightLayout.plain(inputChannels: g.inputChannels, outputChannels: g.outputChannels)
        g.forEachOutput(pixels) { sample, outputRow, outputColumn, outputPixel in
            pixel(g, image: input + sample * g.inputElementsPerSample, outputRow: outputRow, outputColumn: outputColumn,
                  channels: 0..<g.outputChannels, weights: weights, layout: layout, bias: bias,
                  output: output + outputPixel * g.outputChannels, scratch: scratch)
        }
    }

    /// Output channels `channels` of one output pixel (`output` is the pixel's first channel), as the
    /// reference computes them; `scratch` holds `scratchFloats(channels: channels.count)` floats.
    /// Unsafe pointers in the loops on purpose: the inner loop is an axpy over output channels.
    @inline(never)
    static func pixel(_ g: WindowGeometry, image: UnsafePointer<Float>, outputRow: Int, outputColumn: Int,
                      channels: Range<Int>, weights: UnsafePointer<Float>, layout: WeightLayout,
                      bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
                      scratch: UnsafeMutablePointer<Float>) {
        let width = channels.count
        let out = output + channels.lowerBound
        if let bias {
            out.update(from: bias + channels.lowerBound, count: width)
        } else {
            out.update(repeating: 0, count: width)
        }
        let blockSums = scratch, groupSums = scratch + width
        let order = SummationOrder(taps: g.kernelHeight * g.kernelWidth, channels: g.inputChannels)
        for index in 0..<order.count {
            let (taps, inputChannels) = order.block(index)
            // A group's first block sums straight into the group's sums.
            let starts = order.startsGroup(index)
            let sums = starts ? groupSums : blockSums
            sums.update(repeating: 0, count: width)
            g.forEachTap(outputRow: outputRow, outputColumn: outputColumn, taps: taps) { inputPixel, tap in
                // The channels block by block of the weight layout (one block in the file's layout).
                var channel = channels.lowerBound
                while channel < channels.upperBound {
                    let run = min(layout.lanes - channel % layout.lanes, channels.upperBound - channel)
                    accumulate(image + inputPixel * g.inputChannels + inputChannels.lowerBound, count: inputChannels.count,
                               rows: weights + layout.offset(channel: channel, tap: tap)
                                   + inputChannels.lowerBound * layout.channelStride,
                               width: run, stride: layout.channelStride, into: sums + (channel - channels.lowerBound))
                    channel += run
                }
            }
            if !starts {
                for column in 0..<width { groupSums[column] = groupSums[column] + blockSums[column] }
            }
            if order.endsGroup(index) {
                for column in 0..<width { out[column] = out[column] + groupSums[column] }
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
