/// The operation a layer performs. The raw values are the `kind` field of a layer record in the model
/// file and the C ABI's `gn_layer_kind`; they never change.
public enum LayerKind: UInt16, Sendable {
    /// 2-D convolution, weights `[kh][kw][Cin][Cout]`, optional bias.
    case conv2d = 1
    /// Fully connected layer over a `(C, 1, 1)` input, weights `[Cin][Cout]`, optional bias.
    case linear = 2
    /// Average pooling, padding counted as zeros (`count_include_pad = True`).
    case avgPool2d = 3
    /// Max pooling; ANN mode only.
    case maxPool2d = 4
    /// Mean over height and width of every channel.
    case globalAvgPool = 5
    /// Reads a channels-last map as a vector; no arithmetic.
    case flatten = 6
    /// Element-wise sum of two tensors of one shape.
    case add = 7
    /// Per-channel `x · scale + shift` (a BatchNorm that was not folded).
    case affine = 8
    /// The QCFS activation (ANN mode) that a spiking session runs as a Group Neuron or IF neuron.
    case qcfs = 9

    /// The name used in messages, docs and the C API.
    public var name: StaticString {
        switch self {
        case .conv2d: return "conv2d"
        case .linear: return "linear"
        case .avgPool2d: return "avgpool2d"
        case .maxPool2d: return "maxpool2d"
        case .globalAvgPool: return "global_avgpool"
        case .flatten: return "flatten"
        case .add: return "add"
        case .affine: return "affine"
        case .qcfs: return "qcfs"
        }
    }

    /// Whether the layer has a kernel, a stride and a padding.
    var hasWindow: Bool {
        self == .conv2d || self == .avgPool2d || self == .maxPool2d
    }

    /// Whether the output holds integers times one scale whenever the input does (pooling, flatten):
    /// the layers between a neuron layer and the int8 layers that read its counts.
    var keepsIntegers: Bool {
        switch self {
        case .avgPool2d, .maxPool2d, .globalAvgPool, .flatten: return true
        case .conv2d, .linear, .add, .affine, .qcfs: return false
        }
    }

    /// Whether the output has the input's shape and each output element depends only on the input
    /// element at the same place, so the output may overwrite the input.
    var isElementwise: Bool {
        self == .add || self == .affine || self == .qcfs
    }
}
