import GNKernelInterface

extension Linear {
    /// The kernel for few rows (samples and steps; fewer than a tile's pixels) of a layer of 64 outputs or
    /// more, which reads the weights of the nonzero inputs only. Its input is mostly a neuron layer's
    /// output, in which most neurons are silent (VGG-16's classifier reads 50–85% zeros), and the layer's
    /// weights come from memory: `blocked` and `rowsTogether` stream every row of weights, the memory's
    /// prefetchers fetching those of zero inputs too, so their time is that of the whole matrix whatever
    /// the zeros. This kernel marks the inputs that are nonzero in any of a task's rows first, one bit
    /// each, then reads their rows of weights alone, once for all its rows, and asks for the rows of the
    /// marked inputs `Gather.distance` ahead (`prefetchLine`), so that the memory brings in only what
    /// the sums need. When more than `Gather.densestEighths` eighths of the inputs are marked, it runs
    /// `blocked` (one row) or `rowsTogether` instead, faster over weights that are nearly all read.
    ///
    /// A task computes a slice of `Gather.runsPerSlice` runs of 64 outputs of up to `R` rows (1, 2 or 4),
    /// its sums in scratch. The terms and their order are those of `blocked` (one row: zero inputs left
    /// out) and `rowsTogether` (an input left out when it is zero in all the rows), so the results are
    /// their bits (a last task of fewer rows, which `rowsTogether` shifts back, at most in the sign of a
    /// zero).
    enum Gather {
        /// Runs of 64 outputs per task.
        static let runsPerSlice = 4
        /// Vectors of 16 outputs per task and row (the capacity of `gather`'s `columns`).
        static let vectors = 4 * runsPerSlice
        /// How many marked inputs ahead the kernel asks for rows of weights.
        static let distance = 8
        /// The largest share of marked inputs, in eighths, for which the kernel gathers rather than
        /// streams.
        static let densestEighths = 6

        /// The floats of a task's group sums, block sums and totals, for tasks of `rows` rows (`vectors`
        /// per row each).
        static func sumFloats(rows: Int) -> Int { 16 * 3 * vectors * rows }
        /// The floats of the scratch of the kernel it streams with (`blocked`, `rowsTogether`).
        static func streamingFloats(rows: Int) -> Int { BlockedScratch.floats(vectors: rows == 1 ? 4 : 2 * rows * 4, narrow: false) }
        /// The scratch of a task: the sums, the streaming kernel's scratch, then one bit per input, 64 to
        /// a word (a linear layer's block of the summation order is one word: `SummationOrder`, 64
        /// inputs a block).
        static func scratchFloats(inputCount: Int, rows: Int) -> Int {
            sumFloats(rows: rows) + streamingFloats(rows: rows) + 2 * words(inputCount: inputCount)
        }
        /// The words of the marks.
        static func words(inputCount: Int) -> Int { (inputCount + 63) / 64 }
    }

    /// The marked inputs of a task in ascending order, read from their marks (one bit per input): the
    /// inputs whose rows of weights the kernel asks for ahead.
    struct MarkedInputs {
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

        /// The next marked input, or nil after the last.
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

    /// The gathering kernel's choice for a query of `rows` rows (fewer than a tile's pixels) and 64
    /// outputs or more: tasks of 1 row, or of 2 or 4 as `rowsTogether`'s.
    static func gatherChoice(_ query: KernelQuery, rows: Int) -> KernelChoice {
        let g = query.geometry
        let runs = (g.outputChannels + 63) / 64
        let slices = (runs + Gather.runsPerSlice - 1) / Gather.runsPerSlice
        let together = rows >= 4 ? 4 : rows >= 2 ? 2 : 1
        let function: TaskFunction
        switch together {
        case 4: function = { job, worker, begin, end in Linear.runGather(TileShape<4, 4>.self, job, worker: worker, tasks: begin..<end) }
        case 2: function = { job, worker, begin, end in Linear.runGather(TileShape<2, 4>.self, job, worker: worker, tasks: begin..<end) }
        default: function = { job, worker, begin, end in Linear.runGather(TileShape<1, 4>.self, job, worker: worker, tasks: begin..<end) }
        }
        // Item-major: a thread's consecutive tasks are the slices of the same rows, whose marks it keeps.
        return KernelChoice(function: function,
                            split: TaskSplit(blocks: slices, itemsPerSample: query.steps, itemsPerTask: together,
                                             interleavesBlocks: true),
                            scratchFloats: Gather.scratchFloats(inputCount: g.inputChannels, rows: together),
                            name: together == 4 ? "linear.gather4x256" : together == 2 ? "linear.gather2x256" : "linear.gather1x256")
    }

    /// Runs `tasks` of a call whose job is `KernelArguments` with `gather`, tasks of up to `R` rows: marks
    /// a task's inputs when its rows differ from the last task's, then computes its slice.
    private static func runGather<let R: Int>(_ shape: TileShape<R, 4>.Type, _ job: UnsafeRawPointer, worker: Int,
                                              tasks: Range<Int>) {
        let arguments = job.load(as: KernelArguments.self)
        let g = arguments.geometry
        let inputCount = g.inputChannels, outputCount = g.outputChannels
        let runs = (outputCount + 63) / 64
        let scratch = arguments.scratch(of: worker)
        let streaming = scratch + Gather.sumFloats(rows: R)
        let marks = UnsafeMutableRawPointer(streaming + Gather.streamingFloats(rows: R))
        var markedRows = -1..<(-1), markedCount = 0
        arguments.forEachTask(tasks) { slice, rows in
            if rows != markedRows {
                markedCount = mark(rows: rows, input: arguments.input, inputCount: inputCount, into: marks)
                markedRows = rows
            }
            let sliceRuns = slice * Gather.runsPerSlice..<min(runs, (slice + 1) * Gather.runsPerSlice)
            if 8 * markedCount <= Gather.densestEighths * inputCount {
                gather(g, runs: sliceRuns, rows: rows, input: arguments.input, marks: UnsafeRawPointer(marks),
                       weights: arguments.weights!, layout: arguments.weightLayout, bias: arguments.bias,
                       output: arguments.output, scratch: scratch)
            } else if R > 1 && rows.count == R {
                for run in sliceRuns {
                    rowsTogether(TileShape<R, 4>.self, g, outputRun: run, rows: rows.lowerBound, own: rows, input: arguments.input,
                                 weights: arguments.weights!, layout: arguments.weightLayout, bias: arguments.bias,
                                 output: arguments.output, scratch: streaming)
                }
            } else {
                for row in rows {
                    blocked(OutputRun<4>.self, g, items: row * runs + sliceRuns.lowerBound..<row * runs + sliceRuns.upperBound,
                            input: arguments.input, weights: arguments.weights!, layout: arguments.weightLayout,
                            bias: arguments.bias, narrow: nil, output: arguments.output, scratch: streaming)
                }
            }
        }
    }

    /// Writes the marks of `rows`: bit `i % 64` of word `i / 64` is set when input `i` is nonzero in
    /// any of them. Returns how many are set. Branch-free: bit by bit, as a select.
    private static func mark(rows: Range<Int>, input: UnsafePointer<Float>, inputCount: Int,
                             into marks: UnsafeMutableRawPointer) -> Int {
        var count = 0
        for word in 0..<Gather.words(inputCount: inputCount) {
            let inputs = word * 64..<min(inputCount, word * 64 + 64)
            var bits: UInt64 = 0
            for row in rows {
                let x = input + row * inputCount
                var bit: UInt64 = 1
                for index in inputs {
                    bits |= x[index] != 0 ? bit : 0
                    bit = bit &<< 1
                }
            }
            marks.storeBytes(of: bits, toByteOffset: 8 * word, as: UInt64.self)
            count += bits.nonzeroBitCount
        }
        return count
    }

    /// Computes the outputs of `runs` (runs of 64 outputs; a last, partial one shifted back to end at the
    /// last output, `ChannelBlock`) of `rows` (at most `Gather.vectors`·16 floats of sums each), whose
    /// marked inputs are those of `marks`. The block sums, group sums and totals live in `scratch`
    /// (`Gather.scratchFloats`), each vector of weights a row of `layout` away from the last. Unsafe
    /// pointers and SIMD on purpose: the hot loop.
    private static func gather(_ g: WindowGeometry, runs: Range<Int>, rows: Range<Int>, input: UnsafePointer<Float>,
                               marks: UnsafeRawPointer, weights: UnsafePointer<Float>, layout: WeightLayout,
                               bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
                               scratch: UnsafeMutablePointer<Float>) {
        let inputCount = g.inputChannels, outputCount = g.outputChannels
        let vectorCount = 4 * runs.count, rowCount = rows.count
        // Row r's vector v at `16 * (r * Gather.vectors + v)` of each.
        let rowFloats = 16 * Gather.vectors
        let groups = scratch, sums = scratch + rowFloats * rowCount, totals = scratch + 2 * rowFloats * rowCount
        // Each vector's weights of input 0 (16: `Gather.vectors`).
        var columns = InlineArray<16, UnsafePointer<Float>>(repeating: weights)
        for run in runs {
            let position = run - runs.lowerBound
            let outputs = ChannelBlock(run, lanes: 64, channels: outputCount)
            for vector in 0..<4 {
                let column = position * 4 + vector
                columns[column] = weights + layout.offset(channel: outputs.first + 16 * vector, tap: 0)
                let total = bias.map { Vector.load($0 + outputs.first + 16 * vector) } ?? Vector()
                for row in 0..<rowCount { total.store(totals + rowFloats * row + 16 * column) }
            }
        }
        let order = SummationOrder(taps: 1, channels: inputCount)
        let stride = layout.channelStride
        let x = input + rows.lowerBound * inputCount
        // The marked inputs `distance` ahead, whose rows of weights are asked for.
        var ahead = MarkedInputs(marks: marks, words: order.count)
        var aheadIndex: Int? = nil
        for _ in 0..<Gather.distance { aheadIndex = ahead.next() }
        for block in 0..<order.count {
            // A block is 64 inputs (or all of them, when fewer): one word of marks.
            for row in 0..<rowCount {
                for column in 0..<vectorCount { Vector().store(sums + rowFloats * row + 16 * column) }
            }
            var bits = marks.load(fromByteOffset: 8 * block, as: UInt64.self)
            while bits != 0 {
                let index = block * 64 + bits.trailingZeroBitCount
                bits &= bits &- 1
                if let aheadIndex {
                    for column in 0..<vectorCount { prefetchLine(columns[column] + aheadIndex &* stride) }
                }
                aheadIndex = ahead.next()
                var broadcasts = InlineArray<4, Vector>(repeating: Vector())
                for row in 0..<rowCount { broadcasts[row] = Vector(repeating: x[row * inputCount + index]) }
                for column in 0..<vectorCount {
                    let rowWeights = Vector.load(columns[column] + index &* stride)
                    for row in 0..<rowCount {
                        let sum = sums + rowFloats * row + 16 * column
                        multiplyAdd(Vector.load(sum), broadcasts[row], rowWeights).store(sum)
                    }
                }
            }
            let starts = order.startsGroup(block), ends = order.endsGroup(block)
            for row in 0..<rowCount {
                for column in 0..<vectorCount {
                    let offset = rowFloats * row + 16 * column
                    let group = starts ? Vector.load(sums + offset) : Vector.load(groups + offset) + Vector.load(sums + offset)
                    group.store(groups + offset)
                    if ends { (Vector.load(totals + offset) + group).store(totals + offset) }
                }
            }
        }
        for row in 0..<rowCount {
            let out = output + (rows.lowerBound + row) * outputCount
            for run in runs {
                let position = run - runs.lowerBound
                let outputs = ChannelBlock(run, lanes: 64, channels: outputCount)
                let runTotals = totals + rowFloats * row + 64 * position
                if outputs.isShifted {
                    outputs.copyOut(1, from: runTotals, to: out, channels: outputCount)
                } else {
                    (out + outputs.first).update(from: runTotals, count: 64)
                }
            }
        }
    }
}
