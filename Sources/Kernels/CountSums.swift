#if GN_ARM_DSP
import GNIntrinsics
#endif

/// The int32 sums of eight consecutive output channels, built value by value for
/// `IntegerConvolutionCounts`: a `Run` adds up the int8 weight rows of inputs that share one value, and
/// `add(_:times:)` adds the run's sums times that value. Integer sums are exact in any order, so every
/// form gives the same sums.
///
/// With the Cortex-M4's DSP instructions (`GN_ARM_DSP`, scripts/embedded.sh) a run keeps its sums in
/// 16-bit halves — channels (0, 2), (1, 3), (4, 6), (5, 7) — and adds a weight row with two loads and
/// four `sxtab16` (each adds two sign-extended bytes to two halves); `smlabb`/`smlatb` multiply each half
/// by the value into the int32 sums. A run takes at most `IntegerConvolutionCounts.inputsPerRun`
/// inputs, so that no half overflows. Elsewhere a run is eight int32 additions per input.
struct CountSums {
    var sum0: Int32 = 0, sum1: Int32 = 0, sum2: Int32 = 0, sum3: Int32 = 0
    var sum4: Int32 = 0, sum5: Int32 = 0, sum6: Int32 = 0, sum7: Int32 = 0

    /// Calls `body` with each channel (0 … 7) and its sum, in straight-line code.
    @inline(__always)
    func forEachSum(_ body: (_ lane: Int, _ sum: Int32) -> Void) {
        body(0, sum0); body(1, sum1); body(2, sum2); body(3, sum3)
        body(4, sum4); body(5, sum5); body(6, sum6); body(7, sum7)
    }

    /// The weight rows of a run of inputs with one value, added up.
    struct Run {
        #if GN_ARM_DSP
        /// Channels 0 and 2, 1 and 3, 4 and 6, 5 and 7, each in a 16-bit half (the first low).
        var even0: Int32 = 0, odd0: Int32 = 0, even1: Int32 = 0, odd1: Int32 = 0
        #else
        var lane0: Int32 = 0, lane1: Int32 = 0, lane2: Int32 = 0, lane3: Int32 = 0
        var lane4: Int32 = 0, lane5: Int32 = 0, lane6: Int32 = 0, lane7: Int32 = 0
        #endif

        /// Adds the eight int8 weights at `row`. Unsafe pointers and intrinsics on purpose: the innermost
        /// loop of `IntegerConvolutionCounts`.
        @inline(__always)
        mutating func add(_ row: UnsafePointer<Int8>) {
            #if GN_ARM_DSP
            let low = UnsafeRawPointer(row).loadUnaligned(as: UInt32.self)
            let high = UnsafeRawPointer(row + 4).loadUnaligned(as: UInt32.self)
            even0 = __sxtab16(even0, Int32(bitPattern: low))
            odd0 = __sxtab16(odd0, Int32(bitPattern: __ror(low, 8)))
            even1 = __sxtab16(even1, Int32(bitPattern: high))
            odd1 = __sxtab16(odd1, Int32(bitPattern: __ror(high, 8)))
            #else
            // Wrapping operations: the planner proved the sums fit int32; no overflow checks in the loop.
            lane0 &+= Int32(row[0]); lane1 &+= Int32(row[1]); lane2 &+= Int32(row[2]); lane3 &+= Int32(row[3])
            lane4 &+= Int32(row[4]); lane5 &+= Int32(row[5]); lane6 &+= Int32(row[6]); lane7 &+= Int32(row[7])
            #endif
        }
    }

    /// Adds `value` times each of `run`'s sums.
    @inline(__always)
    mutating func add(_ run: Run, times value: Int32) {
        #if GN_ARM_DSP
        sum0 = __smlabb(run.even0, value, sum0); sum2 = __smlatb(run.even0, value, sum2)
        sum1 = __smlabb(run.odd0, value, sum1); sum3 = __smlatb(run.odd0, value, sum3)
        sum4 = __smlabb(run.even1, value, sum4); sum6 = __smlatb(run.even1, value, sum6)
        sum5 = __smlabb(run.odd1, value, sum5); sum7 = __smlatb(run.odd1, value, sum7)
        #else
        sum0 &+= run.lane0 &* value; sum1 &+= run.lane1 &* value; sum2 &+= run.lane2 &* value; sum3 &+= run.lane3 &* value
        sum4 &+= run.lane4 &* value; sum5 &+= run.lane5 &* value; sum6 &+= run.lane6 &* value; sum7 &+= run.lane7 &* value
        #endif
    }
}
