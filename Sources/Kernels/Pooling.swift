import GNKernelInterface

/// Pooling over channels-last tensors. Unsafe pointers in the loops on purpose (hot paths).
enum Pooling {
    /// Output pixels per task of average and max pooling.
    static let pixelsPerTask = 64

    /// The kernel of an average (`maximum` false) or max pooling layer; average pooling also from
    /// integers to integers (nil for max pooling over integers, or integers on one side only).
    static func choice(_ query: KernelQuery, maximum: Bool) -> KernelChoice? {
        let split = TaskSplit(itemsPerSample: query.outputPixelsPerSample, itemsPerTask: pixelsPerTask)
        if query.inputHoldsIntegers || query.outputHoldsIntegers {
            // A lean session's pooled spike maps.
            guard !maximum, query.inputHoldsIntegers, query.outputHoldsIntegers else { return nil }
            return KernelChoice(function: { job, _, begin, end in
                let arguments = job.load(as: KernelArguments.self)
                arguments.forEachTask(begin..<end) { _, pixels in
                    Pooling.sum(arguments.geometry, pixels: pixels, input: arguments.inputIntegers, output: arguments.outputIntegers)
                }
            }, split: split, name: "avgpool2d.integers")
        }
        if maximum {
            return KernelChoice(function: { job, _, begin, end in
                let arguments = job.load(as: KernelArguments.self)
                arguments.forEachTask(begin..<end) { _, pixels in
                    Pooling.maximum(arguments.geometry, pixels: pixels, input: arguments.input, output: arguments.output)
                }
            }, split: split, name: "maxpool2d")
        }
        return KernelChoice(function: { job, _, begin, end in
            let arguments = job.load(as: KernelArguments.self)
            arguments.forEachTask(begin..<end) { _, pixels in
                Pooling.average(arguments.geometry, pixels: pixels, input: arguments.input, output: arguments.output)
            }
        }, split: split, name: "avgpool2d")
    }

    /// Average pooling over integers: each window's integer sum, the integer of the average
    /// (`IntegerForm.averaged`: the division goes into the scale). The planner has shown every sum
    /// below 256. Computes the output pixels `pixels`.
    static func sum(_ g: WindowGeometry, pixels: Range<Int>, input: UnsafePointer<UInt8>, output: UnsafeMutablePointer<UInt8>) {
        let channels = g.inputChannels
        let rowStride = g.inputWidth &* channels
        // (The same walk over windows as `average`'s: one shared through a closure cost 13% more
        // instructions in both on the Cortex-M4.)
        g.forEachOutput(pixels) { sample, outputRow, outputColumn, outputPixel in
            let out = output + outputPixel &* channels
            let (first, rows, columns) = window(g, sample: sample, outputRow: outputRow, outputColumn: outputColumn)
            let window = input + first
            // Four channels at a time in one 32-bit word, a byte each: no sum passes 255, so no byte
            // carries into the next.
            var channel = 0
            while channel &+ 4 <= channels {
                var sums: UInt32 = 0
                var row = UnsafeRawPointer(window + channel)
                for _ in 0..<rows {
                    var values = row
                    for _ in 0..<columns {
                        sums &+= values.loadUnaligned(as: UInt32.self)
                        values += channels
                    }
                    row += rowStride
                }
                UnsafeMutableRawPointer(out + channel).storeBytes(of: sums, as: UInt32.self)
                channel &+= 4
            }
            for channel in channel..<channels {
                var sum: UInt32 = 0
                var row = window + channel
                for _ in 0..<rows {
                    var values = row
                    for _ in 0..<columns {
                        sum &+= UInt32(values.pointee)
                        values += channels
                    }
                    row += rowStride
                }
                out[channel] = UInt8(truncatingIfNeeded: sum)
            }
        }
    }

    /// The kernel of a global average pooling layer: samples (and steps) split over tasks of about
    /// `Elementwise.elementsPerTask` input elements.
    static func globalAverageChoice(_ query: KernelQuery) -> KernelChoice {
        let perTask = max(1, Elementwise.elementsPerTask / max(1, query.geometry.inputElementsPerSample))
        return KernelChoice(function: { job, _, begin, end in
            let arguments = job.load(as: KernelArguments.self)
            let g = arguments.geometry
            arguments.forEachTask(begin..<end) { _, samples in
                let first = samples.lowerBound
                Pooling.globalAverage(batch: samples.count, pixels: g.inputHeight * g.inputWidth, channels: g.inputChannels,
                                      input: arguments.input + first * g.inputElementsPerSample,
                                      output: arguments.output + first * g.outputChannels)
            }
        }, split: TaskSplit(itemsPerSample: query.steps, itemsPerTask: perTask), name: "global_avgpool")
    }

    /// Average pooling: the window sum (positions outside the input count as zeros) divided by
    /// `kernelHeight · kernelWidth` — PyTorch's `AvgPool2d(count_include_pad=True)`. Each sum starts at
    /// +0 and adds the window's values in row-major kernel order. Computes the output pixels `pixels`
    /// (all by default).
    static func average(_ g: WindowGeometry, pixels: Range<Int>? = nil, input: UnsafePointer<Float>,
                        output: UnsafeMutablePointer<Float>) {
        let divisor = Float(g.kernelHeight * g.kernelWidth)
        // Dividing by a power of two and multiplying by its reciprocal round the same real number.
        let multipliesByReciprocal = divisor.significandBitPattern == 0
        let reciprocal = 1 / divisor
        func divide(_ sum: Float) -> Float { multipliesByReciprocal ? sum * reciprocal : sum / divisor }
        // SIMD, unsafe pointers and wrapping index arithmetic on purpose: a hot loop (the planner has
        // checked the sizes).
        let channels = g.inputChannels
        let rowStride = g.inputWidth &* channels
        g.forEachOutput(pixels) { sample, outputRow, outputColumn, outputPixel in
            let out = output + outputPixel &* channels
            let (first, rows, columns) = window(g, sample: sample, outputRow: outputRow, outputColumn: outputColumn)
            let window = input + first
            // Sixteen channels at a time (four without a vector unit), their sums kept in registers
            // across the window.
            var channel = 0
            #if !hasFeature(Embedded)
            while channel &+ 16 <= channels {
                var sums = SIMD16<Float>(repeating: 0)
                var row = window + channel
                for _ in 0..<rows {
                    var values = row
                    for _ in 0..<columns {
                        sums += SIMD16<Float>.load(values)
                        values += channels
                    }
                    row += rowStride
                }
                (multipliesByReciprocal ? sums * reciprocal : sums / divisor).store(out + channel)
                channel &+= 16
            }
            #endif
            while channel &+ 4 <= channels {
                var sum0: Float = 0, sum1: Float = 0, sum2: Float = 0, sum3: Float = 0
                var row = window + channel
                for _ in 0..<rows {
                    var values = row
                    for _ in 0..<columns {
                        sum0 += values[0]
                        sum1 += values[1]
                        sum2 += values[2]
                        sum3 += values[3]
                        values += channels
                    }
                    row += rowStride
                }
                out[channel] = divide(sum0)
                out[channel &+ 1] = divide(sum1)
                out[channel &+ 2] = divide(sum2)
                out[channel &+ 3] = divide(sum3)
                channel &+= 4
            }
            while channel < channels {
                var sum: Float = 0
                var row = window + channel
                for _ in 0..<rows {
                    var values = row
                    for _ in 0..<columns {
                        sum += values[0]
                        values += channels
                    }
                    row += rowStride
                }
                out[channel] = divide(sum)
                channel &+= 1
            }
        }
    }

    /// The window of output (`outputRow`, `outputColumn`) of `sample` inside the input — the taps that
    /// add a value, row-major — as the index of its first input value and its rows and columns (which
    /// may be 0). Wrapping arithmetic on purpose: the planner has checked the sizes.
    @inline(__always)
    private static func window(_ g: WindowGeometry, sample: Int, outputRow: Int,
                               outputColumn: Int) -> (first: Int, rows: Int, columns: Int) {
        let firstRow = g.inputRow(outputRow, 0), firstColumn = g.inputColumn(outputColumn, 0)
        let top = max(firstRow, 0), left = max(firstColumn, 0)
        let rows = min(firstRow &+ g.kernelHeight, g.inputHeight) &- top
        let columns = min(firstColumn &+ g.kernelWidth, g.inputWidth) &- left
        let first = sample &* g.inputElementsPerSample &+ (top &* g.inputWidth &+ left) &* g.inputChannels
        return (first, max(rows, 0), max(columns, 0))
    }

    /// Max pooling: the largest value in the window, positions outside the input ignored. Computes the
    /// output pixels `pixels` (all by default).
    static func maximum(_ g: WindowGeometry, pixels: Range<Int>? = nil, input: UnsafePointer<Float>,
                        output: UnsafeMutablePointer<Float>) {
        let channels = g.inputChannels
        g.forEachOutput(pixels) { sample, outputRow, outputColumn, outputPixel in
            let image = input + sample * g.inputElementsPerSample
            let out = output + outputPixel * channels
            out.update(repeating: -Float.infinity, count: channels)
            g.forEachTap(outputRow: outputRow, outputColumn: outputColumn) { inputPixel, _ in
                let values = image + inputPixel * channels
                for channel in 0..<channels where values[channel] > out[channel] {
                    out[channel] = values[channel]
                }
            }
        }
    }

    /// Global average pooling: the mean over all `pixels` positions of each channel — the average
    /// pooling whose window is the whole map (seen as one row of `pixels`: the same channels-last
    /// memory), so the same sums, in the same order, in its registers.
    static func globalAverage(batch: Int, pixels: Int, channels: Int, input: UnsafePointer<Float>,
                              output: UnsafeMutablePointer<Float>) {
        let wholeMap = WindowGeometry(batch: batch, inputHeight: 1, inputWidth: pixels, inputChannels: channels,
                                      outputHeight: 1, outputWidth: 1, outputChannels: channels, kernelHeight: 1,
                                      kernelWidth: pixels, strideHeight: 1, strideWidth: 1, paddingHeight: 0, paddingWidth: 0)
        average(wholeMap, input: input, output: output)
    }
}
