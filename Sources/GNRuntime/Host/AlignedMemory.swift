#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import GNRuntimeCore

/// Heap memory aligned for the runtime (64 bytes), whose allocation failure is an error, not a trap.
enum AlignedMemory {
    /// `byteCount` bytes aligned to 64, or `outOfMemory`. Free with `release`.
    static func allocate(byteCount: Int) throws(GNError) -> UnsafeMutableRawPointer {
        var pointer: UnsafeMutableRawPointer? = nil
        let result = posix_memalign(&pointer, ArenaLayout.alignment, max(byteCount, 1))
        guard result == 0, let pointer else {
            throw GNError(.outOfMemory, "could not allocate memory", expected: byteCount)
        }
        return pointer
    }

    /// Frees memory from `allocate`.
    static func release(_ pointer: UnsafeMutableRawPointer) {
        free(pointer)
    }
}
