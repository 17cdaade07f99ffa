import GNKernelInterface

/// What a session does for one layer, decided once when the session is planned: where its tensors
/// lie, which kernel computes it, and how its steps are laid out. The session executes it as it is.
struct LayerPlan {
    /// The decoded layer.
    var layer: Layer
    /// The layer's sizes for one sample and one step.
    var geometry: WindowGeometry
    /// The kernel, or nil for a layer that computes nothing (a flatten is a view of its input).
    var kernel: LayerKernel?
    /// Arena offset of input A, input B (or -1) and the output.
    var inputAOffset = 0
    var inputBOffset = -1
    var outputOffset = 0
    /// The same offsets in the activation region of a pass (`ArenaLayout.passRegionBytes`), the first
    /// thread's; the model input's as for the batch (a pass's input lies at its first sample).
    var passInputAOffset = 0
    var passInputBOffset = -1
    var passOutputOffset = 0
    /// Arena offset of this layer's membrane potentials, or -1 when it has none.
    var membraneOffset = -1
    /// For a spiking neuron layer of a layer-by-layer session, or of a session of one step: each call
    /// takes its neurons through every step, so a task keeps their potentials in the thread's scratch, a
    /// chunk at a time, and the arena holds none (`KernelQuery.potentialsInScratch`).
    var potentialsInScratch = false
    /// For a QCFS layer: what its neurons' update rule reads (threshold, levels, members).
    var neuron = NeuronParameters(threshold: 0, levels: 0, members: 0)
    /// For a QCFS layer: its index among the QCFS layers; else -1.
    var neuronIndex = -1
    /// How the output holds integers (a neuron layer's, pooled or flattened), or nil when it does not.
    var integerForm: IntegerForm?
    /// For a layer with int8 weights: how its input holds integers (checked: exact, no overflow).
    var integerInput: IntegerForm?
    /// Arena offset of the layer's weights as its kernel packed them, or -1 (`KernelChoice.packWeights`).
    var packedWeightsOffset = -1
    /// Whether the output depends on the model input through no neuron layer (an analog value: the
    /// weighted layers reading it multiply, where those reading spikes only accumulate).
    var isAnalog = false
    /// Where the fan-out map of the output starts, in Ints from `ArenaLayout.fanOutOffset`, when the
    /// session counts spikes; else -1.
    var fanOutIndex = -1
    /// For a neuron layer of a session that counts spikes: the synaptic operations its neurons cause
    /// when each spikes once (the sum of its fan-out map over all its neurons).
    var synapses = 0
    /// How the weights of a conv2d or linear layer are ordered.
    var weightLayout = WeightLayout.plain(inputChannels: 0, outputChannels: 0)
    /// Whether the output depends on the input only, not on time: such layers run once (at the first
    /// step, when step by step) and their output serves every step.
    var isStatic = false
    /// Time steps the output holds: T for a time-dependent layer of a session that runs layer by layer
    /// (layer by layer, or lean planned so), else 1.
    var steps = 1
    /// Whether input A holds integers, one byte each (its producer `storesIntegers`).
    var inputHoldsIntegers = false
    /// Time steps input A and input B hold.
    var inputASteps = 1
    var inputBSteps = 1
    /// For an add: whether the neuron layer right after it computes the sum itself, a cache-sized chunk
    /// at a time, instead of reading it from memory (nothing else reads the sum).
    var isFusedIntoNeuron = false
    /// For a neuron layer: the add it computes itself (see `isFusedIntoNeuron`), or -1.
    var fusedAdd = -1
    /// For a convolution: the neuron layer it computes task by task (`Planner.decideNeuronFusion`),
    /// each task's outputs taken through that layer while they are in cache; else -1.
    var fusedNeuron = -1
    /// For a neuron layer: whether the convolution before it (or before its add) computes it.
    var isFusedIntoConvolution = false
    /// For a convolution of a lean session read only by the neuron layer after it: the output rows it
    /// computes at a time, each band then taken through that neuron layer (its buffer holds one band of
    /// every step and sample); else 0.
    var bandRows = 0
    /// For a neuron layer: the convolution it takes band by band (see `bandRows`), or -1.
    var bandedConvolution = -1
    /// Whether the output holds each value's integer (`integerForm`) as a byte instead of the value as
    /// a float: in lean sessions, the spike maps (and their pools) whose every reader takes integers.
    var storesIntegers = false

    // Planning bookkeeping for the output tensor of this layer.
    /// The last layer that reads this output (`layerCount` for the model output, `Int.max` for outputs
    /// kept across steps).
    var lastUse = 0
    /// The layer whose buffer the output lives in (itself, unless it overwrites its input or is a
    /// view of it), or -1 when the output is a view of the model input.
    var bufferOwner = 0
    /// For a buffer owner: the last layer that reads any tensor living in the buffer.
    var bufferLastUse = 0
    /// For a buffer owner: its arena offset.
    var bufferOffset = 0
    /// For a buffer owner: its size in bytes.
    var bufferBytes = 0
    /// For a live buffer owner: the next live owner by offset, or -1.
    var nextLive = -1

    /// The elements of one step and one sample the output's buffer holds: the whole output, or one band.
    var storedElements: Int {
        bandRows > 0 ? bandRows * layer.output.width * layer.output.channels : layer.output.elementCount
    }

    init(layer: Layer, geometry: WindowGeometry) {
        self.layer = layer
        self.geometry = geometry
    }
}
