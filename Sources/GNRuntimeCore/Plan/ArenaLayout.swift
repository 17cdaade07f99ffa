/// Where everything a session needs lies in its arena, as byte offsets from the arena's start.
/// Every region starts at a multiple of `ArenaLayout.alignment`.
///
/// ```
/// [layer plans][input, channels-last][output running sum][predictions][sample slots][sample steps]
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
    var sampleStepsOffset = 0
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
    /// Whether layers compute all their steps at once (layer by layer; lean, unless step by step
    /// needed less memory), rather than the network once per step.
    var computesLayerByLayer = false
    /// Samples a layer-by-layer run takes through every layer at once (`Planner.samplesPerPass`): a
    /// run of more takes them pass after pass, so that a pass's activations stay in cache. The batch
    /// when the session computes step by step.
    var samplesPerPass = 1
    /// Bytes of the activations of one pass (`LayerPlan.passOutputOffset` and the inputs'), from
    /// `activationOffset`: each thread that runs passes has a region of its own, one after another; 0
    /// when a pass is the batch.
    var passRegionBytes = 0
    /// The pass regions, side by side: one per thread of the session when each can get two passes of
    /// the batch, else one.
    var passRegions = 0

    /// Whether a run of `samples` samples on `threads` threads gives each thread passes of its own, at
    /// least two, each thread in a region of its own (else one pass of every sample, each layer split
    /// between the threads).
    func passesInParallel(samples: Int, threads: Int) -> Bool {
        threads > 1 && threads <= passRegions && passes(samples: samples) >= 2 * threads
    }

    /// The passes a run of `samples` samples takes (the last may hold fewer than `samplesPerPass`).
    func passes(samples: Int) -> Int {
        (samples + samplesPerPass - 1) / samplesPerPass
    }

    /// Bytes the plan table needs for a model of `layerCount` layers.
    static func planBytes(layerCount: Int) -> Int {
        roundedUp(layerCount * MemoryLayout<LayerPlan>.stride)
    }

    /// `bytes` rounded up to the alignment.
    package static func roundedUp(_ bytes: Int) -> Int {
        (bytes + alignment - 1) / alignment * alignment
    }
}
