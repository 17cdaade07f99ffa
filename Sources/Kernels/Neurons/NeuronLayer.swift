import GNKernelInterface

/// The update rule of one neuron kind, over `count` neurons of one step. A new neuron kind is an enum
/// conforming to this, registered in `KernelCatalog` for its `NeuronKind`.
protocol NeuronUpdate {
    /// Sets `count` membrane potentials to their value at rest.
    static func reset(_ membrane: UnsafeMutablePointer<Float>, count: Int, _ neuron: NeuronParameters)

    /// One time step of `count` neurons: integrates `input`, or `input + second` when there is a second
    /// input (the add a neuron layer computes, `Elementwise.add`), into `membrane` (nil for a neuron
    /// without state), writes each neuron's output (spikes × their value) to `output`, which may be
    /// `input` or `second`.
    static func step(_ input: UnsafePointer<Float>, adding second: UnsafePointer<Float>?, membrane: UnsafeMutablePointer<Float>?,
                     into output: UnsafeMutablePointer<Float>, count: Int, _ neuron: NeuronParameters)

    /// `step`, writing each neuron's integer (its spikes; a QCFS level) as a byte instead: the
    /// outputs a lean session stores as integers (`KernelArguments.outputHoldsIntegers`).
    static func stepCounting(_ input: UnsafePointer<Float>, adding second: UnsafePointer<Float>?,
                             membrane: UnsafeMutablePointer<Float>?, into output: UnsafeMutablePointer<UInt8>, count: Int,
                             _ neuron: NeuronParameters)

    /// The one step of neurons at rest whose potentials are not kept after it (a call of one step whose
    /// potentials live in scratch, or of a rule that keeps none): the outputs of `reset` then `step`,
    /// bit for bit, over `input`, or over `input + second` (the add a neuron layer computes,
    /// `Elementwise.add`), with the potentials and the sums never written. Computes the first neurons,
    /// in whole vectors; returns how many (none where a rule has no such path: the caller computes the
    /// rest the general way).
    static func stepFromRest(_ input: UnsafePointer<Float>, adding second: UnsafePointer<Float>?,
                             into output: UnsafeMutablePointer<Float>, count: Int, _ neuron: NeuronParameters) -> Int
}

extension UnsafePointer where Pointee == Float {
    /// The float at `index`, plus the one at `second[index]` when given: one neuron's sum, the scalar
    /// form of `SIMD16.load(_:adding:)`.
    @inline(__always)
    func value(at index: Int, adding second: UnsafePointer<Float>?) -> Float {
        guard let second else { return self[index] }
        return self[index] + second[index]
    }
}

extension SIMD16 where Scalar == Float {
    /// The 16 floats at `input`, plus the 16 at `second` when given: the sum a neuron layer that computes
    /// an add reads (as `Elementwise.add`, `input[i] + second[i]`).
    @inline(__always)
    static func load(_ input: UnsafePointer<Float>, adding second: UnsafePointer<Float>?) -> Self {
        let value = load(input)
        guard let second else { return value }
        return value + load(second)
    }
}

/// What a neuron layer writes for each neuron: a float, the spikes times their value, or a byte, the
/// spikes themselves.
protocol NeuronOutput {
    /// The output of `spikes` spikes (at most 255 for a byte) worth `unit` each.
    init(spikes: Int, unit: Float)
    /// The output of no spike.
    static var noSpike: Self { get }
}

extension Float: NeuronOutput {
    @inline(__always)
    init(spikes: Int, unit: Float) { self = Float(spikes) * unit }
    @inline(__always)
    static var noSpike: Float { 0 }
}

extension UInt8: NeuronOutput {
    @inline(__always)
    init(spikes: Int, unit: Float) { self = UInt8(truncatingIfNeeded: spikes) }
    @inline(__always)
    static var noSpike: UInt8 { 0 }
}

/// The kernel of a neuron layer, for any `NeuronUpdate`: a task is a range of one step's neurons,
/// taken through every step the layer computes (a neuron's steps follow each other in time).
enum NeuronLayer {
    /// The kernel of a neuron layer whose rule `run` applies (a closure calling `run` with the rule).
    static func choice(_ query: KernelQuery, name: StaticString, function: TaskFunction) -> KernelChoice {
        // A chunk of the potentials when they live in scratch (never more than one call's elements: a
        // small layer's potentials take no more scratch than they are).
        let chunk = min(Elementwise.elementsPerTask, max(1, query.batch * query.stepElementsPerSample))
        return KernelChoice(function: function,
                            split: TaskSplit(itemsPerSample: query.stepElementsPerSample, itemsPerTask: Elementwise.elementsPerTask),
                            scratchFloats: query.potentialsInScratch ? chunk : 0, name: name)
    }

    /// Runs `tasks` of a neuron layer with rule `Rule`. When the layer reads a sum (`secondInput`), each
    /// step adds the two tensors' values as it reads them, as the add layer would (`Rule.step`'s
    /// `adding`), rather than writing the sum first: at T = 4 that pass took 2% of ResNet-20's time.
    /// With `potentialsInScratch`, the potentials of each chunk of `Elementwise.elementsPerTask` neurons
    /// (what the scratch holds: a task that a convolution's split cut, `LayerPlan.fusedNeuron`, may be
    /// longer) start at their initial value in the worker's scratch and stay there,
    /// in the first level of cache, through every step: ResNet-20's Group Neuron layers at batch 32 and
    /// T = 1, which read and wrote an array of 2 MiB of potentials each, take half the time. A call of
    /// one step there keeps no potentials at all (`stepFromRest`): at T = 1 the neuron layers of
    /// ResNet-20 took 10.5% of its time at batch 1, then 7.5%. QCFS, which keeps no potentials, takes
    /// its one step the same way.
    @inline(__always)
    static func run<Rule: NeuronUpdate>(_ rule: Rule.Type, _ job: UnsafeRawPointer, worker: Int, tasks: Range<Int>) {
        let arguments = job.load(as: KernelArguments.self)
        let potentials = arguments.potentialsInScratch ? arguments.scratch(of: worker) : nil
        assert(!arguments.potentialsInScratch || arguments.resetsMembranes, "potentials in scratch start at rest in every call")
        // In a band of rows, each sample's neurons lie together in the output: a task goes sample by sample.
        let sampleNeurons = arguments.geometry.outputPixelsPerSample * arguments.geometry.outputChannels
        // One step from rest, its potentials dropped after it (in scratch, or none: QCFS): computed
        // without them (`stepFromRest`). Potentials in the arena are carried from step to step.
        let stepsFromRest = arguments.steps == 1 && arguments.membrane == nil && !arguments.outputHoldsIntegers
        arguments.forEachTask(tasks) { _, neurons in
            var first = neurons.lowerBound
            while first < neurons.upperBound {
                var end = arguments.outputPlacement == nil ? neurons.upperBound
                    : min(neurons.upperBound, (first / sampleNeurons + 1) * sampleNeurons)
                if potentials != nil { end = min(end, first + Elementwise.elementsPerTask) }
                if stepsFromRest {
                    first += Rule.stepFromRest(arguments.input(atStep: 0) + first, adding: arguments.secondInput(atStep: 0).map { $0 + first },
                                               into: arguments.output + arguments.outputIndex(atStep: 0, element: first),
                                               count: end - first, arguments.neuron)
                    if first == end { continue }
                }
                let count = end - first
                let membrane = potentials ?? arguments.membrane.map { $0 + first }
                if arguments.resetsMembranes, let membrane { Rule.reset(membrane, count: count, arguments.neuron) }
                for step in 0..<arguments.steps {
                    let input = arguments.input(atStep: step) + first
                    let second = arguments.secondInput(atStep: step).map { $0 + first }
                    let output = arguments.outputIndex(atStep: step, element: first)
                    if arguments.outputHoldsIntegers {
                        Rule.stepCounting(input, adding: second, membrane: membrane, into: arguments.outputIntegers + output,
                                          count: count, arguments.neuron)
                    } else {
                        Rule.step(input, adding: second, membrane: membrane, into: arguments.output + output, count: count,
                                  arguments.neuron)
                    }
                }
                first = end
            }
        }
    }
}
