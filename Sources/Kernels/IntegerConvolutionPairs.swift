import GNKernelInterface

/// Int8 convolutions for CPUs without a vector unit — microcontrollers, and the x86-64 baseline, which
/// plans int8 sessions as they do — built on `DualMultiplyAdd`: on the Cortex-M4, its dual 16-bit
/// multiply-accumulate (`smlad`).
///
/// Spike maps are sparse (only a third to a half of a Group Neuron layer's outputs are nonzero), so the kernel
/// multiplies only nonzero inputs, two at a time. One output row at a time:
/// 1. the input rows its windows read are converted once to their integers (`PaddedRows.loadIntegers`),
///    instead of once per window as `IntegerConvolution` does;
/// 2. per output pixel, the window's nonzero integers are gathered in pairs, each pair with the weight
///    rows its two inputs meet (`[tap][c][o]`, byte offsets) and its integers packed for `smlad`;
/// 3. per four output channels, every pair adds its products to four int32 sums in registers.
/// Integer sums are exact in any order, so results equal `IntegerConvolution`'s bit for bit; the sums
/// leave the integers through `IntegerArithmetic.output`. Unsafe pointers on purpose: the hot loops.
enum IntegerConvolutionPairs {
    /// The largest input integer: `smlad` multiplies signed 16-bit halves.
    static let largestInput = Int(Int16.max)

    /// Whether this build takes the kernel: the builds without the exact float tiles
    /// (`IntegerConvolutionExact.available`), that is microcontrollers and the x86-64 baseline. Where
    /// those tiles are built, layers they refuse keep `IntegerConvolution`, whose loop over output
    /// channels the compiler vectorises.
    static var available: Bool { !IntegerConvolutionExact.available }

    /// The kernel for an int8 convolution whose input integers fit 16 bits and whose output channels
    /// come in fours, in a build that takes it (`available`), or nil.
    static func choice(_ query: KernelQuery) -> KernelChoice? {
        let g = query.geometry
        guard available, case .convolution = query.operation, query.largestInputInteger <= largestInput, g.outputChannels % 4 == 0,
              g.kernelHeight <= PaddedRows<UInt16>.largestKernelHeight else { return nil }
        return KernelChoice(function: { job, worker, begin, end in
            IntegerConvolutionPairs.run(job, worker: worker, tasks: begin..<end)
        }, split: TaskSplit(itemsPerSample: query.outputPixelsPerSample, itemsPerTask: g.outputWidth),
           scratchFloats: PaddedRows<UInt16>.integerRowWords(g) + 3 * pairCapacity(g), name: "conv2d.pairs")
    }

    /// The most pairs one window makes: half its inputs, rounded up.
    private static func pairCapacity(_ g: WindowGeometry) -> Int { (g.kernelHeight * g.kernelWidth * g.inputChannels + 1) / 2 }

    /// Runs `tasks` (whole output rows) of a call whose job is `KernelArguments`.
    private static func run(_ job: UnsafeRawPointer, worker: Int, tasks: Range<Int>) {
        let arguments = job.load(as: KernelArguments.self)
        let g = arguments.geometry
        let scratch = UnsafeMutableRawPointer(arguments.scratch(of: worker))
        let rowWords = PaddedRows<UInt16>.integerRowWords(g)
        var rows = PaddedRows<UInt16>(scratch.bindMemory(to: UInt16.self, capacity: 2 * rowWords), g, pixels: 1)
        let pairs = (scratch + 4 * rowWords).bindMemory(to: UInt32.self, capacity: 3 * pairCapacity(g))
        arguments.forEachTask(tasks) { _, pixels in
            // Rows by position, not `WindowGeometry.forEachOutputRow` as the hosts' row kernels: its closure
            // cost the Cortex-M4 0.5 million instructions per Fashion-MNIST inference.
            for rowStart in stride(from: pixels.lowerBound, to: pixels.upperBound, by: g.outputWidth) {
                let (sample, outputRow, _) = g.outputPosition(rowStart)
                rows.loadIntegers(g, arguments, sample: sample, outputRow: outputRow)
                for column in 0..<g.outputWidth {
                    let count = gatherPairs(g, rows: rows.kernelRows, column: column, into: pairs)
                    accumulate(arguments, pairs: UnsafePointer(pairs), count: count, outputPixel: rowStart + column)
                }
            }
        }
    }

    /// Writes the nonzero inputs of the window of output column `column` as pairs — the first input's
    /// weight offset, the second's, and their integers (`DualMultiplyAdd.integers`) — and returns how
    /// many. An odd input out is paired with a zero integer.
    @inline(__always)
    private static func gatherPairs(_ g: WindowGeometry, rows: PaddedRows<UInt16>.PerKernelRow<UnsafePointer<UInt16>?>,
                                    column: Int, into pairs: UnsafeMutablePointer<UInt32>) -> Int {
        // A window row's columns × channels lie consecutive in its padded row, and its weight rows
        // consecutive in `[tap][c][o]`.
        let windowRow = g.kernelWidth * g.inputChannels
        var count = 0
        var waiting = false
        var waitingOffset: UInt32 = 0
        var waitingInteger: UInt16 = 0
        for kernelRow in 0..<g.kernelHeight {
            let values = rows[kernelRow].unsafelyUnwrapped + column * g.strideWidth * g.inputChannels
            // Wrapping arithmetic: offsets within the layer's weights, no overflow checks in the loop.
            var offset = UInt32(truncatingIfNeeded: kernelRow &* windowRow &* g.outputChannels)
            for index in 0..<windowRow {
                let integer = values[index]
                if integer != 0 {
                    if waiting {
                        let pair = pairs + 3 &* count
                        pair[0] = waitingOffset
                        pair[1] = offset
                        pair[2] = DualMultiplyAdd.integers(waitingInteger, integer)
                        count &+= 1
                    } else {
                        waitingOffset = offset
                        waitingInteger = integer
                    }
                    waiting.toggle()
                }
                offset &+= UInt32(truncatingIfNeeded: g.outputChannels)
            }
        }
        if waiting {
            let pair = pairs + 3 &* count
            pair[0] = waitingOffset
            pair[1] = waitingOffset
            pair[2] = DualMultiplyAdd.integers(waitingInteger, 0)
            count &+= 1
        }
        return count
    }

    /// The output pixel `outputPixel` from its window's `count` pairs: four output channels at a time,
    /// their sums in registers.
    @inline(__always)
    private static func accumulate(_ arguments: KernelArguments, pairs: UnsafePointer<UInt32>, count: Int, outputPixel: Int) {
        let g = arguments.geometry
        let weights = arguments.integerWeights!
        let output = arguments.output + outputPixel * g.outputChannels
        for channel in stride(from: 0, to: g.outputChannels, by: 4) {
            let chunk = weights + channel
            var sums = DualMultiplyAdd()
            var pair = pairs
            for _ in 0..<count {
                sums.add(pair[2], chunk + Int(truncatingIfNeeded: pair[0]), chunk + Int(truncatingIfNeeded: pair[1]))
                pair += 3
            }
            output[channel] = IntegerArithmetic.output(Float(Int(truncatingIfNeeded: sums.sum0)), channel: channel, arguments)
            output[channel + 1] = IntegerArithmetic.output(Float(Int(truncatingIfNeeded: sums.sum1)), channel: channel + 1, arguments)
            output[channel + 2] = IntegerArithmetic.output(Float(Int(truncatingIfNeeded: sums.sum2)), channel: channel + 2, arguments)
            output[channel + 3] = IntegerArithmetic.output(Float(Int(truncatingIfNeeded: sums.sum3)), channel: channel + 3, arguments)
        }
    }
}
