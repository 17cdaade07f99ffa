// Loads and stores of 16 floats at any alignment: the vector memory access of every SIMD kernel.

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
