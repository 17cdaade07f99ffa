// `accumulator + a · b` for the convolution and linear kernels.
//
// In a variant compiled for a CPU with fused multiply-add (the AVX2 and AVX-512 kernel targets define
// GN_FMA; AArch64 always has it), this is one fused multiply-add, rounded once. Otherwise a
// multiplication and an addition: never a call to libm's fmaf, which is what `addingProduct` becomes on
// a target without FMA. Every kernel that sums products goes through these, so all kernels of one
// variant round alike.

@inline(__always)
func multiplyAdd(_ accumulator: Float, _ a: Float, _ b: Float) -> Float {
    #if GN_FMA || arch(arm64)
    accumulator.addingProduct(a, b)
    #else
    accumulator + a * b
    #endif
}

@inline(__always)
func multiplyAdd(_ accumulator: SIMD16<Float>, _ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
    #if GN_FMA || arch(arm64)
    accumulator.addingProduct(a, b)
    #else
    accumulator + a * b
    #endif
}
