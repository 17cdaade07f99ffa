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
