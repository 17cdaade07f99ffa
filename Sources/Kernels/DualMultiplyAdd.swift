#if GN_ARM_DSP
import GNIntrinsics
#endif

/// The int32 sums of four consecutive output channels, each gaining two inputs' products per step:
/// `sum[o] += first · w₁[o] + second · w₂[o]`, where `w₁` and `w₂` are the int8 weight rows the two
/// inputs meet. Integer sums are exact in any order, so every form of the step gives the same sums.
///
/// With the Cortex-M4's DSP instructions (`GN_ARM_DSP`, scripts/embedded.sh) a step is one load of
/// each row's four weights, `sxtb16` to widen them in pairs, `pkhbt`/`pkhtb` to pair each channel's two
/// weights, and one `smlad` (dual 16-bit multiply-accumulate) per channel: 14 instructions for 8
/// multiply-accumulates. Elsewhere it is eight multiply-adds.
struct DualMultiplyAdd {
    var sum0: Int32 = 0
    var sum1: Int32 = 0
    var sum2: Int32 = 0
    var sum3: Int32 = 0

    /// The two inputs' integers as one step takes them: `first` in the low 16 bits, `second` in the
    /// high (both at most 32767: `smlad` multiplies signed halves).
    @inline(__always)
    static func integers(_ first: UInt16, _ second: UInt16) -> UInt32 {
        UInt32(first) | UInt32(second) << 16
    }

    /// Adds `first · w₁[o] + second · w₂[o]` for o = 0 … 3, the integers as `integers` packs them.
    /// Unsafe pointers and intrinsics on purpose: the innermost loop of `IntegerConvolutionPairs`.
    @inline(__always)
    mutating func add(_ integers: UInt32, _ w1: UnsafePointer<Int8>, _ w2: UnsafePointer<Int8>) {
        #if GN_ARM_DSP
        let first = UInt32(bitPattern: UnsafeRawPointer(w1).loadUnaligned(as: Int32.self))
        let second = UInt32(bitPattern: UnsafeRawPointer(w2).loadUnaligned(as: Int32.self))
        // Channels 0 and 2, then 1 and 3, widened to 16-bit halves.
        let firstEven = UInt32(bitPattern: __sxtb16(Int32(bitPattern: first)))
        let firstOdd = UInt32(bitPattern: __sxtb16(Int32(bitPattern: __ror(first, 8))))
        let secondEven = UInt32(bitPattern: __sxtb16(Int32(bitPattern: second)))
        let secondOdd = UInt32(bitPattern: __sxtb16(Int32(bitPattern: __ror(second, 8))))
        let multipliers = Int32(bitPattern: integers)
        // Each channel's two weights, w₁ low and w₂ high: pkhbt for the low halves, pkhtb for the high.
        sum0 = __smlad(Int32(bitPattern: firstEven & 0xFFFF | secondEven << 16), multipliers, sum0)
        sum2 = __smlad(Int32(bitPattern: firstEven >> 16 | secondEven & 0xFFFF_0000), multipliers, sum2)
        sum1 = __smlad(Int32(bitPattern: firstOdd & 0xFFFF | secondOdd << 16), multipliers, sum1)
        sum3 = __smlad(Int32(bitPattern: firstOdd >> 16 | secondOdd & 0xFFFF_0000), multipliers, sum3)
        #else
        let first = Int32(integers & 0xFFFF), second = Int32(integers >> 16)
        // Wrapping operations: the planner proved the sums fit int32; no overflow checks in the loop.
        sum0 = sum0 &+ Int32(w1[0]) &* first &+ Int32(w2[0]) &* second
        sum1 = sum1 &+ Int32(w1[1]) &* first &+ Int32(w2[1]) &* second
        sum2 = sum2 &+ Int32(w1[2]) &* first &+ Int32(w2[2]) &* second
        sum3 = sum3 &+ Int32(w1[3]) &* first &+ Int32(w2[3]) &* second
        #endif
    }
}
