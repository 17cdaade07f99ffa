import GNKernelInterface
#if GN_ARM_DSP
import GNIntrinsics
#endif

/// Convolution and linear layers with int8 weights over integer-valued inputs (docs/semantics.md,
/// "Integer layers"): every input is an integer `q` times the input's scale `σ`, so each output is the
/// exact int32 sum `Σ q · w` over its window, then `Float(sum) · (scale[o] · σ) + bias[o]`, the product
/// and the sum each rounded once. Integer sums are exact in any order, so this kernel is the reference
/// and every variant equals it bit for bit.
///
/// The activations are stored as floats, and the kernel recovers each `q` by rounding `x · (1/σ)`,
/// which the planner has shown exact for the layer (`IntegerForm.isRecoverable`); or, in lean
/// sessions, as the integers themselves, one byte each. It skips zeros (spike maps are sparse). The planner also refuses a layer whose sum could leave int32.
enum IntegerConvolution {
    /// Output pixels per task.
    static let pixelsPerTask = 16
    /// Output channels per block of tasks (a linear layer of one sample splits over its outputs).
    static let channelsPerBlock = 256

    /// The kernel for a query (a conv2d or a linear layer, a 1 × 1 convolution over 1 × 1 maps).
    static func choice(_ query: KernelQuery, name: StaticString) -> KernelChoice {
        let g = query.geometry
        let blocks = (g.outputChannels + channelsPerBlock - 1) / channelsPerBlock
        return KernelChoice(function: { job, worker, begin, end in
            let arguments = job.load(as: KernelArguments.self)
            let scratch = UnsafeMutableRawPointer(arguments.scratch(of: worker))
            arguments.forEachTask(begin..<end) { block, pixels in
                let first = block * IntegerConvolution.channelsPerBlock
                let channels = first..<min(arguments.geometry.outputChannels, first + IntegerConvolution.channelsPerBlock)
                IntegerConvolution.compute(arguments, pixels: pixels, channels: channels, scratch: scratch)
            }
        }, split: TaskSplit(blocks: blocks, itemsPerSample: query.outputPixelsPerSample, itemsPerTask: pixelsPerTask),
           scratchFloats: scratchWords(geometry: g), name: name)
    }

    /// Scratch words (4 bytes) one thread needs: the window's nonzero inputs (their weight rows and
    /// integers) and one block's int32 sums.
    static func scratchWords(geometry g: WindowGeometry) -> Int {
        2 * g.kernelHeight * g.kernelWidth * g.inputChannels + channelsPerBlock
    }

    /// Output channels `channels` of the output pixels `pixels`. Unsafe pointers on purpose: the inner
    /// loop is an int32 axpy over output channels, which the compiler vectorises.
    static func compute(_ arguments: KernelArguments, pixels: Range<Int>, channels: Range<Int>,
                        scratch: UnsafeMutableRawPointer) {
        let g = arguments.geometry
        let weights = arguments.integerWeights!
        let window = g.kernelHeight * g.kernelWidth * g.inputChannels
        let rows = scratch.bindMemory(to: Int32.self, capacity: 2 * window + channelsPerBlock)
        let integers = rows + window, sums = rows + 2 * window
        let width = channels.count
        let reciprocal = arguments.inputReciprocal
        g.forEachOutput(pixels) { sample, outputRow, outputColumn, outputPixel in
            // The window's nonzero integers, with the weight row each meets: recovered from the input's
            // floats, or read from its bytes.
            let image = sample * g.inputElementsPerSample
            var count = 0
            g.forEachTap(outputRow: outputRow, outputColumn: outputColumn) { inputPixel, tap in
                let first = image + inputPixel * g.inputChannels
                let bytes = arguments.inputIntegers + first, floats = arguments.input + first
                let holdsIntegers = arguments.inputHoldsIntegers
                for channel in 0..<g.inputChannels {
                    let integer = holdsIntegers ? Int32(bytes[channel]) : IntegerArithmetic.recover(floats[channel], reciprocal: reciprocal)
                    if integer != 0 {
                        rows[count] = Int32(truncatingIfNeeded: tap * g.inputChannels + channel)
                        integers[count] = integer
                        count += 1
                    }
                }
            }
            sums.update(repeating: 0, count: width)
            for index in 0..<count {
                let row = weights + Int(rows[index]) * g.outputChannels + channels.lowerBound
                let integer = integers[index]
                // Wrapping operations: the planner proved the sums fit; no overflow checks in the loop.
                for column in 0..<width { sums[column] = sums[column] &+ Int32(truncatingIfNeeded: row[column]) &* integer }
            }
            let output = arguments.output + outputPixel * g.outputChannels
            for column in 0..<width {
                let channel = channels.lowerBound + column
                output[channel] = IntegerArithmetic.output(Float(Int(truncatingIfNeeded: sums[column])), channel: channel, arguments)
            }
        }
    }
}

/// How an int8 layer reads its integer-valued float input, and how its integer sums leave the integers:
/// the arithmetic every integer kernel shares.
enum IntegerArithmetic {
    /// The integer `q` of an input value `x ≈ q · σ`: `x · (1/σ)` rounded to the nearest integer, as
    /// `x · (1/σ) + 0.5` truncated (no libm call: microcontrollers have none). Exact when `x` lies
    /// within a quarter of `σ` of `q · σ` and `q ≤ 2²²`, which the planner checks per layer (the
    /// addition may round, by at most a quarter there); the input values are finite and never negative.
    @inline(__always)
    static func recover(_ value: Float, reciprocal: Float) -> Int32 {
        #if GN_ARM_DSP
        // On the Cortex-M4 without Swift's range checks (three per value, most of a row's conversion):
        // the planner has shown the value in range.
        gn_truncate_to_int32(value * reciprocal + 0.5)
        #else
        Int32(value * reciprocal + 0.5)
        #endif
    }

    /// Output channel `channel` from its int32 sum converted to float (to nearest, ties to even):
    /// `float(sum) · (scale · σ)`, then `+ bias`, each rounded once.
    @inline(__always)
    static func output(_ sum: Float, channel: Int, _ arguments: KernelArguments) -> Float {
        output(sum, scale: arguments.weightScales![channel] * arguments.inputScale, bias: arguments.bias?[channel])
    }

    /// `output` for the channels `channels` of one pixel, from their int32 sums (`sums[0]` is the first
    /// channel's), into `pixel[channel]`; the arguments' fields read once, not per channel. Unsafe
    /// pointers on purpose: every output of the kernels that call it passes here.
    @inline(__always)
    static func outputs(_ sums: UnsafePointer<Int32>, channels: Range<Int>, into pixel: UnsafeMutablePointer<Float>,
                        _ arguments: KernelArguments) {
        let scales = arguments.weightScales!, inputScale = arguments.inputScale
        // One loop with a bias and one without, rather than a test per channel.
        if let bias = arguments.bias {
            for channel in channels {
                pixel[channel] = output(Float(Int(truncatingIfNeeded: sums[channel &- channels.lowerBound])),
                                        scale: scales[channel] * inputScale, bias: bias[channel])
            }
        } else {
            for channel in channels {
                pixel[channel] = output(Float(Int(truncatingIfNeeded: sums[channel &- channels.lowerBound])),
                                        scale: scales[channel] * inputScale, bias: nil)
            }
        }
    }

    /// `float(sum) · scale`, then `+ bias` (nil: none), each rounded once.
    @inline(__always)
    private static func output(_ sum: Float, scale: Float, bias: Float?) -> Float {
        let product = sum * scale
        return bias.map { product + $0 } ?? product
    }
}
