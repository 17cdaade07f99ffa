/// What a kernel computes: one for each kind of layer that does arithmetic, and one per neuron kind
/// for neuron layers.
public enum KernelOperation: Equatable, Sendable {
    /// 2-D convolution with `[kh][kw][Cin][Cout]` weights (in a `WeightLayout`), optional bias.
    case convolution
    /// Fully connected layer over a vector, `[Cin][Cout]` weights, optional bias.
    case linear
    /// Average pooling, padding counted as zeros.
    case averagePool
    /// Max pooling, padding ignored.
    case maxPool
    /// The mean over height and width of every channel.
    case globalAveragePool
    /// The element-wise sum of two tensors.
    case add
    /// Per-channel `x · scale + shift`.
    case affine
    /// A neuron layer: the update rule of a neuron kind, over all the steps of its output.
    case neuronLayer(NeuronKind)
}
