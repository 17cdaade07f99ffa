import GNKernelInterface

/// Int8 convolutions over small input integers — spike counts of Group Neurons with τ ≤ 16 (and their
/// 2 × 2 average pools with τ ≤ 4), IF spikes, QCFS levels with L ≤ 16 — for CPUs without a vector unit
/// (the builds `IntegerConvolutionPairs` serves), built on `CountSums`: on the Cortex-M4, its dual 16-bit
/// additions (`sxtab16`).
///
/// A window's nonzero inputs take only a few values, so the kernel multiplies by each value once
/// rather than by each input: `Σᵢ qᵢ · wᵢ[o] = Σ_q q · (Σ_{i: qᵢ = q} wᵢ[o])`. One output row at a time:
/// 1. the input rows its windows read are converted once to their integers (`PaddedRows.loadIntegers`);
/// 2. per output pixel, where the weight rows of the window's nonzero inputs start (in eights of bytes,
///    16 bits each) is sorted by value into one list per value (`gather`);
/// 3. per sixteen output channels and per value, the weight rows of its list are added up — on the
///    Cortex-M4 in 16-bit halves, four loads and eight `sxtab16` per input, in runs of at most
///    `inputsPerRun` inputs so that no half overflows — and each value's sums join the int32 sums
///    multiplied by the value.
/// Integer sums are exact in any order, so results equal `IntegerConvolution`'s bit for bit; the sums
/// leave the integers through `IntegerArithmetic.outputs`. Unsafe pointers on purpose: the hot loops.
enum IntegerConvolutionCounts {
    /// The largest input integer the kernel takes: one list per value, each sum multiplied once.
    static let largestInput = 16

    /// Inputs added up in 16-bit halves before they join the int32 sums: 255 × 128 ≤ 32767.
    static let inputsPerRun = 255

    /// The kernel for an int8 convolution whose input integers are at most `largestInput`, whose output
    /// channels come in sixteens and whose weights' offsets, in eights, fit 16 bits, in the builds that
    /// take `IntegerConvolutionPairs`, or nil.
    static func choice(_ query: KernelQuery) -> KernelChoice? {
        let g = query.geometry
        guard IntegerConvolutionPairs.available, case .convolution = query.operation,
              (1...largestInput).contains(query.largestInputInteger), g.outputChannels % 16 == 0,
              fanIn(g) * (g.outputChannels / 8) <= Int(UInt16.max),
              g.kernelHeight <= PaddedRows<UInt16>.largestKernelHeight else { return nil }
        return KernelChoice(function: { job, worker, begin, end in
            IntegerConvolutionCounts.run(job, worker: worker, tasks: begin..<end)
        }, split: TaskSplit(itemsPerSample: query.outputPixelsPerSample, itemsPerTask: g.outputWidth),
           scratchFloats: endsWords + 16 + PaddedRows<UInt16>.integerRowWords(g) + (query.largestInputInteger * fanIn(g) + 1) / 2,
           name: "conv2d.counts")
    }

    /// Words (4 bytes) of scratch the table of the lists' ends takes.
    private static var endsWords: Int { largestInput * MemoryLayout<UnsafeMutablePointer<UInt16>>.stride / 4 }

    /// Inputs of one window.
    private static func fanIn(_ g: WindowGeometry) -> Int { g.kernelHeight * g.kernelWidth * g.inputChannels }

    /// Runs `tasks` (whole output rows) of a call whose job is `KernelArguments`.
    private static func run(_ job: UnsafeRawPointer, worker: Int, tasks: Range<Int>) {
        let arguments = job.load(as: KernelArguments.self)
        let g = arguments.geometry
        // One list per value the input holds. The choice made room for the query's count, and the
        // lists' memory relies on the arguments repeating it, as the session's do (both come from the
        // layer's plan). (A check here, even one outside the loops, changed how the compiler kept the
        // loops' values in registers: 2% more instructions on the Cortex-M4; the clamp below is what
        // bounds the value loop for it.) The per-row loop is `IntegerConvolutionPairs.run`'s: shared
        // through a closure, it cost 2–4% there too.
        assert((1...largestInput).contains(arguments.largestInputInteger), "the query's largest integer, 1 … 16")
        let values = min(max(arguments.largestInputInteger, 1), largestInput)
        let scratch = UnsafeMutableRawPointer(arguments.scratch(of: worker))
        // Where each list ends, first (the scratch is aligned for pointers); sixteen of them, so that any
        // integer's four low bits pick one (see `gather`).
        let ends = scratch.bindMemory(to: UnsafeMutablePointer<UInt16>.self, capacity: largestInput)
        // The sums of sixteen channels, then the rows and the lists.
        let sums = (scratch + 4 * endsWords).bindMemory(to: Int32.self, capacity: 16)
        let rowWords = PaddedRows<UInt16>.integerRowWords(g)
        let rowStorage = scratch + 4 * (endsWords + 16)
        var rows = PaddedRows<UInt16>(rowStorage.bindMemory(to: UInt16.self, capacity: 2 * rowWords), g, pixels: 1)
        let lists = (rowStorage + 4 * rowWords).bindMemory(to: UInt16.self, capacity: values * fanIn(g))
        let windowRow = g.kernelWidth * g.inputChannels
        arguments.forEachTask(tasks) { _, pixels in
            // Rows by position, not `WindowGeometry.forEachOutputRow` as the hosts' row kernels: its closure
            // cost the Cortex-M4 0.5 million instructions per Fashion-MNIST inference.
            for rowStart in stride(from: pixels.lowerBound, to: pixels.upperBound, by: g.outputWidth) {
                let (sample, outputRow, _) = g.outputPosition(rowStart)
                rows.loadIntegers(g, arguments, sample: sample, outputRow: outputRow)
                for column in 0..<g.outputWidth {
                    for value in 0..<largestInput { ends[value] = lists + (value < values ? value * fanIn(g) : 0) }
                    for kernelRow in 0..<g.kernelHeight {
                        gather(rows.kernelRows[kernelRow].unsafelyUnwrapped + column * g.strideWidth * g.inputChannels,
                               count: windowRow, firstOffset: kernelRow * windowRow * (g.outputChannels / 8),
                               step: g.outputChannels / 8, ends: ends)
                    }
                    accumulate(arguments, values: values, lists: lists, ends: ends, sums: sums, outputPixel: rowStart + column)
                }
            }
        }
    }

    /// Sorts `count` consecutive inputs of a window (one window row: its columns × channels) by value:
    /// where each nonzero one's weight row starts (`[tap][c][o]`, in eights of bytes: `firstOffset`,
    /// then `step` more per input) goes to the end of its value's list, `ends[value − 1]`. Integers are
    /// at most `largestInput` (the planner bounds them by the session's value count, whose lists `ends`
    /// points to; the others point to the first list): `(value − 1) & 15` picks the list, which keeps
    /// memory safe whatever the integers, since no list can receive more than a window's inputs.
    @inline(__always)
    private static func gather(_ integers: UnsafePointer<UInt16>, count: Int, firstOffset: Int, step: Int,
                               ends: UnsafeMutablePointer<UnsafeMutablePointer<UInt16>>) {
        // Wrapping arithmetic: offsets within the layer's weights, no overflow checks in the loop.
        var offset = UInt16(truncatingIfNeeded: firstOffset)
        let increment = UInt16(truncatingIfNeeded: step)
        for index in 0..<count {
            let integer = Int(integers[index])
            if integer != 0 {
                let end = ends + ((integer &- 1) & (largestInput &- 1))
                let slot = end.pointee
                slot.pointee = offset
                end.pointee = slot + 1
            }
            offset &+= increment
        }
    }

    /// The output pixel `outputPixel` from its window's lists: sixteen output channels at a time, a run's
    /// sums in registers.
    @inline(__always)
    private static func accumulate(_ arguments: KernelArguments, values: Int, lists: UnsafeMutablePointer<UInt16>,
                                   ends: UnsafeMutablePointer<UnsafeMutablePointer<UInt16>>, sums sumStorage: UnsafeMutablePointer<Int32>,
                                   outputPixel: Int) {
        let g = arguments.geometry
        let weights = arguments.integerWeights!
        let output = arguments.output + outputPixel * g.outputChannels
        let capacity = fanIn(g)
        for channel in stride(from: 0, to: g.outputChannels, by: 16) {
            let chunk = weights + channel
            let sums = CountSums(sumStorage)
            for value in 1...values {
                var entry = UnsafePointer(lists + (value &- 1) &* capacity)
                let end = UnsafePointer(ends[value &- 1])
                while entry < end {
                    let runEnd = min(end, entry + inputsPerRun)
                    var run = CountSums.Run()
                    repeat {
                        run.add(chunk + Int(truncatingIfNeeded: entry.pointee) &* 8)
                        entry += 1
                    } while entry < runEnd
                    sums.add(run, times: Int32(truncatingIfNeeded: value))
                }
            }
            IntegerArithmetic.outputs(UnsafePointer(sumStorage), channels: channel..<channel + 16, into: output, arguments)
        }
    }
}
