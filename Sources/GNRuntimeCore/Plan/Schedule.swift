/// The order in which a spiking session computes layers and time steps. All give the same results,
/// bit for bit. Raw values are the C ABI's `gn_schedule`.
public enum Schedule: UInt32, Sendable {
    /// Every layer computes all T steps before the next layer starts: one convolution over T × batch
    /// samples, one pass of each neuron layer over its T steps. Faster (larger matrix products,
    /// weights read once per run); activations take T times the memory, membranes only one layer's.
    case layerByLayer = 0
    /// The whole network runs once per step: activations of one step only, one membrane per neuron
    /// layer. Streams and exit rules need it.
    case stepByStep = 1
    /// The least memory: layer by layer, but a convolution read only by the neuron layer after it is
    /// computed a band of a few output rows at a time (every step and sample of those rows), each band
    /// consumed by the neuron layer at once — the convolution's output is never whole in memory, and
    /// the neuron layer's potentials live for one band — and spike maps that only int8 layers read
    /// are kept as bytes; or layer by layer with whole layers, or step by step, when the model needs
    /// less memory so. The schedule of microcontrollers. (Sessions of one step, and those with an
    /// exit rule, run step by step.)
    case lean = 2
}
