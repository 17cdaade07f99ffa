/// The sizes a windowed kernel (convolution, pooling) works with. All tensors are channels-last:
/// input `[batch][inputHeight][inputWidth][inputChannels]`, output `[batch][outputHeight][outputWidth][outputChannels]`.
struct WindowGeometry {
    var batch: Int
    var inputHeight: Int
    var inputWidth: Int
    var inputChannels: Int
    var outputHeight: Int
    var outputWidth: Int
    var outputChannels: Int
    var kernelHeight: Int
    var kernelWidth: Int
    var strideHeight: Int
    var strideWidth: Int
    var paddingHeight: Int
    var paddingWidth: Int

    /// The input row of kernel row `kernelRow` for output row `outputRow` (may lie outside the input).
    @inline(__always) func inputRow(_ outputRow: Int, _ kernelRow: Int) -> Int {
        outputRow * strideHeight - paddingHeight + kernelRow
    }

    /// The input column of kernel column `kernelColumn` for output column `outputColumn`.
    @inline(__always) func inputColumn(_ outputColumn: Int, _ kernelColumn: Int) -> Int {
        outputColumn * strideWidth - paddingWidth + kernelColumn
    }
}
