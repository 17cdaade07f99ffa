import GNKernelInterface

extension Linear {
    /// The matrix-vector kernel for one row (a sample at one step) of a layer of 64 outputs or more,
    /// which reads the weights of the nonzero inputs only. Its input is mostly a neuron layer's output,
    /// in which most neurons are silent (VGG-16's classifier reads 50–75% zeros), and the layer's weights
    /// come from memory: `blocked` streams every row of weights, the memory's prefetchers fetching those
    /// of zero inputs too, so its time is that of the whole matrix whatever the zeros. This kernel marks
    /// the nonzero inputs first, one bit each, then reads their rows alone and asks for the rows of the
    /// nonzero inputs `Gather.distance` ahead (`prefetchLine`), so that the memory brings in only what
    /// the sum needs. When more than `Gather.densestEighths` eighths of the inputs are nonzero, it runs
    /// `blocked` instead, faster over rows that are nearly all read.
    ///
    /// A task computes a slice of `Gather.runsPerSlice` runs of 64 outputs, its sums in scratch. The
    /// terms and their order are `blocked`'s (`SummationOrder`, zero inputs left out), so the results
    /// are its bits.
    enum Gather {
        /// Runs of 64 outputs per task.
        static let runsPerSlice = 4
        /// Vectors of 16 outputs per task.
        static let vectors = 4 * runsPerSlice
        /// How many nonzero inputs ahead the kernel asks for rows of weights.
        static let distance = 8
        /// The largest share of nonzero inputs, in eighths, for which the kernel gathers rather than
        /// streams.
        static let densestEighths = 6

        /// The floats of scratch before the marks: the group sums, the block sums and the totals
        /// (`vectors` each), then `blocked`'s scratch.
        static let sumFloats = 16 * 3 * vectors + BlockedScratch.floats(vectors: 4, narrow: false)
        /// The scratch of a task: the sums, then one bit per input, 64 to a word (a linear layer's block
        /// of the summation order is one word: `SummationOrder`, 64 inputs a block).
        static func scratchFloats(inputCount: Int) -> Int { sumFloats + 2 * words(inputCount: inputCount) }
        /// The words of the marks.
        static func words(inputCount: Int) -> Int { (inputCount + 63) / 64 }
    }

    /// The nonzero inputs of a row in ascending order, read from their marks (one bit per input): the
    /// inputs whose rows of weights the kernel asks for ahead.
    struct NonzeroInputs {
        let marks: UnsafeRawPointer
        let words: Int
        /// The word being read, and its bits not read yet.
        var word = 0
        var bits: UInt64

        init(marks: UnsafeRawPointer, words: Int) {
            self.marks = marks
            self.words = words
            bits = marks.load(as: UInt64.self)
        }

        /// The next nonzero input, or nil after the last.
        @inline(__always)
        mutating func next() -> Int? {
            while bits == 0 {
                word += 1
                guard word < words else { return nil }
                bits = marks.load(fromByteOffset: 8 * word, as: UInt64.self)
            }
            let index = word * 64 + bits.trailingZeroBitCount
            bits &= bits &- 1
            return index
        }
    }

    /// The gathering kernel's choice for a query of one row and 64 outputs or more.
    static func gatherChoice(_ query: KernelQuery) -> KernelChoice {
        let g = query.geometry
        let runs = (g.outputChannels + 63) / 64
        let slices = (runs + Gather.runsPerSlice - 1) / Gather.runsPerSlice
        return KernelChoice(function: { job, worker, begin, end in Linear.runGather(job, worker: worker, tasks: begin..<end) },
                            split: TaskSplit(itemsPerSample: query.steps * slices, itemsPerTask: 1),
                            scratchFloats: Gather.scratchFloats(inputCount: g.inputChannels), name: "linear.gather")
    }

    /// Runs `tasks` of a call whose job is `KernelArguments` with `gather`: marks each row's nonzero
    /// inputs once per call, then computes the tasks' slices.
    private static func runGather(_ job: UnsafeRawPointer, worker: Int, tasks: Range<Int>) {
        let arguments = job.load(as: KernelArguments.self)
        let g = arguments.geometry
        let inputCount = g.inputChannels, outputCount = g.outputChannels
        let runs = (outputCount + 63) / 64
        let slices = (runs + Gather.runsPerSlice - 1) / Gather.runsPerSlice
        let scratch = arguments.scratch(of: worker)
        let marks = UnsafeMutableRawPointer(scratch + Gather.sumFloats)
        let words = Gather.words(inputCount: inputCount)
        var markedRow = -1, nonzeroCount = 0
        arguments.forEachTask(tasks) { _, items in
            for item in items {
                let row = item / slices, slice = item % slices
                let x = arguments.input + row * inputCount
                if row != markedRow {
                    nonzeroCount = 0
                    for word in 0..<words {
                        var bits: UInt64 = 0
                        for index in word * 64..<min(inputCount, word * 64 + 64) {
                            bits |= (x[index] != 0 ? 1 : 0) << UInt64(index - word * 64)
                        }
                        marks.storeBytes(of: bits, toByteOffset: 8 * word, as: UInt64.self)
                        nonzeroCount += bits.nonzeroBitCount
                    }
                    markedRow = row
                }
                let sliceRuns = slice * Gather.runsPerSlice..<min(runs, (slice + 1) * Gather.runsPerSlice)
                if 8 * nonzeroCount > Gather.densestEighths * inputCount {
                    blocked(OutputRun<4>.self, g, items: row * runs + sliceRuns.lowerBound..<row * runs + sliceRuns.upperBound,
                            input: arguments.input, weights: arguments.weights!, layout: arguments.weightLayout,
                            bias: arguments.bias, narrow: nil, output: arguments.output, scratch: scratch + 16 * 3 * Gather.vectors)
                } else {
                    gather(g, runs: sliceRuns, input: x, marks: UnsafeRawPointer(marks),
                           weights: arguments.weights!, layout: arguments.weightLayout, bias: arguments.bias,
                           output: arguments.output + row * outputCount, scratch: scratch)
                }
            }
        }
    }

    /// Computes the outputs of `runs` (runs of 64 outputs; a last, partial one shifted back to end at the
    /// last output, `ChannelBlock`) of one row whose input is `input` and whose nonzero inputs `marks`
    /// marks. The block sums, group sums and totals live in `scratch` (`Gather.scratchFloats`), each
    /// vector of weights a row of `layout` away from the last. Unsafe pointers and SIMD on purpose: the
    /// hot loop.
    private static func gather(_ g: WindowGeometry, runs: Range<Int>, input: UnsafePointer<Float>, marks: UnsafeRawPointer,
                               weights: UnsafePointer<Float>, layout: WeightLayout, bias: UnsafePointer<Float>?,
                               output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let outputCount = g.outputChannels
        let vectorCount = 4 * runs.count
        let groups = scratch, sums = scratch + 16 * Gather.vectors, totals = scratch + 32 * Gather.vectors
        // Each vector's weights of input 0.
        var columns = InlineArray<16, UnsafePointer<Float>>(repeating: weights)
        for (position, run) in runs.enumerated() {
            let outputs = ChannelBlock(run, lanes: 64, channels: outputCount)
            for vector in 0..<4 {
                let column = position * 4 + vector
                columns[column] = weights + layout.offset(channel: outputs.first + 16 * vector, tap: 0)
                let total = bias.map { Vector.load($0 + outputs.first + 16 * vector) } ?? Vector()
                total.store(totals + 16 * column)
            }
        }
        let order = SummationOrder(taps: 1, channels: g.inputChannels)
        let stride = layout.channelStride
        // The nonzero inputs `distance` ahead, whose rows are asked for.
        var ahead = NonzeroInputs(marks: marks, words: order.count)
        var aheadIndex: Int? = nil
        for _ in 0..<Gather.distance { aheadIndex = ahead.next() }
        for block in 0..<order.count {
            // A block is 64 inputs (or all of them, when fewer): one word of marks.
            for column in 0..<vectorCount { Vector().store(sums + 16 * column) }
            var bits = marks.load(fromByteOffset: 8 * block, as: UInt64.self)
            while bits != 0 {
                let index = block * 64 + bits.trailingZeroBitCount
                bits &= bits &- 1
                if let aheadIndex {
                    for column in 0..<vectorCount { prefetchLine(columns[column] + aheadIndex &* stride) }
                }
                aheadIndex = ahead.next()
                let broadcast = Vector(repeating: input[index])
                for column in 0..<vectorCount {
                    let sum = sums + 16 * column
                    multiplyAdd(Vector.load(sum), broadcast, Vector.load(columns[column] + index &* stride)).store(sum)
                }
            }
            let starts = order.startsGroup(block), ends = order.endsGroup(block)
            for column in 0..<vectorCount {
                let group = starts ? Vector.load(sums + 16 * column) : Vector.load(groups + 16 * column) + Vector.load(sums + 16 * column)
                group.store(groups + 16 * column)
                if ends { (Vector.load(totals + 16 * column) + group).store(totals + 16 * column) }
            }
        }
        for (position, run) in runs.enumerated() {
            let outputs = ChannelBlock(run, lanes: 64, channels: outputCount)
            let runTotals = totals + 64 * position
            if outputs.isShifted {
                outputs.copyOut(1, from: runTotals, to: output, channels: outputCount)
            } else {
                (output + outputs.first).update(from: runTotals, count: 64)
            }
        }
    }
}
