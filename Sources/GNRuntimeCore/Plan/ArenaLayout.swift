/// Where everything a session needs lies in its arena, as byte offsets from the arena's start.
/// Every region starts at a multiple of `ArenaLayout.alignment`.
///
/// ```
/// [layer plans][input, channels-last][output running sum][predictions][sample slots][steps run]
/// [spike and synaptic-operation counts][fan-out maps][membrane potentials]
/// [outputs kept across steps][kernel scratch][activations]
/// ```
/// The counts and the fan-out maps are there only when the session counts spikes.
package struct ArenaLayout {
    /// Alignment of the arena and of every region in it.
    package static let alignment = 64

    /// Bytes of the layer-plan table at offset 0 (one `LayerPlan` per layer).
    var planBytes = 0
    /// The input batch, channels-last: `batch × input elements` floats.
    var inputOffset = 0
    /// The running sum of the last layer's outputs: `batch × output elements` floats.
    var outputSumOffset = 0
    /// The running prediction of each step: `steps × batch` Int32.
    var predictionsOffset = 0
    /// Which sample each slot of the batch holds (`batch` Int32): runs that stop samples early keep
    /// the samples still running in the first slots, so that layers compute only those.
    var slotSamplesOffset = 0
    /// The steps each sample of the last run computed (`batch` Int32).
    var stepsRunOffset = 0
    /// Spikes per `[step][neuron layer][sample]` (Int), when counting; else -1.
    var spikeCountsOffset = -1
    /// Synaptic operations per `[step][neuron layer][sample]` (Int), when counting; else -1.
    var synapticOperationsOffset = -1
    /// The fan-out maps of every tensor (one Int per pixel; see `OperationCount`), when counting; else -1.
    var fanOutOffset = -1
    /// The Ints of all fan-out maps: the pixels of the model input and of every layer output.
    var fanOutCount = 0
    /// The membrane potentials: one block per neuron layer when step by step; one block, shared by
    /// every neuron layer in turn, when layer by layer.
    var membraneOffset = 0
    /// Bytes of all membrane potentials.
    var membraneBytes = 0
    /// The outputs of static layers that time-dependent layers read at every step.
    var keptOffset = 0
    /// Bytes of the kept outputs.
    var keptBytes = 0
    /// Scratch memory of the kernels (the convolution's zero row and spill tile), one part per thread.
    var scratchOffset = 0
    /// Bytes of kernel scratch of one thread.
    var scratchStride = 0
    /// Bytes of kernel scratch of all threads.
    var scratchBytes = 0
    /// The activation region that layer outputs share according to their lifetimes.
    var activationOffset = 0
    /// Bytes of the activation region: its peak use.
    var activationBytes = 0
    /// Bytes of the whole arena.
    var totalBytes = 0
    /// Time steps a run computes (1 for ANN sessions).
    var steps = 0

    /// Bytes the plan table needs for a model of `layerCount` layers.
    static func planBytes(layerCount: Int) -> Int {
        roundedUp(layerCount * MemoryLayout<LayerPlan>.stride)
    }

    /// `bytes` rounded up to the alignment.
    package static func roundedUp(_ bytes: Int) -> Int {
        (bytes + alignment - 1) / alignment * alignment
    }
}

/// Which convolution kernel a layer uses, chosen once when the session is planned.
enum ConvolutionChoice {
    /// `Convolution.reference`.
    case reference
    /// `ConvolutionTiled` with blocks of 16 output channels.
    case tiled16
    /// `ConvolutionTiled` with blocks of 32 output channels.
    case tiled32
}

/// What a session does for one layer, decided once when the session is planned.
struct LayerPlan {
    /// The decoded layer.
    var layer: Layer
    /// Arena offset of input A, input B (or -1) and the output.
    var inputAOffset = 0
    var inputBOffset = -1
    var outputOffset = 0
    /// Arena offset of this layer's membrane potentials, or -1 when it has none.
    var membraneOffset = -1
    /// Members per Group Neuron (QCFS layers of a GN session), else 0.
    var members = 0
    /// For a QCFS layer: its index among the QCFS layers; else -1.
    var neuronIndex = -1
    /// Whether the output depends on the model input through no neuron layer (an analog value: the
    /// weighted layers reading it multiply, where those reading spikes only accumulate).
    var isAnalog = false
    /// Where the fan-out map of the output starts, in Ints from `ArenaLayout.fanOutOffset`, when the
    /// session counts spikes; else -1.
    var fanOutIndex = -1
    /// For a neuron layer of a session that counts spikes: the synaptic operations its neurons cause
    /// when each spikes once (the sum of its fan-out map over all its neurons).
    var synapses = 0
    /// The convolution kernel (conv2d layers).
    var convolution = ConvolutionChoice.reference
    /// How the weights of a conv2d or linear layer are ordered.
    var weightLayout = WeightLayout.plain(inputChannels: 0, outputChannels: 0)
    /// Whether the output depends on the input only, not on time: such layers run once (at the first
    /// step, when step by step) and their output serves every step.
    var isStatic = false
    /// Time steps the output holds: T for a time-dependent layer of a layer-by-layer session, else 1.
    var slices = 1
    /// Time steps input A and input B hold.
    var inputASlices = 1
    var inputBSlices = 1
    /// For an add: whether the neuron layer right after it computes the sum itself, a cache-sized chunk
    /// at a time, instead of reading it from memory (nothing else reads the sum).
    var isFusedIntoNeuron = false
    /// For a neuron layer: the add it computes itself (see `isFusedIntoNeuron`), or -1.
    var fusedAdd = -1

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

    init(layer: Layer) { self.layer = layer }
}
