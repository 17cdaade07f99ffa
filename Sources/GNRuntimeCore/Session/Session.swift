import GNKernelInterface

/// A session of the core: runs one model under fixed options in one arena. A value type over memory
/// it does not own — the model bytes and the arena — so it never allocates; the host layer owns both.
///
/// A session runs whole inputs (`run`: T steps of one input), or streams (`beginStream`, then `step`
/// with each step's input) for hosts that drive time themselves. One session is used by one thread
/// at a time. Several sessions may share one model.
public struct Session {
    /// The model this session runs.
    package let model: ModelView
    /// Where everything lies in the arena.
    let layout: ArenaLayout
    /// The most samples one run may take.
    let batch: Int
    /// The arena: `layout.totalBytes` bytes, 64-byte aligned, owned by the caller.
    let arena: UnsafeMutableRawPointer
    /// Samples of the last successful run or of the current stream; 0 before the first.
    private(set) var samples = 0
    /// Steps taken by the last run (T), or by the current stream so far.
    public private(set) var stepsTaken = 0
    /// Whether `step` may continue a stream.
    private(set) var isStreaming = false
    /// Sees every layer's output during runs (for analysis and tests); nil by default, and free then.
    public var observer: LayerObserver?
    /// Whether the observer also sees each run's input (`LayerObserver.inputLayer`), laid out
    /// channels-last, before layer 0 runs; false by default.
    public var observesInput = false
    #if !hasFeature(Embedded)
    /// Where later runs add up each layer's time (`setLayerTimes`); nil by default, and free then.
    public private(set) var layerTimes: LayerTimes?
    #endif
    /// The threads layers are spread over (nil: the calling thread only).
    public private(set) var workers: Workers?
    /// The most workers the plan has scratch memory for.
    public let threads: Int
    /// Whether every layer computes all steps before the next layer runs (a convolution in bands and
    /// its neuron layer run together, band by band), as the plan decided.
    var layerByLayer: Bool { layout.computesLayerByLayer }
    /// Whether runs count spikes and synaptic operations.
    public let countsSpikes: Bool
    /// When a run stops a sample early, and with which margin or steps.
    let exitRule: ExitRule
    let exitMargin: Float
    let exitSteps: Int
    /// Multiply-accumulates of one sample on analog values (see `OperationCount`).
    public let analogMultiplyAccumulates: Int

    /// The bytes of scratch memory `arenaBytes` needs to plan a session of `model`.
    public static func scratchBytes(for model: ModelView) -> Int {
        ArenaLayout.planBytes(layerCount: model.layerCount)
    }

    /// The arena bytes a session of `model` under `options` needs. Plans in `scratch`: at least
    /// `scratchBytes(for: model)` bytes, 64-byte aligned, overwritten.
    public static func arenaBytes(model: ModelView, options: SessionOptions,
                                  scratch: UnsafeMutableRawBufferPointer) throws(GNError) -> Int {
        guard let base = scratch.baseAddress, Int(bitPattern: base) % ArenaLayout.alignment == 0 else {
            throw GNError(.misaligned, "scratch must be 64-byte aligned")
        }
        guard scratch.count >= scratchBytes(for: model) else {
            throw GNError(.arenaTooSmall, "scratch is smaller than the plan", expected: scratchBytes(for: model), actual: scratch.count)
        }
        let plans = base.bindMemory(to: LayerPlan.self, capacity: model.layerCount)
        return try Planner.plan(model: model, options: options, into: plans).totalBytes
    }

    /// Plans a session into `arena`, which must be 64-byte aligned and at least as large as
    /// `arenaBytes` says. The arena must outlive the session; its previous contents are ignored.
    public init(model: ModelView, options: SessionOptions, arena: UnsafeMutableRawBufferPointer) throws(GNError) {
        guard let base = arena.baseAddress else {
            throw GNError(.nullPointer, "arena is null")
        }
        guard Int(bitPattern: base) % ArenaLayout.alignment == 0 else {
            throw GNError(.misaligned, "arena must be 64-byte aligned")
        }
        let planBytes = ArenaLayout.planBytes(layerCount: model.layerCount)
        guard arena.count >= planBytes else {
            throw GNError(.arenaTooSmall, "arena is smaller than the session needs", expected: planBytes, actual: arena.count)
        }
        let plans = base.bindMemory(to: LayerPlan.self, capacity: model.layerCount)
        let layout = try Planner.plan(model: model, options: options, into: plans)
        guard arena.count >= layout.totalBytes else {
            throw GNError(.arenaTooSmall, "arena is smaller than the session needs", expected: layout.totalBytes, actual: arena.count)
        }
        if options.countsSpikes {
            let maps = (base + layout.fanOutOffset).assumingMemoryBound(to: Int.self)
            OperationCount.fillFanOut(model: model, plans: plans, maps: UnsafeMutableBufferPointer(start: maps, count: layout.fanOutCount))
        }
        self.model = model
        self.layout = layout
        self.batch = options.batch
        self.arena = base
        self.threads = options.threads
        self.countsSpikes = options.countsSpikes
        self.exitRule = options.effectiveExitRule
        self.exitMargin = options.exitMargin
        self.exitSteps = options.exitSteps
        self.analogMultiplyAccumulates = OperationCount.analogMultiplyAccumulates(model: model, plans: plans)
        packWeights()
    }

    /// Writes, into the arena, the weights of the layers whose kernels read them in an order of their own.
    private func packWeights() {
        for index in 0..<model.layerCount where plans[index].packedWeightsOffset >= 0 {
            guard let kernel = plans[index].kernel?.choice, let pack = kernel.packWeights else { continue }
            var arguments = self.arguments(for: plans[index], kernel: kernel, samples: 0, step: 0)
            withUnsafePointer(to: &arguments) { pack(UnsafeRawPointer($0), arena + plans[index].packedWeightsOffset) }
        }
    }

    /// Spreads later runs over `workers` (nil: the calling thread only). Their count must not exceed
    /// the `threads` the session was planned for, whose scratch memory they use.
    public mutating func setWorkers(_ workers: Workers?) throws(GNError) {
        if let workers, workers.count < 1 || workers.count > threads {
            throw GNError(.invalidOption, "more workers than the session was planned for", expected: threads, actual: workers.count)
        }
        self.workers = workers.flatMap { $0.count > 1 ? $0 : nil }
    }

    #if !hasFeature(Embedded)
    /// Times each layer of later runs and stream steps in `times` (nil: no longer), which must have a
    /// counter for each of the model's layers and each of the session's threads. The times hold
    /// nothing until a run or stream starts.
    public mutating func setLayerTimes(_ times: LayerTimes?) throws(GNError) {
        if let times, times.layerCount != model.layerCount || times.threads < threads {
            throw GNError(.invalidOption, "layer times need a counter per layer and thread",
                          expected: model.layerCount * threads, actual: times.layerCount * times.threads)
        }
        layerTimes = times
        layerTimes?.hasTimes = false
    }
    #endif

    /// Time steps a run computes: T, or 1 in ANN mode.
    public var steps: Int { layout.steps }

    /// Whether layer `index` is a neuron layer that takes the convolution before it band by band, as
    /// a lean session does where that saves memory (`Schedule.lean`); false for an index out of range.
    public func computesInBands(layer index: Int) -> Bool {
        (0..<model.layerCount).contains(index) && plans[index].bandedConvolution >= 0
    }

    /// Number of floats in one input sample.
    var inputElements: Int { model.inputShape.elementCount }

    /// Number of floats in one output sample.
    var outputElements: Int { model.outputShape.elementCount }

    /// Runs `samples` samples: `input` holds `samples × C × H × W` floats (NCHW), `output` receives
    /// `samples × output elements` floats (NCHW), the mean of the last layer over the steps each sample
    /// ran (T, unless the session's exit rule stopped it earlier). Ends any stream. Nothing is written
    /// to `output`, and no state changes, unless the run succeeds.
    public mutating func run(input: UnsafeBufferPointer<Float>, samples: Int,
                             output: UnsafeMutableBufferPointer<Float>) throws(GNError) {
        let (inputBase, outputBase) = try check(input: input, samples: samples, output: output)
        resetState(samples: samples)
        if layerByLayer {
            #if hasFeature(Embedded)
            loadInput(inputBase, samples: samples)
            runLayerByLayer(slots: 0..<samples, place: nil)   // one pass (`Planner.samplesPerPass`)
            #else
            runInPasses(input: inputBase, samples: samples)
            #endif
        } else {
            loadInput(inputBase, samples: samples)
            var active = samples
            for step in 0..<layout.steps {
                computeStep(step, active: active, everyLayer: step == 0)
                accumulateOutput(step: step, slots: 0..<active, slice: 0, place: nil)
                if exitRule != .none && step + 1 < layout.steps {
                    active = stopSettledSamples(after: step, active: active)
                    if active == 0 { break }
                }
            }
        }
        let sampleSteps = int32s(at: layout.sampleStepsOffset)
        let slots = int32s(at: layout.slotSamplesOffset)
        let outputShape = model.outputShape
        for slot in 0..<samples {
            let sample = Int(slots[slot])
            TensorLayout.channelsFirst(floats(at: layout.outputSumOffset) + slot * outputElements,
                                       into: outputBase + sample * outputElements, batch: 1, channels: outputShape.channels,
                                       pixels: outputShape.height * outputShape.width, dividedBy: Float(Int(sampleSteps[sample])))
        }
        stepsTaken = layout.steps
        isStreaming = false
    }

    /// Takes the samples in `slots` through every layer, each layer all its steps before the next (a
    /// convolution in bands with the neuron layer after it, band by band), and adds their last layer's
    /// output to their running sums. Their input is in the arena; each tensor holds their steps, in the
    /// batch's layout (`place` nil: each layer's tasks spread over the workers) or in a pass's.
    func runLayerByLayer(slots: Range<Int>, place: PassPlace?) {
        let count = slots.count
        for index in 0..<model.layerCount where runsAsLayer(index) {
            let plan = plans[index]
            if plan.bandRows > 0 { continue }   // with the neuron layer after it
            if plan.bandedConvolution >= 0 {
                timed(index, place: place) {
                    executeInBands(convolution: plan.bandedConvolution, neuron: index, samples: count, place: place)
                }
                // The convolution's output was never whole in memory.
                for step in 0..<plans[plan.bandedConvolution].steps {
                    layerDidRun(plan.bandedConvolution, step: step, slice: step, slots: slots, place: place)
                }
            } else {
                execute(index, samples: count, step: 0, place: place)
            }
            for step in 0..<plan.steps { layerDidRun(index, step: step, slice: step, slots: slots, place: place) }
            if let neuron = fusedNeuron(of: index) { layerDidRun(neuron, step: 0, slice: 0, slots: slots, place: place) }
        }
        let last = plans[model.layerCount - 1]
        for step in 0..<layout.steps {
            accumulateOutput(step: step, slots: slots, slice: last.steps == 1 ? 0 : step, place: place)
        }
    }

    /// Starts a stream of `samples` samples: every neuron at rest, no step taken. Streams need a
    /// session that computes step by step (`Schedule.stepByStep`, or T = 1, or an ANN session).
    public mutating func beginStream(samples: Int) throws(GNError) {
        guard !layerByLayer else {
            throw GNError(.invalidState, "streaming needs a session that runs step by step (schedule step by step)")
        }
        guard (1...batch).contains(samples) else {
            throw GNError(.sizeMismatch, "sample count must be in 1...batch", expected: batch, actual: samples)
        }
        resetState(samples: samples)
        stepsTaken = 0
        isStreaming = true
    }

    /// Takes the next step of the stream: `input` holds this step's `samples × C × H × W` floats (NCHW),
    /// `output` receives this step's output of the last layer (not averaged), `samples × output
    /// elements` floats. The running prediction of each step is available from `predictions`, as after
    /// a run; fed the same input T times, a stream computes exactly what `run` does. A stream takes at
    /// most T steps; exit rules do not apply to it. Nothing changes unless the step succeeds.
    public mutating func step(input: UnsafeBufferPointer<Float>, output: UnsafeMutableBufferPointer<Float>) throws(GNError) {
        guard isStreaming else { throw GNError(.invalidState, "no stream has begun") }
        guard stepsTaken < layout.steps else {
            throw GNError(.outOfRange, "the stream has taken the session's T steps; begin another", expected: layout.steps, actual: stepsTaken + 1)
        }
        let (inputBase, outputBase) = try check(input: input, samples: samples, output: output)
        let step = stepsTaken
        loadInput(inputBase, samples: samples, step: step)
        computeStep(step, active: samples, everyLayer: true)
        accumulateOutput(step: step, slots: 0..<samples, slice: 0, place: nil)
        let last = plans[model.layerCount - 1]
        let outputShape = model.outputShape
        TensorLayout.channelsFirst(floats(at: last.outputOffset), into: outputBase, batch: samples,
                                   channels: outputShape.channels, pixels: outputShape.height * outputShape.width, dividedBy: 1)
        stepsTaken = step + 1
        int32s(at: layout.sampleStepsOffset).update(repeating: Int32(truncatingIfNeeded: stepsTaken), count: samples)
    }

    /// Copies the running prediction of every step of the last run or of the stream so far,
    /// `[step][sample]`, into `predictions`, which must hold exactly `steps × samples` values (steps
    /// taken: T after a run). A sample an exit rule stopped keeps its last prediction.
    public func predictions(into predictions: UnsafeMutableBufferPointer<Int32>) throws(GNError) {
        try requireResult()
        let count = stepsTaken * samples
        guard predictions.count == count, let target = predictions.baseAddress else {
            throw GNError(.sizeMismatch, "predictions must hold steps x samples values", expected: count, actual: predictions.count)
        }
        target.update(from: int32s(at: layout.predictionsOffset), count: count)
    }

    /// Copies the steps each sample of the last run computed into `steps` (`samples` values): T, or
    /// the step after which the exit rule stopped it; in a stream, the steps taken.
    public func sampleSteps(into steps: UnsafeMutableBufferPointer<Int32>) throws(GNError) {
        try requireResult()
        guard steps.count == samples, let target = steps.baseAddress else {
            throw GNError(.sizeMismatch, "steps must hold one value per sample", expected: samples, actual: steps.count)
        }
        target.update(from: int32s(at: layout.sampleStepsOffset), count: samples)
    }

    /// The widest instruction set the session's kernels use.
    public var instructionSet: InstructionSet {
        var widest = InstructionSet.baseline
        for index in 0..<model.layerCount {
            if let kernel = plans[index].kernel { widest = max(widest, kernel.instructionSet) }
        }
        return widest
    }

    /// The name of the kernel that computes layer `index` and the instruction set it was compiled
    /// for; nil for a layer that computes nothing (a flatten).
    public func kernel(ofLayer index: Int) throws(GNError) -> (name: StaticString, instructionSet: InstructionSet)? {
        try checkLayerIndex(index)
        return plans[index].kernel.map { ($0.choice.name, $0.instructionSet) }
    }

    /// Fails with OUT_OF_RANGE unless `index` is one of the model's layers.
    private func checkLayerIndex(_ index: Int) throws(GNError) {
        guard (0..<model.layerCount).contains(index) else {
            throw GNError(.outOfRange, "layer index is past the last layer", expected: model.layerCount - 1, actual: index)
        }
    }

    #if !hasFeature(Embedded)
    /// Layer `index`'s time in the last run, or in the stream's steps so far, in nanoseconds, summed
    /// over the threads that took passes of samples (`LayerTimes`). OUT_OF_RANGE past the last layer;
    /// INVALID_STATE when the session does not time its layers; NO_RESULT before a run or stream since
    /// it began to.
    public func layerTime(ofLayer index: Int) throws(GNError) -> UInt64 {
        try checkLayerIndex(index)
        guard let layerTimes else { throw GNError(.invalidState, "the session does not time its layers") }
        guard layerTimes.hasTimes else {
            throw GNError(.noResult, "no run or stream has started since the session began to time its layers")
        }
        return layerTimes.nanoseconds(ofLayer: index)
    }
    #endif

    /// Fails unless a run, or a stream's step, has produced something to read.
    func requireResult() throws(GNError) {
        guard samples > 0, stepsTaken > 0 else { throw GNError(.noResult, "the session has not run yet") }
    }

    // MARK: - Execution

    var plans: UnsafeMutablePointer<LayerPlan> {
        arena.assumingMemoryBound(to: LayerPlan.self)
    }

    @inline(__always) func floats(at offset: Int) -> UnsafeMutablePointer<Float> {
        (arena + offset).assumingMemoryBound(to: Float.self)
    }

    @inline(__always) func bytes(at offset: Int) -> UnsafeMutablePointer<UInt8> {
        (arena + offset).assumingMemoryBound(to: UInt8.self)
    }

    @inline(__always) func int32s(at offset: Int) -> UnsafeMutablePointer<Int32> {
        (arena + offset).assumingMemoryBound(to: Int32.self)
    }

    @inline(__always) func ints(at offset: Int) -> UnsafeMutablePointer<Int> {
        (arena + offset).assumingMemoryBound(to: Int.self)
    }

    /// Checks a run's or a step's buffers; returns their base addresses.
    private func check(input: UnsafeBufferPointer<Float>, samples: Int, output: UnsafeMutableBufferPointer<Float>)
        throws(GNError) -> (UnsafePointer<Float>, UnsafeMutablePointer<Float>) {
        guard (1...batch).contains(samples) else {
            throw GNError(.sizeMismatch, "sample count must be in 1...batch", expected: batch, actual: samples)
        }
        guard input.count == samples * inputElements else {
            throw GNError(.sizeMismatch, "input has the wrong number of floats", expected: samples * inputElements, actual: input.count)
        }
        guard output.count == samples * outputElements else {
            throw GNError(.sizeMismatch, "output has the wrong number of floats", expected: samples * outputElements, actual: output.count)
        }
        guard let inputBase = input.baseAddress, let outputBase = output.baseAddress else {
            throw GNError(.nullPointer, "input or output is null")
        }
        if let index = FiniteValues.firstNonFinite(inputBase, count: input.count) {
            throw GNError(.invalidInput, "input holds NaN or infinity", actual: index)
        }
        return (inputBase, outputBase)
    }

    /// Copies `samples` input samples into the arena, channels-last, there from sample `firstSample` on,
    /// and shows them to the observer when it `observesInput`, as step `step`. (A run with an observer
    /// takes one pass: its whole input is loaded at once.)
    func loadInput(_ input: UnsafePointer<Float>, samples: Int, firstSample: Int = 0, step: Int = 0) {
        let shape = model.inputShape
        let target = floats(at: layout.inputOffset) + firstSample * inputElements
        TensorLayout.channelsLast(input, into: target, batch: samples, channels: shape.channels, pixels: shape.height * shape.width)
        if observesInput, let observer {
            observer.function(observer.context, LayerObserver.inputLayer, step, UnsafePointer(target), samples * inputElements)
        }
    }

    /// Starts a run or a stream of `samples` samples: zeroes the output sums and the counts, and puts
    /// sample i in slot i with T steps to run. (Neuron layers set their potentials to their initial
    /// value themselves, at a run's first step.)
    private mutating func resetState(samples: Int) {
        self.samples = samples
        #if !hasFeature(Embedded)
        layerTimes?.start()
        #endif
        floats(at: layout.outputSumOffset).update(repeating: 0, count: samples * outputElements)
        let slots = int32s(at: layout.slotSamplesOffset)
        for slot in 0..<samples { slots[slot] = Int32(truncatingIfNeeded: slot) }
        int32s(at: layout.sampleStepsOffset).update(repeating: Int32(truncatingIfNeeded: layout.steps), count: samples)
        if countsSpikes {
            let count = layout.steps * model.neuronLayerCount * samples
            ints(at: layout.spikeCountsOffset).update(repeating: 0, count: count)
            ints(at: layout.synapticOperationsOffset).update(repeating: 0, count: count)
        }
    }

    /// Computes step `step` for the samples in the first `active` slots, step by step: every layer
    /// when `everyLayer` (the first step of a run; every step of a stream, whose input changes), else
    /// the layers that change over time.
    private func computeStep(_ step: Int, active: Int, everyLayer: Bool) {
        for index in 0..<model.layerCount where (everyLayer || !plans[index].isStatic) && runsAsLayer(index) {
            execute(index, samples: active, step: step, place: nil)
            layerDidRun(index, step: step, slice: 0, slots: 0..<active, place: nil)
            if let neuron = fusedNeuron(of: index) { layerDidRun(neuron, step: step, slice: 0, slots: 0..<active, place: nil) }
        }
    }

    /// Whether layer `index` runs on its own: every layer does, but an add the neuron layer after it
    /// computes itself (`isFusedIntoNeuron`) and a neuron layer a convolution computes
    /// (`isFusedIntoConvolution`) — unless an observer, which must see every layer's output, is set.
    private func runsAsLayer(_ index: Int) -> Bool {
        observer != nil || !(plans[index].isFusedIntoNeuron || plans[index].isFusedIntoConvolution)
    }

    /// The neuron layer that convolution `index` computes in its tasks in this run, or nil (none, or
    /// an observer is set; never on microcontrollers, whose plans fuse nothing: answering nil there
    /// also leaves the fused job's code out of their library).
    private func fusedNeuron(of index: Int) -> Int? {
        #if hasFeature(Embedded)
        return nil
        #else
        return observer == nil && plans[index].fusedNeuron >= 0 ? plans[index].fusedNeuron : nil
        #endif
    }

    /// Shows layer `index`'s output at `step` (step `slice` of the output the layer holds, whose samples
    /// are those of `slots`, placed by `place`) to the observer, and counts its spikes when the session
    /// counts them. An output not held as floats — a convolution computed in bands, integers stored as
    /// bytes — is shown as nil and 0 values.
    @inline(never)  // one copy for every caller: code size on microcontrollers
    private func layerDidRun(_ index: Int, step: Int, slice: Int, slots: Range<Int>, place: PassPlace?) {
        let plan = plans[index]
        let first = slice * slots.count * plan.layer.output.elementCount
        let outputOffset = tensorOffset(plan.outputOffset, pass: plan.passOutputOffset, place)
        if let observer {
            let floatOutput = plan.bandRows > 0 || plan.storesIntegers ? nil : UnsafePointer(floats(at: outputOffset) + first)
            observer.function(observer.context, index, step, floatOutput, floatOutput == nil ? 0 : slots.count * plan.layer.output.elementCount)
        }
        if countsSpikes && plan.neuronIndex >= 0 {
            if plan.storesIntegers {
                recordSpikes(of: index, step: step, slots: slots, integers: UnsafePointer(bytes(at: outputOffset) + first))
            } else {
                recordSpikes(of: index, step: step, slots: slots, output: UnsafePointer(floats(at: outputOffset) + first))
            }
        }
    }

    /// Adds step `slice` of the last layer's output (whose samples are those of `slots`, placed by
    /// `place`) to the running sums of `slots`, and records each one's running prediction for `step`.
    private func accumulateOutput(step: Int, slots: Range<Int>, slice: Int, place: PassPlace?) {
        let last = plans[model.layerCount - 1]
        let shape = last.layer.output
        let values = floats(at: tensorOffset(last.outputOffset, pass: last.passOutputOffset, place)) + slice * slots.count * outputElements
        let sum = floats(at: layout.outputSumOffset) + slots.lowerBound * outputElements
        for index in 0..<slots.count * outputElements { sum[index] += values[index] }
        let predictions = int32s(at: layout.predictionsOffset + step * samples * 4)
        let samplesOfSlots = int32s(at: layout.slotSamplesOffset)
        let pixels = shape.height * shape.width
        for slot in slots {
            // The argmax in NCHW order (channel-major), the order the caller sees; first on ties.
            let scores = sum + (slot - slots.lowerBound) * outputElements
            var best = 0
            var bestScore = scores[0]
            for channel in 0..<shape.channels {
                for pixel in 0..<pixels {
                    let score = scores[pixel * shape.channels + channel]
                    if score > bestScore {
                        bestScore = score
                        best = channel * pixels + pixel
                    }
                }
            }
            predictions[Int(samplesOfSlots[slot])] = Int32(truncatingIfNeeded: best)
        }
    }

    /// Runs `work`, layer `index`'s, on the thread of `place` (nil: the calling thread), adding its time
    /// to the layer's when the session times layers (`layerTimes`).
    @inline(__always)
    private func timed(_ index: Int, place: PassPlace?, _ work: () -> Void) {
        #if hasFeature(Embedded)
        work()
        #else
        guard let layerTimes else { return work() }
        let start = layerTimes.clock()
        work()
        layerTimes.add(since: start, layer: index, thread: place?.worker ?? 0)
        #endif
    }

    /// Runs layer `index` for `samples` samples at step `step` (a layer-by-layer session's layers
    /// compute all their steps in this one call), on the workers when there are several (on the
    /// thread of `place`, in its pass's tensors, when there is a place): the kernel and the task split
    /// its plan records, over the tensors it records, timed when the session times its layers. Nothing
    /// is decided here.
    private func execute(_ index: Int, samples: Int, step: Int, place: PassPlace?) {
        let plan = plans[index]
        guard let kernel = plan.kernel?.choice else { return }
        let arguments = self.arguments(for: plan, kernel: kernel, samples: samples, step: step, place: place)
        guard let neuron = fusedNeuron(of: index), let neuronKernel = plans[neuron].kernel?.choice else {
            timed(index, place: place) { dispatch(kernel.function, arguments, samples: samples, place: place) }
            return
        }
        var neuronArguments = self.arguments(for: plans[neuron], kernel: neuronKernel, samples: samples, step: step, place: place)
        neuronArguments.split = FusedNeuron.neuronSplit(convolution: kernel.split, outputChannels: plan.geometry.outputChannels)
        var job = FusedNeuron(convolution: arguments, neuron: neuronArguments, convolutionFunction: kernel.function,
                              neuronFunction: neuronKernel.function,
                              group: FusedNeuron.group(split: kernel.split, outputChannels: plan.geometry.outputChannels))
        let tasks = kernel.split.tasks(samples: samples)
        #if !hasFeature(Embedded)
        if let layerTimes {
            return runTimed(&job, tasks: tasks, convolution: index, neuron: neuron, place: place, layerTimes: layerTimes)
        }
        #endif
        withUnsafePointer(to: &job) { dispatch(FusedNeuron.run, job: UnsafeRawPointer($0), tasks: tasks, place: place) }
    }

    #if !hasFeature(Embedded)
    /// Runs the fused job `job` of convolution `index` and neuron layer `neuron` (`tasks` tasks, at
    /// `place`), timing each part of each group of tasks on every thread that takes some: the two
    /// layers share the job's time as their tasks did (`LayerTimes.add(since:convolution:neuron:partTimes:thread:)`).
    /// The part times lie on the stack (at most 1 KiB, 64 threads): a timed run allocates nothing.
    private func runTimed(_ job: inout FusedNeuron, tasks: Int, convolution index: Int, neuron: Int,
                          place: PassPlace?, layerTimes: LayerTimes) {
        let start = layerTimes.clock()
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * layerTimes.threads) { buffer in
            buffer.initialize(repeating: 0)
            let partTimes = buffer.baseAddress!
            job.timing = (layerTimes.clock, partTimes)
            withUnsafePointer(to: &job) { dispatch(FusedNeuron.run, job: UnsafeRawPointer($0), tasks: tasks, place: place) }
            layerTimes.add(since: start, convolution: index, neuron: neuron, partTimes: partTimes, thread: place?.worker ?? 0)
        }
    }
    #endif

    /// Runs a convolution and the neuron layer reading it (all their steps) band after band of the
    /// rows the plan records: the convolution writes one band into its buffer, the neuron layer takes
    /// it through every step with the band's potentials (set to their initial value) and writes the
    /// band of its output.
    private func executeInBands(convolution: Int, neuron: Int, samples: Int, place: PassPlace?) {
        let convolutionPlan = plans[convolution], neuronPlan = plans[neuron]
        guard let convolutionKernel = convolutionPlan.kernel?.choice, let neuronKernel = neuronPlan.kernel?.choice else { return }
        let convolutionArguments = arguments(for: convolutionPlan, kernel: convolutionKernel, samples: samples, step: 0, place: place)
        let neuronArguments = arguments(for: neuronPlan, kernel: neuronKernel, samples: samples, step: 0, place: place)
        let height = convolutionPlan.geometry.outputHeight
        for first in stride(from: 0, to: height, by: convolutionPlan.bandRows) {
            let rows = first..<min(height, first + convolutionPlan.bandRows)
            dispatch(convolutionKernel.function, convolutionArguments.convolutionBand(rows: rows, output: convolutionArguments.output),
                     samples: samples, place: place)
            dispatch(neuronKernel.function, neuronArguments.neuronBand(rows: rows, input: UnsafePointer(convolutionArguments.output)),
                     samples: samples, place: place)
        }
    }

    /// Runs every task of `arguments.split` over `samples` samples with `function`, on the workers
    /// when there are several (on the thread of `place`, when there is one).
    private func dispatch(_ function: TaskFunction, _ arguments: KernelArguments, samples: Int, place: PassPlace?) {
        var arguments = arguments
        let tasks = arguments.split.tasks(samples: samples)
        withUnsafePointer(to: &arguments) { dispatch(function, job: UnsafeRawPointer($0), tasks: tasks, place: place) }
    }

    /// Runs tasks `0 ..< tasks` of `job` with `function`: on the thread of `place`, with its scratch,
    /// when there is a place; else on the workers when there are several.
    private func dispatch(_ function: TaskFunction, job: UnsafeRawPointer, tasks: Int, place: PassPlace?) {
        if let place {
            function(job, place.worker, 0, tasks)
        } else if let workers, tasks > 1 {
            workers.dispatch(workers.context, job, function, tasks)
        } else {
            function(job, 0, 0, tasks)
        }
    }

    /// What `kernel`, the kernel of the layer `plan` describes, reads and writes for `samples` samples
    /// at `step`, in the batch's tensors (`place` nil) or in those of a pass.
    @inline(never)  // one copy for every caller: code size on microcontrollers
    private func arguments(for plan: LayerPlan, kernel: KernelChoice, samples: Int, step: Int,
                           place: PassPlace? = nil) -> KernelArguments {
        // A neuron layer that computes the add before it reads that add's two inputs.
        let firstInput = plan.fusedAdd >= 0 && !runsAsLayer(plan.fusedAdd) ? plans[plan.fusedAdd] : plan
        let inputA = tensorOffset(firstInput.inputAOffset, pass: firstInput.passInputAOffset, place)
        let inputB = tensorOffset(firstInput.inputBOffset, pass: firstInput.passInputBOffset, place)
        var arguments = KernelArguments(
            samples: samples, steps: plan.steps, geometry: plan.geometry,
            input: UnsafePointer(floats(at: inputA)), inputSteps: firstInput.inputASteps,
            secondInput: inputB < 0 ? nil : UnsafePointer(floats(at: inputB)),
            secondInputSteps: firstInput.inputBSteps, output: floats(at: tensorOffset(plan.outputOffset, pass: plan.passOutputOffset, place)),
            weights: plan.layer.weights, bias: plan.layer.bias, weightLayout: plan.weightLayout,
            membrane: plan.membraneOffset < 0 ? nil : floats(at: plan.membraneOffset), neuron: plan.neuron,
            resetsMembranes: layerByLayer || step == 0, scratch: floats(at: layout.scratchOffset),
            scratchStride: layout.scratchStride / MemoryLayout<Float>.stride,
            split: kernel.split,
            integerWeights: plan.layer.integerWeights, weightScales: plan.layer.weightScales,
            inputScale: plan.integerInput?.scale ?? 0, largestInputInteger: plan.integerInput?.largest ?? 0,
            packedWeights: plan.packedWeightsOffset < 0 ? nil : UnsafeRawPointer(arena + plan.packedWeightsOffset))
        arguments.inputHoldsIntegers = firstInput.inputHoldsIntegers
        arguments.outputHoldsIntegers = plan.storesIntegers
        arguments.potentialsInScratch = plan.potentialsInScratch
        return arguments
    }
}
