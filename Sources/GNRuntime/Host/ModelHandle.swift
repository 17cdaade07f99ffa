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

    /// Takes ownership of `memory` (from `AlignedMemory`), freeing it if validation fails.
    private static func adopting(_ memory: UnsafeMutableRawBufferPointer, verifyChecksum: Bool) throws(GNError) -> ModelHandle {
        do {
            let view = try ModelView(validating: UnsafeRawBufferPointer(memory), verifyChecksum: verifyChecksum)
            return ModelHandle(view: view, ownedBytes: memory.baseAddress)
        } catch {
            if let base = memory.baseAddress { AlignedMemory.release(base) }
            throw error
        }
    }
}
