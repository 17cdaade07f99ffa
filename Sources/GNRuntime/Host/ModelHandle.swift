import GNRuntimeCore

/// A model as C callers hold it: a validated view plus, unless borrowed, the memory it views.
/// Immutable after creation; sessions keep it alive by holding a reference.
final class ModelHandle {
    /// The validated model.
    let view: ModelView
    /// The memory the view reads, when the handle owns it (nil when the bytes are borrowed).
    private let ownedBytes: UnsafeMutableRawPointer?

    private init(view: ModelView, ownedBytes: UnsafeMutableRawPointer?) {
        self.view = view
        self.ownedBytes = ownedBytes
    }

    deinit {
        if let ownedBytes { AlignedMemory.release(ownedBytes) }
    }

    /// Validates `bytes` in place; they must outlive the handle.
    static func borrowing(_ bytes: UnsafeRawBufferPointer, verifyChecksum: Bool) throws(GNError) -> ModelHandle {
        ModelHandle(view: try ModelView(validating: bytes, verifyChecksum: verifyChecksum), ownedBytes: nil)
    }

    /// Copies `bytes` into aligned memory of its own, then validates them.
    static func copying(_ bytes: UnsafeRawBufferPointer, verifyChecksum: Bool) throws(GNError) -> ModelHandle {
        let memory = try AlignedMemory.allocate(byteCount: bytes.count)
        if let source = bytes.baseAddress {
            memory.copyMemory(from: source, byteCount: bytes.count)
        }
        return try adopting(UnsafeMutableRawBufferPointer(start: memory, count: bytes.count), verifyChecksum: verifyChecksum)
    }

    /// Reads the file at `path`, then validates it.
    static func loading(path: UnsafePointer<CChar>, verifyChecksum: Bool) throws(GNError) -> ModelHandle {
        try adopting(ModelFile.contents(atPath: path), verifyChecksum: verifyChecksum)
    }

    /// Takes ownership of `memory` (from `AlignedMemory`), freeing it if validation fails, and packs
    /// the weights of its conv2d and linear layers for the tiled kernels (it is the handle's own copy).
    private static func adopting(_ memory: UnsafeMutableRawBufferPointer, verifyChecksum: Bool) throws(GNError) -> ModelHandle {
        do {
            var view = try ModelView(validating: UnsafeRawBufferPointer(memory), verifyChecksum: verifyChecksum)
            if blobsAreDisjoint(view) {
                try packWeights(of: view)
                view.weightsArePacked = true
            }
            return ModelHandle(view: view, ownedBytes: memory.baseAddress)
        } catch {
            if let base = memory.baseAddress { AlignedMemory.release(base) }
            throw error
        }
    }

    /// Whether no two blobs of the model overlap (the format allows shared blobs; packing one in place
    /// would then change another).
    private static func blobsAreDisjoint(_ view: ModelView) -> Bool {
        var ranges: [(start: UnsafeRawPointer, end: UnsafeRawPointer)] = []
        for index in 0..<view.layerCount {
            let layer = view.layer(index)
            let inputChannels = view.shape(ofTensor: layer.inputA).channels
            switch layer.kind {
            case .conv2d, .linear:
                let count = max(1, layer.kernelHeight * layer.kernelWidth) * inputChannels * layer.output.channels
                if let weights = layer.weights { ranges.append((UnsafeRawPointer(weights), UnsafeRawPointer(weights + count))) }
                if let weights = layer.integerWeights {
                    ranges.append((UnsafeRawPointer(weights), UnsafeRawPointer(weights + count)))
                }
                // An int8 layer's scales and bias are one blob, the bias right after the scales.
                if let floats = layer.weightScales ?? layer.bias {
                    let count = layer.output.channels * (layer.weightScales != nil && layer.bias != nil ? 2 : 1)
                    ranges.append((UnsafeRawPointer(floats), UnsafeRawPointer(floats + count)))
                }
            case .affine:
                if let scale = layer.weights { ranges.append((UnsafeRawPointer(scale), UnsafeRawPointer(scale + inputChannels))) }
                if let shift = layer.bias { ranges.append((UnsafeRawPointer(shift), UnsafeRawPointer(shift + inputChannels))) }
            default:
                break
            }
        }
        ranges.sort { $0.start < $1.start }
        for index in ranges.indices.dropFirst() where ranges[index].start < ranges[index - 1].end {
            return false
        }
        return true
    }

    /// Rewrites, in place, the weights of every conv2d and linear layer whose output channels come in
    /// whole blocks into `WeightLayout.packed`. The view must be over memory this handle owns.
    private static func packWeights(of view: ModelView) throws(GNError) {
        var largest = 0
        for index in 0..<view.layerCount {
            let layer = view.layer(index)
            guard layer.kind == .conv2d || layer.kind == .linear else { continue }
            largest = max(largest, max(1, layer.kernelHeight * layer.kernelWidth)
                          * view.shape(ofTensor: layer.inputA).channels * layer.output.channels)
        }
        guard largest > 0 else { return }
        let copy = try AlignedMemory.allocate(byteCount: largest * MemoryLayout<Float>.stride)
        defer { AlignedMemory.release(copy) }
        let original = copy.assumingMemoryBound(to: Float.self)
        for index in 0..<view.layerCount {
            let layer = view.layer(index)
            guard layer.kind == .conv2d || layer.kind == .linear, let weights = layer.weights,
                  let lanes = WeightLayout.packingLanes(outputChannels: layer.output.channels) else { continue }
            let taps = max(1, layer.kernelHeight * layer.kernelWidth)
            let inputChannels = view.shape(ofTensor: layer.inputA).channels
            let count = taps * inputChannels * layer.output.channels
            original.update(from: weights, count: count)
            WeightLayout.pack(original, into: UnsafeMutablePointer(mutating: weights), taps: taps,
                              inputChannels: inputChannels, outputChannels: layer.output.channels, lanes: lanes)
        }
    }
}
