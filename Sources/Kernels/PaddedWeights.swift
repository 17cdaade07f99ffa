import GNKernelInterface

/// Weights and bias of a layer of fewer output channels than a vector, padded with zeros to 16 in a
/// thread's scratch, so that the tiled kernels (`ConvolutionTiled`, `ConvolutionRows`) read whole
/// vectors of them and drop the extra lanes: no read passes the end of the model's weights or bias.
/// Each call copies them anew (`taps × inputChannels × 16` floats, small beside the call's
/// multiply-adds); layers whose copy would exceed `limit` keep the reference kernel.
enum PaddedWeights {
    /// The most floats a copy may take: 64 KiB, a 3 × 3 layer of up to 113 input channels.
    static let limit = 16_384

    /// The floats of scratch the copy of `g`'s weights and bias takes: 0 for 16 channels or more.
    static func floats(_ g: WindowGeometry) -> Int {
        g.outputChannels < 16 ? 16 + g.kernelHeight * g.kernelWidth * g.inputChannels * 16 : 0
    }

    /// Whether a layer of `g`'s shape can be tiled: 16 channels or more, or a copy within `limit`.
    static func fit(_ g: WindowGeometry) -> Bool { floats(g) <= 16 + limit }

    /// Points a tiled kernel's copy of its `arguments` at the weights (in their layout) and bias it
    /// reads: the layer's own for 16 channels or more; for fewer, copies in `scratch` (`floats(g)`
    /// floats: the bias, then the weights), each channel run padded to 16, packed in one block of 16.
    /// In the arguments themselves rather than returned: captured as separate values by a kernel's task
    /// closure, they kept the compiler from unrolling the row kernels' window loop, whose sums then went
    /// through memory (ResNet-20's first layer 0.016 against 0.007 ms at batch 1).
    static func pad(_ arguments: inout KernelArguments, scratch: UnsafeMutablePointer<Float>) {
        let g = arguments.geometry, weights = arguments.weights!, layout = arguments.weightLayout
        guard g.outputChannels < 16 else { return }
        let taps = g.kernelHeight * g.kernelWidth, channels = g.outputChannels
        let paddedBias = scratch, paddedWeights = scratch + 16
        paddedWeights.update(repeating: 0, count: taps * g.inputChannels * 16)
        for tap in 0..<taps {
            for input in 0..<g.inputChannels {
                (paddedWeights + (tap * g.inputChannels + input) * 16)
                    .update(from: weights + layout.offset(channel: 0, tap: tap) + input * layout.channelStride, count: channels)
            }
        }
        paddedBias.update(repeating: 0, count: 16)
        if let bias = arguments.bias { paddedBias.update(from: bias, count: channels) }
        arguments.weights = UnsafePointer(paddedWeights)
        arguments.weightLayout = .packed(taps: taps, inputChannels: g.inputChannels, lanes: 16)
        arguments.bias = arguments.bias == nil ? nil : UnsafePointer(paddedBias)
    }
}
