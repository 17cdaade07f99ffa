/// A function a session calls right after each layer runs: `(context, layer, step, output, count)`,
/// with the layer's output for every sample of the run, channels-last (`[sample][h][w][c]`). The
/// pointer is valid only during the call. A C function pointer, so that observing allocates nothing.
public typealias LayerObserverFunction = @convention(c) (
    _ context: UnsafeMutableRawPointer?, _ layer: Int, _ step: Int, _ output: UnsafePointer<Float>?, _ count: Int
) -> Void

/// An observer of a session's layers: a function and the context it is called with.
public struct LayerObserver {
    /// Called after each layer, with `context`.
    public var function: LayerObserverFunction
    /// Passed to `function` unchanged; the caller keeps it alive.
    public var context: UnsafeMutableRawPointer?

    /// An observer calling `function` with `context`.
    public init(function: LayerObserverFunction, context: UnsafeMutableRawPointer?) {
        self.function = function
        self.context = context
    }
}

/// A session of the core: runs one model under fixed options in one arena. A value type over memory
/// it does not own — the model bytes and the arena — so it never allocates; the host layer owns both.
///
/// One session is used by one thread at a time. Several sessions may share one model.
public struct Session {
    /// The model this session runs.
    let model: ModelView
    /// Where everything lies in the arena.
    let layout: ArenaLayout
    /// The neuron kind the QCFS layers run as.
    let neuron: NeuronKind
    /// The most samples one run may take.
    let batch: Int
    /// The arena: `layout.totalBytes` bytes, 64-byte aligned, owned by the caller.
    let arena: UnsafeMutableRawPointer
    /// Samples of the last successful run; 0 before the first.
    private(set) var lastRunSamples = 0
    /// Sees every layer's output during runs (for analysis and tests); nil by default, and free then.
    public var observer: LayerObserver?
    /// The threads layers are spread over (nil: the calling thread only).
    public private(set) var workers: Workers?
    /// The most workers the plan has scratch memory for.
    public let threads: Int
    /// Whether every layer computes all steps before the next layer runs.
    let layerByLayer: Bool

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
        self.model = model
        self.layout = layout
        self.neuron = options.neuron
        self.batch = options.batch
        self.arena = base
        self.threads = options.threads
        self.layerByLayer = options.neuron != .ann && options.computesLayerByLayer
    }

    /// Spreads later runs over `workers` (nil: the calling thread only). Their count must not exceed
    /// the `threads` the session was planned for, whose scratch memory they use.
    public mutating func setWorkers(_ workers: Workers?) throws(GNError) {
        if let workers, workers.count < 1 || workers.count > threads {
            throw GNError(.invalidOption, "more workers than the session was planned for", expected: threads, actual: workers.count)
        }
        self.workers = workers.flatMap { $0.count > 1 ? $0 : nil }
    }

    /// Time steps a run computes: T, or 1 in ANN mode.
    public var steps: Int { layout.steps }

    /// Number of floats in one input sample.
    var inputElements: Int { model.inputShape.elementCount }

    /// Number of floats in one output sample.
    var outputElements: Int { model.outputShape.elementCount }

    /// Runs `samples` samples: `input` holds `samples × C × H × W` floats (NCHW), `output` receives
    /// `samples × output elements` floats (NCHW), the mean of the last layer over the session's steps.
    /// Nothing is written to `output`, and no state changes, unless the run succeeds.
    public mutating func run(input: UnsafeBufferPointer<Float>, samples: Int,
                             output: UnsafeMutableBufferPointer<Float>) throws(GNError) {
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
        for index in 0..<input.count where !input[index].isFinite {
            throw GNError(.invalidInput, "input holds NaN or infinity", actual: index)
        }

        let inputShape = model.inputShape
        Layout.channelsLast(inputBase, into: floats(at: layout.inputOffset), batch: samples,
                            channels: inputShape.channels, pixels: inputShape.height * inputShape.width)
        resetState(samples: samples)
        // Without an observer (which must see every layer's output), an add read only by the neuron
        // layer after it is computed by that layer.
        let fusing = observer == nil
        if layerByLayer {
            for index in 0..<model.layerCount where !(fusing && plans[index].isFusedIntoNeuron) {
                execute(index, samples: samples)
                if let observer {
                    let plan = plans[index]
                    let slice = samples * plan.layer.output.elementCount
                    for step in 0..<plan.slices {
                        observer.function(observer.context, index, step,
                                          UnsafePointer(floats(at: plan.outputOffset)) + step * slice, slice)
                    }
                }
            }
            let last = plans[model.layerCount - 1]
            for step in 0..<layout.steps {
                accumulateOutput(step: step, samples: samples, slice: last.slices == 1 ? 0 : step)
            }
        } else {
            for step in 0..<layout.steps {
                for index in 0..<model.layerCount
                where (step == 0 || !plans[index].isStatic) && !(fusing && plans[index].isFusedIntoNeuron) {
                    execute(index, samples: samples)
                    if let observer {
                        let plan = plans[index]
                        observer.function(observer.context, index, step, UnsafePointer(floats(at: plan.outputOffset)),
                                          samples * plan.layer.output.elementCount)
                    }
                }
                accumulateOutput(step: step, samples: samples, slice: 0)
            }
        }
        let outputShape = model.outputShape
        Layout.channelsFirst(floats(at: layout.outputSumOffset), into: outputBase, batch: samples,
                             channels: outputShape.channels, pixels: outputShape.height * outputShape.width,
                             dividedBy: Float(layout.steps))
        lastRunSamples = samples
    }

    /// Copies the running prediction of every step of the last run, `[step][sample]`, into
    /// `predictions`, which must hold exactly `steps × samples` values.
    public func predictions(into predictions: UnsafeMutableBufferPointer<Int32>) throws(GNError) {
        guard lastRunSamples > 0 else { throw GNError(.noResult, "the session has not run yet") }
        let count = layout.steps * lastRunSamples
        guard predictions.count == count, let target = predictions.baseAddress else {
            throw GNError(.sizeMismatch, "predictions must hold steps x samples values", expected: count, actual: predictions.count)
        }
        target.update(from: int32s(at: layout.predictionsOffset), count: count)
    }

    // MARK: - Execution

    private var plans: UnsafeMutablePointer<LayerPlan> {
        arena.assumingMemoryBound(to: LayerPlan.self)
    }

    @inline(__always) private func floats(at offset: Int) -> UnsafeMutablePointer<Float> {
        (arena + offset).assumingMemoryBound(to: Float.self)
    }

    @inline(__always) private func int32s(at offset: Int) -> UnsafeMutablePointer<Int32> {
        (arena + offset).assumingMemoryBound(to: Int32.self)
    }

    /// Zeroes the output sum and sets every membrane potential to its initial value.
    private func resetState(samples: Int) {
        floats(at: layout.outputSumOffset).update(repeating: 0, count: samples * outputElements)
        // Layer by layer, each neuron layer resets its potentials when it runs.
        guard neuron != .ann && !layerByLayer else { return }
        for index in 0..<model.layerCount where plans[index].membraneOffset >= 0 {
            let plan = plans[index]
            let membrane = floats(at: plan.membraneOffset)
            let count = samples * plan.layer.output.elementCount
            if neuron == .groupNeuron {
                GroupNeuron.reset(membrane, count: count, members: plan.members, threshold: plan.layer.threshold)
            } else {
                IntegrateAndFire.reset(membrane, count: count, threshold: plan.layer.threshold)
            }
        }
    }

    /// Adds step `slice` of the last layer's output to the running sum and records each sample's
    /// running prediction for `step`.
    private func accumulateOutput(step: Int, samples: Int, slice: Int) {
        let last = plans[model.layerCount - 1]
        let shape = last.layer.output
        let values = floats(at: last.outputOffset) + slice * samples * outputElements
        let sum = floats(at: layout.outputSumOffset)
        for index in 0..<samples * outputElements { sum[index] += values[index] }
        let predictions = int32s(at: layout.predictionsOffset + step * samples * 4)
        let pixels = shape.height * shape.width
        for sample in 0..<samples {
            // The argmax in NCHW order (channel-major), the order the caller sees; first on ties.
            let scores = sum + sample * outputElements
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
            predictions[sample] = Int32(truncatingIfNeeded: best)
        }
    }

    /// Runs one layer for `samples` samples, on the workers when there are several.
    private func execute(_ index: Int, samples: Int) {
        let plan = plans[index]
        let fusedAdd = observer == nil && plan.fusedAdd >= 0 ? plans[plan.fusedAdd] : nil
        let job = LayerJob(plan: plan, fusedAdd: fusedAdd, inputShape: model.shape(ofTensor: plan.layer.inputA), neuron: neuron,
                           samples: samples, resetsNeurons: layerByLayer, arena: arena, scratchOffset: layout.scratchOffset,
                           scratchStride: layout.scratchStride)
        let tasks = job.taskCount
        if tasks == 0 { return }
        if let workers, tasks > 1 {
            withUnsafePointer(to: job) { workers.dispatch(workers.context, UnsafeRawPointer($0), LayerJob.entry, tasks) }
        } else {
            job.run(worker: 0, tasks: 0..<tasks)
        }
    }
}
