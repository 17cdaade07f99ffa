// Loads and stores of 16 floats at any alignment, and requests for cache lines ahead: the vector memory
// access of every SIMD kernel.
#if GN_FMA
import GNIntrinsics
#endif

extension SIMD16 where Scalar == Float {
    /// 16 floats from `pointer`, any alignment.
    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>) -> Self {
        UnsafeRawPointer(pointer).loadUnaligned(as: Self.self)
    }

    /// Writes the 16 floats to `pointer`, any alignment.
    @inline(__always)
    func store(_ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: self, as: Self.self)
    }
}

/// Asks for the cache line of `address` ahead of its load (x86-64; elsewhere nothing); never faults, so
/// `address` may lie past the end of its buffer.
@inline(__always)
func prefetchLine(_ address: UnsafeRawPointer) {
    #if GN_FMA
    gn_prefetch(address)
    #endif
}
