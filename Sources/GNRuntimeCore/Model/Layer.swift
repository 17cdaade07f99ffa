/// One decoded, validated layer of a model. Its blob pointers point into the model's bytes.
package struct Layer {
    package let kind: LayerKind
    /// Tensor id of the first input (0 = model input, i + 1 = output of layer i).
    package let inputA: Int
    /// Tensor id of the second input (`add` only), else -1.
    package let inputB: Int
    /// Shape of the output of one sample.
    package let output: TensorShape
    package internal(set) var kernelHeight = 0
    package internal(set) var kernelWidth = 0
    package internal(set) var strideHeight = 0
    package internal(set) var strideWidth = 0
    package internal(set) var paddingHeight = 0
    package internal(set) var paddingWidth = 0
    /// QCFS levels `L`.
    package internal(set) var levels = 0
    /// QCFS threshold `λ`.
    package internal(set) var threshold: Float = 0
    /// conv2d and linear weights in FP32, or affine scale.
    package internal(set) var weights: UnsafePointer<Float>? = nil
    /// conv2d and linear weights in int8 (format 1.1), `[kh][kw][Cin][Cout]`; nil for FP32 weights.
    package internal(set) var integerWeights: UnsafePointer<Int8>? = nil
    /// With `integerWeights`: the scale of each output channel (a weight is `integer · scale`).
    package internal(set) var weightScales: UnsafePointer<Float>? = nil
    /// conv2d and linear bias (when present), or affine shift.
    package internal(set) var bias: UnsafePointer<Float>? = nil

    package init(kind: LayerKind, inputA: Int, inputB: Int, output: TensorShape) {
        self.kind = kind
        self.inputA = inputA
        self.inputB = inputB
        self.output = output
    }
}
