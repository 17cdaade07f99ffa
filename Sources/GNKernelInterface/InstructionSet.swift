/// The instruction sets kernels are compiled for. The library carries one build of its kernels per
/// instruction set of its architecture, picks at run time the widest one the CPU has, and can be told
/// to go no wider (`SessionOptions.instructionSet`). Raw values are the C ABI's `gn_isa`, which never
/// change; the order from narrow to wide is `narrower`'s, not the raw values'.
public enum InstructionSet: UInt32, Sendable, Comparable {
    /// What every CPU of the architecture runs: x86-64 (SSE2, no fused multiply-add) on x86-64; the
    /// target's default elsewhere (NEON with fused multiply-add on AArch64).
    case baseline = 1
    /// x86-64-v3: AVX2 and FMA (with BMI1/2, F16C, LZCNT, MOVBE), Intel Haswell and AMD Excavator on.
    case avx2 = 2
    /// x86-64-v4: AVX-512 F, BW, CD, DQ and VL, Intel Skylake-SP and AMD Zen 4 on.
    case avx512 = 3
    /// x86-64-v4 and AVX-512 VNNI (u8 × s8 dot products into int32, `vpdpbusd`), Intel Cascade Lake and
    /// AMD Zen 4 on: the AVX-512 kernels, and integer kernels of their own for int8 layers.
    case avx512vnni = 4
    /// x86-64-v3 and AVX-VNNI (`vpdpbusd` on 256-bit vectors), Intel Alder Lake and AMD Zen 5 on, for
    /// CPUs without AVX-512: the AVX2 kernels, and the int8 kernels on AVX-VNNI. Narrower than AVX-512.
    case avx2vnni = 5

    /// The widest set of the library's order.
    public static let widest = InstructionSet.avx512vnni

    /// The next narrower set, or nil for the baseline: baseline < avx2 < avx2vnni < avx512 < avx512vnni.
    public var narrower: InstructionSet? {
        switch self {
        case .baseline: return nil
        case .avx2: return .baseline
        case .avx2vnni: return .avx2
        case .avx512: return .avx2vnni
        case .avx512vnni: return .avx512
        }
    }

    /// The position in that order (0 for the baseline).
    public var rank: Int {
        var rank = 0
        var set = self
        while let next = set.narrower {
            rank += 1
            set = next
        }
        return rank
    }

    /// The name used in messages, the C API and the Python binding.
    public var name: StaticString {
        switch self {
        case .baseline: return "baseline"
        case .avx2: return "avx2"
        case .avx512: return "avx512"
        case .avx512vnni: return "avx512vnni"
        case .avx2vnni: return "avx2vnni"
        }
    }

    /// Whether kernels of this set sum products with fused multiply-add (rounded once). Variants that
    /// do give results equal to one another bit for bit; a variant that does not rounds each product
    /// first (docs/semantics.md, "Arithmetic").
    public var fusesMultiplyAdd: Bool {
        switch self {
        case .baseline:
            #if arch(arm64)
            return true
            #else
            return false
            #endif
        case .avx2, .avx2vnni, .avx512, .avx512vnni:
            return true
        }
    }

    public static func < (left: InstructionSet, right: InstructionSet) -> Bool { left.rank < right.rank }
}

#if !hasFeature(Embedded)
// Every case, for tests and tools (a list allocates, which Embedded Swift builds refuse).
extension InstructionSet: CaseIterable {}
#endif
