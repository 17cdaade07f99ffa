import GNKernelInterface

extension Layer {
    /// The layer's sizes for `batch` samples reading `input` (the shape of its first input): a
    /// windowed layer's window; for the others a 1 × 1 window (a linear layer's input and output are
    /// 1 × 1 maps, so it is a 1 × 1 convolution).
    func geometry(input: TensorShape, batch: Int = 1) -> WindowGeometry {
        let windowed = kind.hasWindow
        return WindowGeometry(batch: batch, inputHeight: input.height, inputWidth: input.width, inputChannels: input.channels,
                              outputHeight: output.height, outputWidth: output.width, outputChannels: output.channels,
                              kernelHeight: windowed ? kernelHeight : 1, kernelWidth: windowed ? kernelWidth : 1,
                              strideHeight: windowed ? strideHeight : 1, strideWidth: windowed ? strideWidth : 1,
                              paddingHeight: windowed ? paddingHeight : 0, paddingWidth: windowed ? paddingWidth : 0)
    }
}
