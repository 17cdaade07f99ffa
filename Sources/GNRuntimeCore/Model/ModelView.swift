/// A validated, read-only view of a model file in memory. It never copies: weights are read in place,
/// so the bytes must stay alive and unchanged as long as the view (and any session using it) is used.
///
/// Creating one checks everything `docs/model-format.md` requires; afterwards every access is safe.
public struct ModelView {
    /// The first byte of the model; 64-byte aligned.
    let base: UnsafeRawPointer
    /// The length of the model in bytes.
    public let byteCount: Int
    /// The number of layers (≥ 1).
    public let layerCount: Int
    /// The shape of one input sample.
    public let inputShape: TensorShape
    /// The number of QCFS layers.
    public private(set) var neuronLayerCount = 0
    /// Whether the weights of the conv2d and linear layers whose output channels come in whole blocks
    /// are in the packed layout (`WeightLayout.packed`) rather than the file's. Set by a host that
    /// repacked its own copy of the bytes after validation.
    package var weightsArePacked = false
    /// Where the layer table starts.
    private let tableOffset: Int

    /// Validates `bytes` as a model file. `verifyChecksum: false` skips only the CRC comparison (for
    /// callers that verified the bytes already); every structural check still runs.
    public init(validating bytes: UnsafeRawBufferPointer, verifyChecksum: Bool = true) throws(GNError) {
        #if _endian(big)
        throw GNError(.unsupported, "big-endian hosts are not supported")
        #else
        guard let base = bytes.baseAddress, bytes.count >= ModelFormat.headerSize else {
            throw GNError(.badModel, "shorter than the 64-byte header", expected: ModelFormat.headerSize, actual: bytes.count)
        }
        guard Int(bitPattern: base) % ModelFormat.blobAlignment == 0 else {
            throw GNError(.misaligned, "model bytes must start at a 64-byte aligned address")
        }
        let reader = ByteReader(base: base)
        guard reader.u32(ModelFormat.Header.magic) == ModelFormat.magic else {
            throw GNError(.badModel, "not a GNRuntime model (magic is not GNRT)")
        }
        let declaredSize = reader.int64(ModelFormat.Header.fileSize)
        guard declaredSize == bytes.count else {
            throw GNError(.badModel, "file size field does not match the number of bytes given",
                          expected: declaredSize ?? -1, actual: bytes.count)
        }
        if verifyChecksum {
            let stored = reader.u32(ModelFormat.Header.checksum)
            guard CRC32.checksum(bytes, zeroingFourBytesAt: ModelFormat.Header.checksum) == stored else {
                throw GNError(.badModel, "checksum mismatch: the model bytes are corrupted")
            }
        }
        // The version after the checksum: a corrupted version byte is corruption, not a newer format.
        let major = reader.u16(ModelFormat.Header.major)
        guard major == ModelFormat.majorVersion else {
            throw GNError(.unsupported, "model format major version is not supported",
                          expected: Int(ModelFormat.majorVersion), actual: Int(major))
        }
        guard reader.u32(ModelFormat.Header.headerSize) == UInt32(ModelFormat.headerSize) else {
            throw GNError(.badModel, "header size field is not 64")
        }
        let layerCount = reader.int32(ModelFormat.Header.layerCount)
        guard (1...ModelFormat.maxLayers).contains(layerCount) else {
            throw GNError(.badModel, "layer count out of range 1...65535", actual: layerCount)
        }
        guard reader.u32(ModelFormat.Header.recordSize) == UInt32(ModelFormat.recordSize) else {
            throw GNError(.badModel, "layer record size field is not 64")
        }
        guard let tableOffset = reader.int64(ModelFormat.Header.tableOffset),
              tableOffset >= ModelFormat.headerSize, tableOffset % 8 == 0, tableOffset <= bytes.count,
              bytes.count - tableOffset >= layerCount * ModelFormat.recordSize
        else {
            throw GNError(.badModel, "layer table lies outside the file")
        }
        let input = TensorShape(channels: reader.int32(ModelFormat.Header.inputChannels),
                                height: reader.int32(ModelFormat.Header.inputHeight),
                                width: reader.int32(ModelFormat.Header.inputWidth))
        guard input.isValid else {
            throw GNError(.badModel, "input shape is empty or too large")
        }
        self.base = base
        self.byteCount = bytes.count
        self.layerCount = layerCount
        self.inputShape = input
        self.tableOffset = tableOffset
        var neurons = 0
        for index in 0..<layerCount {
            let layer = try decodeLayer(index, validating: true)
            if layer.kind == .qcfs { neurons += 1 }
        }
        self.neuronLayerCount = neurons
        #endif
    }

    /// The validated layer at `index` (0 ..< layerCount).
    package func layer(_ index: Int) -> Layer {
        // Validation at init decoded every layer already, so this cannot fail.
        do { return try decodeLayer(index, validating: false) } catch { fatalError("unreachable") }
    }

    /// The shape of tensor `id` (0 = input, i + 1 = output of layer i).
    package func shape(ofTensor id: Int) -> TensorShape {
        id == 0 ? inputShape : storedOutputShape(ofLayer: id - 1)
    }

    /// The shape of the model's output (the last layer's output) for one sample.
    public var outputShape: TensorShape { storedOutputShape(ofLayer: layerCount - 1) }

    /// The model's bytes.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: byteCount) }

    // MARK: - Decoding

    private func recordOffset(_ index: Int) -> Int { tableOffset + index * ModelFormat.recordSize }

    private func storedOutputShape(ofLayer index: Int) -> TensorShape {
        let reader = ByteReader(base: base)
        let record = recordOffset(index)
        return TensorShape(channels: reader.int32(record + ModelFormat.Record.channels),
                           height: reader.int32(record + ModelFormat.Record.height),
                           width: reader.int32(record + ModelFormat.Record.width))
    }

    /// Decodes layer `index`; with `validating`, checks it against the file rules, assuming every
    /// earlier layer passed the same checks.
    private func decodeLayer(_ index: Int, validating: Bool) throws(GNError) -> Layer {
        let reader = ByteReader(base: base)
        let record = recordOffset(index)
        let rawKind = reader.u16(record + ModelFormat.Record.kind)
        guard let kind = LayerKind(rawValue: rawKind) else {
            throw GNError(.badModel, "unknown layer kind", layer: index, actual: Int(rawKind))
        }
        let flags = reader.u16(record + ModelFormat.Record.flags)
        let rawInputA = reader.u32(record + ModelFormat.Record.inputA)
        let rawInputB = reader.u32(record + ModelFormat.Record.inputB)
        let stored = storedOutputShape(ofLayer: index)
        let kernel = (reader.int16(record + ModelFormat.Record.kernelHeight),
                      reader.int16(record + ModelFormat.Record.kernelWidth))
        let stride = (reader.int16(record + ModelFormat.Record.strideHeight),
                      reader.int16(record + ModelFormat.Record.strideWidth))
        let padding = (reader.int16(record + ModelFormat.Record.paddingHeight),
                       reader.int16(record + ModelFormat.Record.paddingWidth))
        let levels = reader.u32(record + ModelFormat.Record.levels)
        let thresholdBits = reader.u32(record + ModelFormat.Record.threshold)
        let blobP = reader.int64(record + ModelFormat.Record.blobP)
        let blobQ = reader.int64(record + ModelFormat.Record.blobQ)

        let hasBias = (flags & ModelFormat.flagHasBias) != 0
        var layer = Layer(kind: kind, inputA: Int(clamping: rawInputA),
                          inputB: rawInputB == ModelFormat.noInput ? -1 : Int(clamping: rawInputB), output: stored)
        layer.kernelHeight = kernel.0
        layer.kernelWidth = kernel.1
        layer.strideHeight = stride.0
        layer.strideWidth = stride.1
        layer.paddingHeight = padding.0
        layer.paddingWidth = padding.1
        layer.levels = Int(clamping: levels)
        layer.threshold = Float(bitPattern: thresholdBits)

        if validating {
            // Inputs: earlier tensors only; a second input for `add` and for nothing else.
            guard rawInputA <= UInt32(index) else {
                throw GNError(.badModel, "input A is not an earlier tensor", layer: index, actual: layer.inputA)
            }
            if kind == .add {
                guard rawInputB <= UInt32(index) else {
                    throw GNError(.badModel, "input B is not an earlier tensor", layer: index)
                }
            } else if rawInputB != ModelFormat.noInput {
                throw GNError(.badModel, "input B is set on a layer with one input", layer: index)
            }
            // Flags and the fields a kind does not use.
            let weighted = kind == .conv2d || kind == .linear
            let allowedFlags: UInt16 = weighted ? ModelFormat.flagHasBias | ModelFormat.flagInt8Weights : 0
            guard flags & ~allowedFlags == 0 else {
                throw GNError(.badModel, "unknown flag bits set", layer: index, actual: Int(flags))
            }
            if flags & ModelFormat.flagInt8Weights != 0 && !isIntegerValued(layer.inputA) {
                throw GNError(.badModel, "int8 weights on a layer whose input is not integer-valued (spike counts or QCFS levels, pooled or flattened); the model input and add or affine outputs need FP32 weights", layer: index)
            }
            if !kind.hasWindow, kernel != (0, 0) || stride != (0, 0) || padding != (0, 0) {
                throw GNError(.badModel, "kernel, stride or padding set on a layer without a window", layer: index)
            }
            if kind == .qcfs {
                guard (1...UInt32(ModelFormat.maxLevels)).contains(levels) else {
                    throw GNError(.badModel, "QCFS levels out of range 1...65535", layer: index, actual: Int(clamping: levels))
                }
                guard layer.threshold.isFinite, layer.threshold > 0 else {
                    throw GNError(.badModel, "QCFS threshold must be finite and positive", layer: index)
                }
            } else if levels != 0 || thresholdBits != 0 {
                throw GNError(.badModel, "levels or threshold set on a layer that is not qcfs", layer: index)
            }
            // Shapes.
            guard stored.isValid else {
                throw GNError(.badModel, "output shape is empty or too large", layer: index)
            }
            let inputShape = shape(ofTensor: layer.inputA)
            let secondShape: TensorShape? = kind == .add ? shape(ofTensor: layer.inputB) : nil
            let expected = try ShapeRules.outputShape(
                kind: kind, input: inputShape, secondInput: secondShape, channels: stored.channels,
                kernel: kernel, stride: stride, padding: padding, layer: index)
            guard expected == stored else {
                throw GNError(.badModel, "stored output shape differs from the computed one", layer: index)
            }
        }

        // Blobs.
        let inputChannels = shape(ofTensor: layer.inputA).channels
        let integer = (flags & ModelFormat.flagInt8Weights) != 0
        var countP: Int? = 0
        var countQ = 0
        // Blob Q of a conv2d or linear layer: its int8 scales (when int8), then its bias (when any).
        let weightedQ = stored.channels * ((hasBias ? 1 : 0) + (integer ? 1 : 0))
        switch kind {
        case .conv2d:
            countP = product(kernel.0, kernel.1, inputChannels, stored.channels)
            countQ = weightedQ
        case .linear:
            countP = product(1, 1, inputChannels, stored.channels)
            countQ = weightedQ
        case .affine:
            countP = inputChannels
            countQ = inputChannels
        default:
            break
        }
        guard let countP else {
            throw GNError(.badModel, "weight count overflows", layer: index)
        }
        let floatsQ = try blob(at: blobQ, count: countQ, layer: index, validating: validating)
        if integer, let floatsQ {
            layer.integerWeights = try int8Blob(at: blobP, count: countP, layer: index, validating: validating)
            layer.weightScales = floatsQ
            layer.bias = hasBias ? floatsQ + stored.channels : nil
            if validating {
                for channel in 0..<stored.channels where !(floatsQ[channel] > 0) {
                    throw GNError(.badModel, "int8 weight scale must be positive (not zero or negative)", layer: index, actual: channel)
                }
            }
        } else {
            layer.weights = try blob(at: blobP, count: countP, layer: index, validating: validating)
            layer.bias = floatsQ
        }
        return layer
    }

    /// Whether tensor `id` holds integers times one scale whatever the session: the output of a qcfs
    /// layer (spike counts, or QCFS levels in ANN mode), pooled or flattened any number of times.
    /// Only called on tensors of layers that passed validation.
    private func isIntegerValued(_ id: Int) -> Bool {
        var tensor = id
        let reader = ByteReader(base: base)
        while tensor > 0 {
            let record = recordOffset(tensor - 1)
            guard let kind = LayerKind(rawValue: reader.u16(record + ModelFormat.Record.kind)) else { return false }
            if kind == .qcfs { return true }
            guard kind.keepsIntegers else { return false }
            tensor = reader.int32(record + ModelFormat.Record.inputA)
        }
        return false
    }

    /// The f32 array of `count` values at `offset`, every one finite; nil when `count` is 0.
    private func blob(at offset: Int?, count: Int, layer: Int, validating: Bool) throws(GNError) -> UnsafePointer<Float>? {
        guard let start = try blobStart(at: offset, count: count, elementSize: 4, layer: layer, validating: validating) else {
            return nil
        }
        let floats = start.assumingMemoryBound(to: Float.self)
        if validating {
            if let index = FiniteValues.firstNonFinite(floats, count: count) {
                throw GNError(.badModel, "blob holds NaN or infinity", layer: layer, actual: index)
            }
        }
        return floats
    }

    /// The int8 array of `count` values at `offset` (every value is valid); nil when `count` is 0.
    private func int8Blob(at offset: Int?, count: Int, layer: Int, validating: Bool) throws(GNError) -> UnsafePointer<Int8>? {
        try blobStart(at: offset, count: count, elementSize: 1, layer: layer, validating: validating)?
            .assumingMemoryBound(to: Int8.self)
    }

    /// Where a blob of `count` elements of `elementSize` bytes at `offset` starts, checked against the
    /// file's rules; nil when `count` is 0 (the offset must then be 0).
    private func blobStart(at offset: Int?, count: Int, elementSize: Int, layer: Int,
                           validating: Bool) throws(GNError) -> UnsafeRawPointer? {
        if count == 0 {
            if validating, offset != 0 {
                throw GNError(.badModel, "blob offset set on a layer that has no such blob", layer: layer)
            }
            return nil
        }
        if validating {
            // `count` is a product of validated dimensions; its byte size may still not fit the file.
            let (bytes, overflow) = count.multipliedReportingOverflow(by: elementSize)
            let tableEnd = tableOffset + layerCount * ModelFormat.recordSize
            guard !overflow, let offset, offset % ModelFormat.blobAlignment == 0, offset >= tableEnd,
                  offset <= byteCount, byteCount - offset >= bytes
            else {
                throw GNError(.badModel, "blob is misaligned, overlaps the table or lies outside the file", layer: layer)
            }
        }
        guard let offset else { throw GNError(.badModel, "blob offset does not fit in memory", layer: layer) }
        return base + offset
    }

    /// `a · b · c · d`, or nil when it overflows `Int`.
    private func product(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> Int? {
        let (ab, o1) = a.multipliedReportingOverflow(by: b)
        let (abc, o2) = ab.multipliedReportingOverflow(by: c)
        let (abcd, o3) = abc.multipliedReportingOverflow(by: d)
        return o1 || o2 || o3 ? nil : abcd
    }
}
