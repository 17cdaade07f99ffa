#if GN_ARM_DSP
import GNIntrinsics
#endif

/// The int32 sums of sixteen consecutive output channels (in memory: `sums`), built value by value for
/// `IntegerConvolutionCounts`: a `Run` adds up the int8 weight rows of inputs that share one value, and
/// `add(_:times:)` adds the run's sums times that value. Integer sums are exact in any order, so every
/// form gives the same sums.
///
/// A run keeps its sums in 16 bits, wrapping as the DSP instructions do, and takes at most
/// `IntegerConvolutionCounts.inputsPerRun` inputs, so that none overflows. With the Cortex-M4's DSP
/// instructions (`GN_ARM_DSP`, scripts/embedded.sh) they are the halves of eight registers — channels
/// (0, 2), (1, 3), (4, 6), (5, 7), … — and a weight row is four loads and eight `sxtab16` (each adds two
/// sign-extended bytes to two halves); `smlabb`/`smlatb` multiply each half by the value into the int32
/// sums. Elsewhere a run is sixteen int32 additions per input, cut to their low 16 bits when they join
/// the sums, so that the host's tests see the limits of the microcontroller's halves.
struct CountSums {
    /// The sums, channel by channel: the sixteen `Int32` the caller provides (scratch memory), since a
    /// run's sums take the registers.
    let sums: UnsafeMutablePointer<Int32>

    /// Sums at `sums`, set to zero.
    @inline(__always)
    init(_ sums: UnsafeMutablePointer<Int32>) {
        self.sums = sums
        sums.update(repeating: 0, count: 16)
    }

    /// The weight rows of a run of inputs with one value, added up.
    struct Run {
        #if GN_ARM_DSP
        /// For each four channels 4j … 4j + 3 (j = 0 … 3): channels 4j and 4j + 2 (`evenj`), 4j + 1 and
        /// 4j + 3 (`oddj`), each in a 16-bit half (the first low).
        var even0: Int32 = 0, odd0: Int32 = 0, even1: Int32 = 0, odd1: Int32 = 0
        var even2: Int32 = 0, odd2: Int32 = 0, even3: Int32 = 0, odd3: Int32 = 0
        #else
        /// The sixteen channels' sums; their low 16 bits are the run's (see `add(_:times:)`).
        var lanes = InlineArray<16, Int32>(repeating: 0)
        #endif

        /// Adds the sixteen int8 weights at `row`. Unsafe pointers and intrinsics on purpose: the
        /// innermost loop of `IntegerConvolutionCounts`.
        @inline(__always)
        mutating func add(_ row: UnsafePointer<Int8>) {
            #if GN_ARM_DSP
            let raw = UnsafeRawPointer(row)
            let word0 = raw.loadUnaligned(as: UInt32.self)
            even0 = __sxtab16(even0, Int32(bitPattern: word0))
            odd0 = __sxtab16(odd0, Int32(bitPattern: __ror(word0, 8)))
            let word1 = raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
            even1 = __sxtab16(even1, Int32(bitPattern: word1))
            odd1 = __sxtab16(odd1, Int32(bitPattern: __ror(word1, 8)))
            let word2 = raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
            even2 = __sxtab16(even2, Int32(bitPattern: word2))
            odd2 = __sxtab16(odd2, Int32(bitPattern: __ror(word2, 8)))
            let word3 = raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self)
            even3 = __sxtab16(even3, Int32(bitPattern: word3))
            odd3 = __sxtab16(odd3, Int32(bitPattern: __ror(word3, 8)))
            #else
            // Wrapping operations: only the low 16 bits are read, as `sxtab16`'s halves.
            for lane in 0..<16 { lanes[lane] &+= Int32(row[lane]) }
            #endif
        }
    }

    /// Adds `value` times each of `run`'s sums.
    @inline(__always)
    func add(_ run: Run, times value: Int32) {
        #if GN_ARM_DSP
        fold(run.even0, run.odd0, times: value, into: 0)
        fold(run.even1, run.odd1, times: value, into: 4)
        fold(run.even2, run.odd2, times: value, into: 8)
        fold(run.even3, run.odd3, times: value, into: 12)
        #else
        // The lanes' low 16 bits, as the halves of the DSP form hold them (32-bit additions, then cut to
        // 16 bits, wrap as 16-bit additions do).
        for lane in 0..<16 { sums[lane] &+= Int32(Int16(truncatingIfNeeded: run.lanes[lane])) &* value }
        #endif
    }

    #if GN_ARM_DSP
    /// Adds `value` times the halves of `even` and `odd` to channels `first` … `first + 3`.
    @inline(__always)
    private func fold(_ even: Int32, _ odd: Int32, times value: Int32, into first: Int) {
        sums[first] = __smlabb(even, value, sums[first])
        sums[first + 1] = __smlabb(odd, value, sums[first + 1])
        sums[first + 2] = __smlatb(even, value, sums[first + 2])
        sums[first + 3] = __smlatb(odd, value, sums[first + 3])
    }
    #endif
}
