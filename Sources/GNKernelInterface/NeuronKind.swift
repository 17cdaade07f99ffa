/// Which neuron a session runs in place of each QCFS activation. Raw values are the C ABI's
/// `gn_neuron_kind`.
///
/// What depends on the kind is decided here, in exhaustive switches, so that a new kind does not
/// compile until each question has its answer; its update rule is a kernel (`Sources/Kernels/Neurons`),
/// registered in `KernelCatalog` (docs/architecture.md, "A new neuron kind").
public enum NeuronKind: UInt32, Sendable {
    /// The QCFS ANN itself: one step, no state.
    case ann = 0
    /// Group Neurons with τ members.
    case groupNeuron = 1
    /// Integrate-and-fire neurons (the baseline).
    case integrateAndFire = 2

    /// The largest τ (members per Group Neuron) a session may ask for.
    public static let maxTau = 64

    /// The name used in messages, the C API's docs and the Python binding.
    public var name: StaticString {
        switch self {
        case .ann: return "ann"
        case .groupNeuron: return "gn"
        case .integrateAndFire: return "if"
        }
    }

    /// Whether the neuron keeps a membrane potential from step to step and emits spikes. A session of
    /// a kind that does not computes one step and has no state.
    public var isSpiking: Bool {
        switch self {
        case .ann: return false
        case .groupNeuron, .integrateAndFire: return true
        }
    }

    /// The most spikes one neuron emits in one step (its members), under the session's τ: the output
    /// of a spiking neuron is `spikes × threshold / members`. 0 for a kind that does not spike.
    public func members(tau: Int) -> Int {
        switch self {
        case .ann: return 0
        case .groupNeuron: return tau
        case .integrateAndFire: return 1
        }
    }
}

#if !hasFeature(Embedded)
// Every case, for tests and tools (a list allocates, which Embedded Swift builds refuse).
extension NeuronKind: CaseIterable {}
#endif
