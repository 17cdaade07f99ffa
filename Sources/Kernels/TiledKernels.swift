/// Whether this build runs convolution and linear layers with the register-tiled SIMD kernels
/// (`ConvolutionTiled`, `Linear.blocked`) or with the reference kernels only. Both give the same
/// results, bit for bit.
///
/// Microcontrollers (Embedded Swift builds) have no vector unit: the tiles spill to the stack, and the
/// reference kernels, which skip zero spikes as well, execute about a fifth fewer instructions on a
/// Cortex-M4 (docs/embedded.md) in a fraction of the code. A constant, so that a build without the
/// tiled kernels leaves their code out.
enum TiledKernels {
    #if hasFeature(Embedded)
    static let available = false
    #else
    static let available = true
    #endif
}
