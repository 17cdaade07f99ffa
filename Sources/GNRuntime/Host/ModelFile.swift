#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import GNRuntimeCore

/// Reads a whole model file into aligned heap memory.
enum ModelFile {
    /// The contents of the file at `path` in memory from `AlignedMemory` (the caller frees it).
    static func contents(atPath path: UnsafePointer<CChar>) throws(GNError) -> UnsafeMutableRawBufferPointer {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw GNError(.ioError, "cannot open the model file") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            throw GNError(.ioError, "the model path is not a regular file")
        }
        guard let size = Int(exactly: status.st_size), size >= 0 else {
            throw GNError(.ioError, "the model file is too large")
        }
        let memory = try AlignedMemory.allocate(byteCount: size)
        var done = 0
        while done < size {
            let got = read(descriptor, memory + done, size - done)
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else {
                AlignedMemory.release(memory)
                throw GNError(.ioError, "cannot read the whole model file", expected: size, actual: done)
            }
            done += got
        }
        return UnsafeMutableRawBufferPointer(start: memory, count: size)
    }
}
