import GNKernelInterface

/// What a session runs: the neuron kind, τ, T, the largest batch, threads, schedule, accounting, exit
/// rule and the widest instruction set its kernels may use.
public struct SessionOptions {
    /// The neuron that replaces each QCFS layer.
    public var neuron: NeuronKind = .groupNeuron
    /// τ: members per Group Neuron (1 … `NeuronKind.maxTau`), for every QCFS layer without an override.
    public var tau: Int = 4
    /// Per-QCFS-layer τ (0 = `tau`), one entry per QCFS layer in file order, or nil. Borrowed: read
    /// while a session is planned, not kept.
    public var layerTau: UnsafeBufferPointer<UInt32>? = nil
    /// T: time steps per run (≥ 1); ANN sessions compute one step whatever T is.
    public var timeSteps: Int = 4
    /// The most samples one run may take.
    public var batch: Int = 1
    /// Threads a run may use (1 … 64): the session plans kernel scratch for each.
    public var threads: Int = 1
    /// Layer by layer (fast, the default), step by step, or lean (layer by layer in bands of rows).
    public var schedule: Schedule = .layerByLayer
    /// Whether runs count, per neuron layer, step and sample, the spikes emitted and the synaptic
    /// operations they cause (spiking sessions only). Off: no memory and no work.
    public var countsSpikes = false
    /// When a run may stop a sample early (spiking sessions; such a session runs step by step).
    public var exitRule = ExitRule.none
    /// The margin of `ExitRule.margin` (finite, ≥ 0).
    public var exitMargin: Float = 0
    /// The steps of `ExitRule.stable` (≥ 1).
    public var exitSteps = 1
    /// The widest instruction set the session's kernels may use; nil: the widest this CPU runs
    /// (`KernelRegistry.widestAvailable`). A set the CPU cannot run is refused when the session is
    /// planned (UNSUPPORTED), never executed.
    public var instructionSet: InstructionSet? = nil

    /// The defaults: Group Neurons of 4 members, 4 time steps, batch 1, one thread, layer by layer, the
    /// CPU's widest kernels.
    public init() {}

    /// The most threads a session may use.
    public static let maxThreads = 64

    /// The largest `timeSteps × batch` a session accepts.
    static let maxSampleSteps = Int(Int32.max)

    /// Time steps a run computes: T, or 1 for a neuron kind that does not spike.
    public var steps: Int { neuron.isSpiking ? timeSteps : 1 }

    /// Whether layers compute all steps at once (a spiking session of several steps, layer by layer or
    /// lean, that never stops a sample early).
    var computesLayerByLayer: Bool { steps > 1 && schedule != .stepByStep && effectiveExitRule == .none }

    /// Whether convolutions read only by their neuron layer are computed in bands of rows (`Schedule.lean`).
    var computesInBands: Bool { computesLayerByLayer && schedule == .lean }

    /// The exit rule a session applies: none for a neuron kind that does not spike.
    var effectiveExitRule: ExitRule { neuron.isSpiking ? exitRule : .none }

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
        guard (1...NeuronKind.maxTau).contains(tau) else {
            throw GNError(.invalidOption, "tau must be in 1...64", actual: tau)
        }
        if countsSpikes && !neuron.isSpiking {
            throw GNError(.invalidOption, "count_spikes needs a spiking session (neuron gn or if)")
        }
        if exitRule == .margin && !(exitMargin.isFinite && exitMargin >= 0) {
            throw GNError(.invalidOption, "exit_margin must be finite and at least 0")
        }
        if exitRule == .stable && exitSteps < 1 {
            throw GNError(.invalidOption, "exit_steps must be at least 1", actual: exitSteps)
        }
        if let layerTau {
            guard layerTau.count == model.neuronLayerCount else {
                throw GNError(.invalidOption, "layer_tau_count must equal the number of qcfs layers",
                              expected: model.neuronLayerCount, actual: layerTau.count)
            }
            for value in layerTau where value > UInt32(NeuronKind.maxTau) {
                throw GNError(.invalidOption, "layer_tau entries must be 0 (default) or in 1...64", actual: Int(value))
            }
        }
        if let instructionSet, !KernelRegistry.isAvailable(instructionSet) {
            throw GNError(.unsupported, "this CPU (or this build) has no kernels of the requested instruction set",
                          expected: Int(KernelRegistry.widestAvailable.rawValue), actual: Int(instructionSet.rawValue))
        }
    }

    /// τ of QCFS layer number `neuronIndex`.
    func tau(ofNeuronLayer neuronIndex: Int) -> Int {
        if let layerTau, layerTau[neuronIndex] != 0 { return Int(layerTau[neuronIndex]) }
        return tau
    }
}
