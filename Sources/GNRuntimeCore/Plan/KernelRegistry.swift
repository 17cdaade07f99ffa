import GNKernelInterface
import GNKernelsBaseline
#if canImport(GNKernelsAVX2)
import GNKernelsAVX2
#endif
#if canImport(GNKernelsAVX512)
import GNKernelsAVX512
#endif
#if canImport(GNKernelsAVX512VNNI)
import GNKernelsAVX512VNNI
#endif
#if canImport(GNKernelsAVX2VNNI)
import GNKernelsAVX2VNNI
#endif
#if canImport(GNCPUFeatures)
import GNCPUFeatures
#endif

/// The one place where a layer's kernel is chosen: the kernel variants this build has (one module of
/// the same kernel sources per instruction set), which of them this CPU runs, and, for a layer, the
/// kernel of the widest variant the session allows. The planner asks once per layer and records the
/// answer in the layer's plan.
package enum KernelRegistry {
    /// The widest instruction set this build has kernels for and this CPU runs (cpuid and XGETBV on
    /// x86-64; the baseline elsewhere, and in Embedded Swift).
    package static var widestAvailable: InstructionSet {
        // Widest first, down the library's order (a list of the cases would allocate).
        var candidate: InstructionSet? = InstructionSet.widest
        while let set = candidate {
            if isAvailable(set) { return set }
            candidate = set.narrower
        }
        return .baseline
    }

    /// Whether this build has kernels of `set` and this CPU runs them.
    package static func isAvailable(_ set: InstructionSet) -> Bool {
        switch set {
        case .baseline:
            return true
        case .avx2:
            #if canImport(GNKernelsAVX2) && canImport(GNCPUFeatures)
            return gn_internal_cpu_features() & UInt32(GN_CPU_X86_64_V3) != 0
            #else
            return false
            #endif
        case .avx512:
            #if canImport(GNKernelsAVX512) && canImport(GNCPUFeatures)
            return gn_internal_cpu_features() & UInt32(GN_CPU_X86_64_V4) != 0
            #else
            return false
            #endif
        case .avx512vnni:
            #if canImport(GNKernelsAVX512VNNI) && canImport(GNCPUFeatures)
            let needed = UInt32(GN_CPU_X86_64_V4) | UInt32(GN_CPU_AVX512_VNNI)
            return gn_internal_cpu_features() & needed == needed
            #else
            return false
            #endif
        case .avx2vnni:
            #if canImport(GNKernelsAVX2VNNI) && canImport(GNCPUFeatures)
            let needed = UInt32(GN_CPU_X86_64_V3) | UInt32(GN_CPU_AVX_VNNI)
            return gn_internal_cpu_features() & needed == needed
            #else
            return false
            #endif
        }
    }

    /// The kernel for `query` from the widest variant that is available and no wider than `limit`
    /// (every variant has a kernel for every FP32 operation, so this finds one for those).
    static func kernel(for query: KernelQuery, upTo limit: InstructionSet) -> LayerKernel? {
        // Widest first, down the library's order (a list of the cases would allocate).
        var candidate: InstructionSet? = limit
        while let set = candidate {
            if isAvailable(set), let choice = kernel(for: query, in: set) { return LayerKernel(choice: choice, instructionSet: set) }
            candidate = set.narrower
        }
        return nil
    }

    /// The answer of variant `set` to `query` (nil when this build lacks the variant).
    package static func kernel(for query: KernelQuery, in set: InstructionSet) -> KernelChoice? {
        switch set {
        case .baseline:
            return GNKernelsBaseline.KernelCatalog.kernel(for: query)
        case .avx2:
            #if canImport(GNKernelsAVX2)
            return GNKernelsAVX2.KernelCatalog.kernel(for: query)
            #else
            return nil
            #endif
        case .avx512:
            #if canImport(GNKernelsAVX512)
            return GNKernelsAVX512.KernelCatalog.kernel(for: query)
            #else
            return nil
            #endif
        case .avx512vnni:
            #if canImport(GNKernelsAVX512VNNI)
            return GNKernelsAVX512VNNI.KernelCatalog.kernel(for: query)
            #else
            return nil
            #endif
        case .avx2vnni:
            #if canImport(GNKernelsAVX2VNNI)
            return GNKernelsAVX2VNNI.KernelCatalog.kernel(for: query)
            #else
            return nil
            #endif
        }
    }
}
