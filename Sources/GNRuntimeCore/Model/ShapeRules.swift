/// The arithmetic of output shapes, shared by the reader (to check stored shapes) and the builder.
package enum ShapeRules {
    /// `floor((size + 2·padding − kernel) / stride) + 1`, or nil when the window does not fit.
    package static func windowOutput(size: Int, kernel: Int, stride: Int, padding: Int) -> Int? {
        let span = size + 2 * padding - kernel
        guard kernel >= 1, stride >= 1, span >= 0 else { return nil }
        return span / stride + 1
    }

    /// The output shape of a layer of `kind` over `input`, or an error naming what is wrong.
    /// `channels` is the declared output channel count (conv2d, linear); window fields as in the file.
    package static func outputShape(
        kind: LayerKind, input: TensorShape, secondInput: TensorShape?, channels: Int,
        kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), layer: Int
    ) throws(GNError) -> TensorShape {
        switch kind {
        case .conv2d, .avgPool2d, .maxPool2d:
            if kind != .conv2d, 2 * padding.0 > kernel.0 || 2 * padding.1 > kernel.1 {
                throw GNError(.badModel, "pooling padding is more than half the kernel", layer: layer)
            }
            guard let height = windowOutput(size: input.height, kernel: kernel.0, stride: stride.0, padding: padding.0),
                  let width = windowOutput(size: input.width, kernel: kernel.1, stride: stride.1, padding: padding.1)
            else {
                throw GNError(.badModel, "kernel, stride or padding do not fit the input", layer: layer)
            }
            return TensorShape(channels: kind == .conv2d ? channels : input.channels, height: height, width: width)
        case .linear:
            guard input.height == 1, input.width == 1 else {
                throw GNError(.badModel, "linear input must be a vector (height = width = 1)", layer: layer)
            }
            return TensorShape(channels: channels, height: 1, width: 1)
        case .globalAvgPool:
            return TensorShape(channels: input.channels, height: 1, width: 1)
        case .flatten:
            return TensorShape(channels: input.elementCount, height: 1, width: 1)
        case .add:
            guard let second = secondInput, second == input else {
                throw GNError(.badModel, "add inputs differ in shape", layer: layer)
            }
            return input
        case .affine, .qcfs:
            return input
        }
    }
}
