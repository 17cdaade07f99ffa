/// Which neuron a session runs in place of each QCFS activation. Raw values are the C ABI's `gn_neuron_kind`.
public enum NeuronKind: UInt32, Sendable {
    /// The QCFS ANN itself: one step, no state.
    case ann = 0
    /// Group Neurons with τ members.
    case groupNeuron = 1
    /// Integrate-and-fire neurons (the baseline).
    case integrateAndFire = 2
}

/// The order in which a spiking session computes layers and time steps. Both give the same results,
/// bit for bit. Raw values are the C ABI's `gn_schedule`.
public enum Schedule: UInt32, Sendable {
    /// Every layer computes all T steps before the next layer starts: one convolution over T × batch
    /// samples, one pass of each neuron layer over its T steps. Faster (larger matrix products,
    /// weights read once per run); activations take T times the memory, membranes only one layer's.
    case layerByLayer = 0
    /// The whole network runs once per step: activations of one step only, one membrane per neuron
    /// layer. Uses the least memory.
    case stepByStep = 1
}

/// When a run stops computing a sample before T steps: once its running prediction is settled.
/// Raw values are the C ABI's `gn_exit_rule`.
public enum ExitRule: UInt32, Sendable {
    /// Every sample runs all T steps.
    case none = 0
    /// Stop a sample after the first step at which its running output's largest value exceeds the
    /// second largest by more than `exitMargin` (a model with one output stops after one step).
    case margin = 1
    /// Stop a sample after the first step at which its running prediction has been the same for
    /// `exitSteps` consecutive steps (counting this one).
    case stable = 2
}

/// What a session runs: the neuron kind, τ, T and the largest batch.
public struct SessionOptions {
    /// The neuron that replaces each QCFS layer.
    public var neuron: NeuronKind = .groupNeuron
    /// Members per Group Neuron (1 … 64), for every QCFS layer without an override.
    public var members: Int = 4
    /// Time steps per run (T ≥ 1); ANN sessions compute one step whatever T is.
    public var timeSteps: Int = 4
    /// The most samples one run may take.
    public var batch: Int = 1
    /// Threads a run may use (1 … 64): the session plans kernel scratch for each.
    public var threads: Int = 1
    /// Layer by layer (fast, the default) or step by step (memory-lean).
    public var schedule: Schedule = .layerByLayer
    /// Per-QCFS-layer member counts (0 = `members`), one entry per QCFS layer in file order, or nil.
    /// Borrowed: read while a session is planned, not kept.
    public var layerMembers: UnsafeBufferPointer<UInt32>? = nil
    /// Whether runs count, per neuron layer, step and sample, the spikes emitted and the synaptic
    /// operations they cause (spiking sessions only). Off: no memory and no work.
    public var countsSpikes = false
    /// When a run may stop a sample early (spiking sessions; such a session runs step by step).
    public var exitRule = ExitRule.none
    /// The margin of `ExitRule.margin` (finite, ≥ 0).
    public var exitMargin: Float = 0
    /// The steps of `ExitRule.stable` (≥ 1).
    public var exitSteps = 1

    /// The defaults: Group Neurons of 4 members, 4 time steps, batch 1, no per-layer override.
    public init() {}

    /// The most threads a session may use.
    public static let maxThreads = 64

    /// The largest `timeSteps × batch` a session accepts.
    static let maxSampleSteps = Int(Int32.max)

    /// Time steps a run computes.
    public var steps: Int { neuron == .ann ? 1 : timeSteps }

    /// Whether layers compute all steps at once (a spiking session of several steps, layer by layer,
    /// that never stops a sample early).
    var computesLayerByLayer: Bool { steps > 1 && schedule == .layerByLayer && exitRule == .none }

    /// Checks the ranges of every option against `model`.
    func validate(for model: ModelView) throws(GNError) {
        guard timeSteps >= 1 else { throw GNError(.invalidOption, "time_steps must be at least 1", actual: timeSteps) }
        guard batch >= 1 else { throw GNError(.invalidOption, "batch must be at least 1", actual: batch) }
        let (sampleSteps, overflow) = timeSteps.multipliedReportingOverflow(by: batch)
        guard !overflow, sampleSteps <= SessionOptions.maxSampleSteps else {
            throw GNError(.invalidOption, "time_steps x batch exceeds 2^31 - 1")
        }
        guard (1...SessionOptions.maxThreads).contains(threads) else {
            throw GNError(.invalidOption, "threads must be in 1...64", actual: threads)
        }
        guard (1...GroupNeuron.maxMembers).contains(members) else {
            throw GNError(.invalidOption, "tau must be in 1...64", actual: members)
        }
        if countsSpikes && neuron == .ann {
            throw GNError(.invalidOption, "count_spikes needs a spiking session (neuron gn or if)")
        }
        if exitRule == .margin && !(exitMargin.isFinite && exitMargin >= 0) {
            throw GNError(.invalidOption, "exit_margin must be finite and at least 0")
        }
        if exitRule == .stable && exitSteps < 1 {
            throw GNError(.invalidOption, "exit_steps must be at least 1", actual: exitSteps)
        }
        if let layerMembers {
            guard layerMembers.count == model.neuronLayerCount else {
                throw GNError(.invalidOption, "layer_tau_count must equal the number of qcfs layers",
                              expected: model.neuronLayerCount, actual: layerMembers.count)
            }
            for value in layerMembers where value > UInt32(GroupNeuron.maxMembers) {
                throw GNError(.invalidOption, "layer_tau entries must be 0 (default) or in 1...64", actual: Int(value))
            }
        }
    }

    /// The member count of QCFS layer number `neuronIndex`.
    func members(ofNeuronLayer neuronIndex: Int) -> Int {
        if let layerMembers, layerMembers[neuronIndex] != 0 { return Int(layerMembers[neuronIndex]) }
        return members
    }
}
