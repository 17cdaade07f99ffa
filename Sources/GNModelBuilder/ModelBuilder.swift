import GNRuntimeCore

/// The window of a convolution or pooling layer: kernel, stride and zero padding, per axis.
public struct Window: Sendable, Equatable {
    /// Kernel rows.
    public var kernelHeight: Int
    /// Kernel columns.
    public var kernelWidth: Int
    /// Rows between windows.
    public var strideHeight: Int
    /// Columns between windows.
    public var strideWidth: Int
    /// Rows of zeros added above and below.
    public var paddingHeight: Int
    /// Columns of zeros added left and right.
    public var paddingWidth: Int

    /// A square window.
    public init(kernel: Int, stride: Int = 1, padding: Int = 0) {
        self.init(kernelHeight: kernel, kernelWidth: kernel, strideHeight: stride, strideWidth: stride,
                  paddingHeight: padding, paddingWidth: padding)
    }

    /// A window with its own size, stride and padding per axis.
    public init(kernelHeight: Int, kernelWidth: Int, strideHeight: Int, strideWidth: Int,
                paddingHeight: Int, paddingWidth: Int) {
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight
        self.strideWidth = strideWidth
        self.paddingHeight = paddingHeight
        self.paddingWidth = paddingWidth
    }
}

/// Builds a model file in code (for tests, tools and exporters written in Swift).
///
/// Layers are added in order; each returns the id of the tensor it produces; the last layer added
/// is the model's output. Arrays are in the file's layouts (docs/model-format.md): conv2d weights
/// `[kh][kw][Cin][Cout]`, linear weights `[Cin][Cout]`, feature maps channels-last.
///
/// ```swift
/// var builder = ModelBuilder(input: TensorShape(channels: 1, height: 28, width: 28))
/// var x = try builder.conv2d(builder.input, outputChannels: 8, window: Window(kernel: 3, padding: 1),
///                            weights: w1, bias: b1)
/// x = try builder.qcfs(x, levels: 4, threshold: 1)
/// let bytes = builder.serialize()
/// ```
public struct ModelBuilder {
    /// The id of the model input tensor.
    public let input = 0

    private var inputShape: TensorShape
    private var layers: [PendingLayer] = []

    /// A builder for a model whose input sample has `input`'s shape.
    public init(input: TensorShape) {
        inputShape = input
    }

    /// The number of layers added so far.
    public var layerCount: Int { layers.count }

    /// The shape of tensor `id` (one sample).
    public func shape(of id: Int) -> TensorShape {
        id == 0 ? inputShape : layers[id - 1].output
    }

    /// Adds a 2-D convolution with `weights` `[kh][kw][Cin][Cout]` and an optional `bias` `[Cout]`.
    public mutating func conv2d(_ x: Int, outputChannels: Int, window: Window, weights: [Float],
                                bias: [Float]? = nil) throws(GNError) -> Int {
        let inputChannels = try checkedShape(x).channels
        return try add(.conv2d, x, channels: outputChannels, window: window,
                       p: weights, expectedP: window.kernelHeight * window.kernelWidth * inputChannels * outputChannels,
                       q: bias, expectedQ: outputChannels)
    }

    /// Adds a fully connected layer over a vector input, `weights` `[Cin][Cout]`, optional `bias` `[Cout]`.
    public mutating func linear(_ x: Int, outputs: Int, weights: [Float], bias: [Float]? = nil) throws(GNError) -> Int {
        let inputs = try checkedShape(x).channels
        return try add(.linear, x, channels: outputs, p: weights, expectedP: inputs * outputs, q: bias, expectedQ: outputs)
    }

    /// Adds a 2-D convolution with int8 weights (format 1.1): `weights` `[kh][kw][Cin][Cout]`, the
    /// weight of output channel `o` being `weights[…][o] · scales[o]`; optional FP32 `bias` `[Cout]`.
    /// Its input must hold integers (a QCFS output, pooled or flattened), as the reader requires.
    public mutating func conv2d(_ x: Int, outputChannels: Int, window: Window, integerWeights: [Int8], scales: [Float],
                                bias: [Float]? = nil) throws(GNError) -> Int {
        let inputChannels = try checkedShape(x).channels
        return try addInteger(.conv2d, x, channels: outputChannels, window: window, weights: integerWeights,
                              expected: window.kernelHeight * window.kernelWidth * inputChannels * outputChannels,
                              scales: scales, bias: bias)
    }

    /// Adds a fully connected layer with int8 weights `[Cin][Cout]` and their `scales` `[Cout]` (as
    /// `conv2d(_:outputChannels:window:integerWeights:scales:bias:)`).
    public mutating func linear(_ x: Int, outputs: Int, integerWeights: [Int8], scales: [Float],
                                bias: [Float]? = nil) throws(GNError) -> Int {
        let inputs = try checkedShape(x).channels
        return try addInteger(.linear, x, channels: outputs, weights: integerWeights, expected: inputs * outputs,
                              scales: scales, bias: bias)
    }

    /// Symmetric per-output-channel int8 quantisation of weights in the file's layout (`Cout`
    /// innermost): each channel's scale is its largest magnitude / 127 (1 for a channel of zeros),
    /// its integers the weights divided by it, rounded, in -127 … 127.
    public static func quantize(_ weights: [Float], outputChannels: Int) -> (integers: [Int8], scales: [Float]) {
        var largest = [Float](repeating: 0, count: outputChannels)
        for (index, weight) in weights.enumerated() {
            largest[index % outputChannels] = max(largest[index % outputChannels], abs(weight))
        }
        let scales = largest.map { $0 > 0 ? $0 / 127 : 1 }
        let integers = weights.enumerated().map { index, weight in
            Int8(max(-127, min(127, (weight / scales[index % outputChannels]).rounded())))
        }
        return (integers, scales)
    }

    /// Adds average pooling (padding counted as zeros).
    public mutating func avgPool2d(_ x: Int, window: Window) throws(GNError) -> Int {
        try add(.avgPool2d, x, window: window)
    }

    /// Adds max pooling (ANN sessions only).
    public mutating func maxPool2d(_ x: Int, window: Window) throws(GNError) -> Int {
        try add(.maxPool2d, x, window: window)
    }

    /// Adds global average pooling.
    public mutating func globalAvgPool(_ x: Int) throws(GNError) -> Int {
        try add(.globalAvgPool, x)
    }

    /// Adds a flatten (features in channels-last order).
    public mutating func flatten(_ x: Int) throws(GNError) -> Int {
        try add(.flatten, x)
    }

    /// Adds the element-wise sum of two tensors of one shape.
    public mutating func add(_ a: Int, _ b: Int) throws(GNError) -> Int {
        try add(.add, a, second: b)
    }

    /// Adds a per-channel `x · scale + shift`.
    public mutating func affine(_ x: Int, scale: [Float], shift: [Float]) throws(GNError) -> Int {
        let channels = try checkedShape(x).channels
        return try add(.affine, x, p: scale, expectedP: channels, q: shift, expectedQ: channels)
    }

    /// Adds a QCFS activation with `levels` (L) and `threshold` (λ).
    public mutating func qcfs(_ x: Int, levels: Int, threshold: Float) throws(GNError) -> Int {
        guard (1...ModelFormat.maxLevels).contains(levels) else {
            throw GNError(.invalidOption, "QCFS levels out of range 1...65535", layer: layers.count, actual: levels)
        }
        guard threshold.isFinite, threshold > 0 else {
            throw GNError(.invalidOption, "QCFS threshold must be finite and positive", layer: layers.count)
        }
        var layer = try pending(.qcfs, x)
        layer.levels = levels
        layer.threshold = threshold
        layers.append(layer)
        return layers.count
    }

    /// The model file: header, layer table, then every blob at a multiple of 64, and the checksum.
    public func serialize() -> [UInt8] {
        let tableOffset = ModelFormat.headerSize
        var blobOffset = ArenaLayout.roundedUp(tableOffset + layers.count * ModelFormat.recordSize)
        var offsets: [(UInt64, UInt64)] = []
        for layer in layers {
            var pair: (UInt64, UInt64) = (0, 0)
            if let p = layer.p {
                pair.0 = UInt64(blobOffset)
                blobOffset = ArenaLayout.roundedUp(blobOffset + p.count * 4)
            }
            if let p = layer.integerP {
                pair.0 = UInt64(blobOffset)
                blobOffset = ArenaLayout.roundedUp(blobOffset + p.count)
            }
            if let q = layer.q {
                pair.1 = UInt64(blobOffset)
                blobOffset = ArenaLayout.roundedUp(blobOffset + q.count * 4)
            }
            offsets.append(pair)
        }
        var bytes = [UInt8](repeating: 0, count: blobOffset)
        var writer = ByteWriter(bytes: bytes)
        writer.u32(ModelFormat.magic, at: ModelFormat.Header.magic)
        writer.u16(ModelFormat.majorVersion, at: ModelFormat.Header.major)
        // The oldest minor version that has every feature used: 1.1 for int8 weights.
        writer.u16(layers.contains { $0.integerP != nil } ? 1 : 0, at: ModelFormat.Header.minor)
        writer.u32(UInt32(ModelFormat.headerSize), at: ModelFormat.Header.headerSize)
        writer.u64(UInt64(blobOffset), at: ModelFormat.Header.fileSize)
        writer.u32(UInt32(layers.count), at: ModelFormat.Header.layerCount)
        writer.u32(UInt32(ModelFormat.recordSize), at: ModelFormat.Header.recordSize)
        writer.u64(UInt64(tableOffset), at: ModelFormat.Header.tableOffset)
        writer.u32(UInt32(inputShape.channels), at: ModelFormat.Header.inputChannels)
        writer.u32(UInt32(inputShape.height), at: ModelFormat.Header.inputHeight)
        writer.u32(UInt32(inputShape.width), at: ModelFormat.Header.inputWidth)
        for (index, layer) in layers.enumerated() {
            let record = tableOffset + index * ModelFormat.recordSize
            writer.u16(layer.kind.rawValue, at: record + ModelFormat.Record.kind)
            let flags = (layer.hasBias ? ModelFormat.flagHasBias : 0) | (layer.integerP != nil ? ModelFormat.flagInt8Weights : 0)
            writer.u16(flags, at: record + ModelFormat.Record.flags)
            writer.u32(UInt32(layer.inputA), at: record + ModelFormat.Record.inputA)
            writer.u32(layer.inputB < 0 ? ModelFormat.noInput : UInt32(layer.inputB), at: record + ModelFormat.Record.inputB)
            writer.u32(UInt32(layer.output.channels), at: record + ModelFormat.Record.channels)
            writer.u32(UInt32(layer.output.height), at: record + ModelFormat.Record.height)
            writer.u32(UInt32(layer.output.width), at: record + ModelFormat.Record.width)
            if let window = layer.window {
                writer.u16(UInt16(window.kernelHeight), at: record + ModelFormat.Record.kernelHeight)
                writer.u16(UInt16(window.kernelWidth), at: record + ModelFormat.Record.kernelWidth)
                writer.u16(UInt16(window.strideHeight), at: record + ModelFormat.Record.strideHeight)
                writer.u16(UInt16(window.strideWidth), at: record + ModelFormat.Record.strideWidth)
                writer.u16(UInt16(window.paddingHeight), at: record + ModelFormat.Record.paddingHeight)
                writer.u16(UInt16(window.paddingWidth), at: record + ModelFormat.Record.paddingWidth)
            }
            writer.u32(UInt32(layer.levels), at: record + ModelFormat.Record.levels)
            writer.u32(layer.threshold.bitPattern, at: record + ModelFormat.Record.threshold)
            writer.u64(offsets[index].0, at: record + ModelFormat.Record.blobP)
            writer.u64(offsets[index].1, at: record + ModelFormat.Record.blobQ)
            if let p = layer.p { writer.floats(p, at: Int(offsets[index].0)) }
            if let p = layer.integerP {
                for (position, value) in p.enumerated() { writer.bytes[Int(offsets[index].0) + position] = UInt8(bitPattern: value) }
            }
            if let q = layer.q { writer.floats(q, at: Int(offsets[index].1)) }
        }
        bytes = writer.bytes
        let checksum = bytes.withUnsafeBytes {
            CRC32.checksum($0, zeroingFourBytesAt: ModelFormat.Header.checksum)
        }
        writer = ByteWriter(bytes: bytes)
        writer.u32(checksum, at: ModelFormat.Header.checksum)
        return writer.bytes
    }

    // MARK: - Private

    private struct PendingLayer {
        var kind: LayerKind
        var inputA: Int
        var inputB: Int
        var output: TensorShape
        var window: Window?
        var levels = 0
        var threshold: Float = 0
        var p: [Float]?
        /// int8 weights (then `q` holds the scales, and the bias after them when `hasBias`).
        var integerP: [Int8]?
        var q: [Float]?
        var hasBias = false
    }

    private func checkedShape(_ id: Int) throws(GNError) -> TensorShape {
        guard id >= 0, id <= layers.count else {
            throw GNError(.outOfRange, "tensor id is not an existing tensor", layer: layers.count, actual: id)
        }
        return shape(of: id)
    }

    private func pending(_ kind: LayerKind, _ x: Int, second: Int = -1, channels: Int = 0,
                         window: Window? = nil) throws(GNError) -> PendingLayer {
        let input = try checkedShape(x)
        let secondShape: TensorShape? = second >= 0 ? try checkedShape(second) : nil
        let w = window ?? Window(kernelHeight: 0, kernelWidth: 0, strideHeight: 0, strideWidth: 0,
                                 paddingHeight: 0, paddingWidth: 0)
        guard [w.kernelHeight, w.kernelWidth, w.strideHeight, w.strideWidth, w.paddingHeight, w.paddingWidth]
            .allSatisfy({ (0...Int(UInt16.max)).contains($0) }) else {
            throw GNError(.invalidOption, "window fields must fit in 16 bits", layer: layers.count)
        }
        let output = try ShapeRules.outputShape(
            kind: kind, input: input, secondInput: secondShape, channels: channels,
            kernel: (w.kernelHeight, w.kernelWidth), stride: (w.strideHeight, w.strideWidth),
            padding: (w.paddingHeight, w.paddingWidth), layer: layers.count)
        guard output.isValid else {
            throw GNError(.invalidOption, "output shape is empty or too large", layer: layers.count)
        }
        return PendingLayer(kind: kind, inputA: x, inputB: second, output: output, window: window)
    }

    private mutating func add(_ kind: LayerKind, _ x: Int, second: Int = -1, channels: Int = 0,
                              window: Window? = nil, p: [Float]? = nil, expectedP: Int = 0,
                              q: [Float]? = nil, expectedQ: Int = 0) throws(GNError) -> Int {
        layers.append(try layer(kind, x, second: second, channels: channels, window: window, p: p, expectedP: expectedP,
                                q: q, expectedQ: expectedQ))
        return layers.count
    }

    /// The next layer with its FP32 blobs, each checked for its count and for finite values.
    private func layer(_ kind: LayerKind, _ x: Int, second: Int = -1, channels: Int = 0, window: Window? = nil,
                       p: [Float]? = nil, expectedP: Int = 0, q: [Float]? = nil, expectedQ: Int = 0) throws(GNError) -> PendingLayer {
        var layer = try pending(kind, x, second: second, channels: channels, window: window)
        for (blob, expected) in [(p, expectedP), (q, expectedQ)] {
            guard let blob else { continue }
            guard blob.count == expected else {
                throw GNError(.sizeMismatch, "parameter array has the wrong number of floats",
                              layer: layers.count, expected: expected, actual: blob.count)
            }
            guard blob.allSatisfy(\.isFinite) else {
                throw GNError(.invalidInput, "parameters hold NaN or infinity", layer: layers.count)
            }
        }
        layer.p = p
        layer.q = q
        layer.hasBias = kind != .affine && q != nil
        return layer
    }

    private mutating func addInteger(_ kind: LayerKind, _ x: Int, channels: Int, window: Window? = nil, weights: [Int8],
                                     expected: Int, scales: [Float], bias: [Float]?) throws(GNError) -> Int {
        guard weights.count == expected else {
            throw GNError(.sizeMismatch, "weight array has the wrong number of values", layer: layers.count,
                          expected: expected, actual: weights.count)
        }
        // The scales and the bias checked each as an FP32 blob of one value per output channel.
        var layer = try self.layer(kind, x, channels: channels, window: window, p: scales, expectedP: channels,
                                   q: bias, expectedQ: channels)
        guard scales.allSatisfy({ $0 > 0 }) else {
            throw GNError(.invalidInput, "int8 weight scales must be positive", layer: layers.count)
        }
        // Blob Q holds the scales, then the bias.
        layer.p = nil
        layer.q = scales + (bias ?? [])
        layer.integerP = weights
        layers.append(layer)
        return layers.count
    }
}

/// Little-endian writes into a byte array.
private struct ByteWriter {
    var bytes: [UInt8]

    mutating func u16(_ value: UInt16, at offset: Int) { put(UInt64(value), 2, at: offset) }
    mutating func u32(_ value: UInt32, at offset: Int) { put(UInt64(value), 4, at: offset) }
    mutating func u64(_ value: UInt64, at offset: Int) { put(value, 8, at: offset) }

    mutating func floats(_ values: [Float], at offset: Int) {
        for (index, value) in values.enumerated() { u32(value.bitPattern, at: offset + index * 4) }
    }

    private mutating func put(_ value: UInt64, _ width: Int, at offset: Int) {
        for byte in 0..<width { bytes[offset + byte] = UInt8(truncatingIfNeeded: value >> (8 * byte)) }
    }
}
