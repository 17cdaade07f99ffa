// `accumulator + a · b` for the convolution and linear kernels.
//
// With GN_FMA defined (the build scripts define it when they compile for a CPU that has fused
// multiply-add), this is one fused multiply-add, rounded once. Without it, a multiplication and an
// addition: never a call to libm's fmaf, which is what `addingProduct` becomes on a target without FMA.
// Every kernel that sums products goes through these, so all of them round alike in a given build.

@inline(__always)
func multiplyAdd(_ accumulator: Float, _ a: Float, _ b: Float) -> Float {
    #if GN_FMA
    accumulator.addingProduct(a, b)
    #else
    accumulator + a * b
    #endif
}

@inline(__always)
func multiplyAdd(_ accumulator: SIMD16<Float>, _ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
    #if GN_FMA
    accumulator.addingProduct(a, b)
    #else
    accumulator + a * b
    #endif
}
