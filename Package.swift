// swift-tools-version:6.0
import PackageDescription

// The kernels (Sources/Kernels) are compiled once per instruction set, each build a module of its own;
// the runtime detects the CPU and runs the widest it can (Sources/GNRuntimeCore/Plan/KernelRegistry.swift).
// The target directory of each variant holds one symbolic link to the shared sources. The benchmark's
// peak loop (Sources/BenchmarkPeak) is built the same way.
struct InstructionSetVariant {
    /// The suffix of the variant's module names.
    var name: String
    /// What the compiler is told.
    var settings: [SwiftSetting]
    /// Whether the kernels call intrinsics (GNIntrinsics) rather than leave the instructions to the
    /// vectoriser.
    var usesIntrinsics = false
    /// Whether the benchmark's FP32 peak loop has a build of this variant (one whose FP32 code differs).
    var hasPeakLoop = true
}

/// GNRUNTIME_NATIVE=1 compiles everything for the building CPU instead, for comparison only
/// (docs/benchmarks.md): the library then runs on that CPU alone.
let native = Context.environment["GNRUNTIME_NATIVE"] == "1"
let nativeSettings: [SwiftSetting] = native ? [.unsafeFlags(["-target-cpu", "native"])] : []

// The architecture's baseline: every CPU of it runs this (SSE2 on x86-64).
var variants = [InstructionSetVariant(name: "Baseline", settings: nativeSettings)]
#if arch(x86_64)
variants += [
    // x86-64-v3: AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE.
    // The x86-64 variants reach the int8 kernels' byte dot products through intrinsics (GNIntrinsics).
    InstructionSetVariant(name: "AVX2", settings: [.define("GN_FMA"),
                                                   .unsafeFlags(native ? ["-target-cpu", "native"] : ["-Xcc", "-march=x86-64-v3"])],
                          usesIntrinsics: true),
    // x86-64-v4: x86-64-v3 and AVX-512 F, BW, CD, DQ, VL.
    // GN_AVX512: 32 vector registers of 16 floats, for the kernels' tile shapes.
    InstructionSetVariant(name: "AVX512", settings: [.define("GN_FMA"), .define("GN_AVX512"),
                                                     .unsafeFlags(native ? ["-target-cpu", "native"] : ["-Xcc", "-march=x86-64-v4"])],
                          usesIntrinsics: true),
    // x86-64-v4 and AVX-512 VNNI: the AVX-512 kernels, and int8 kernels on vpdpbusd (GN_VNNI), which
    // they reach through the intrinsics of the toolchain's clang headers.
    InstructionSetVariant(name: "AVX512VNNI",
                          settings: [.define("GN_FMA"), .define("GN_AVX512"), .define("GN_VNNI"),
                                     .unsafeFlags(native ? ["-target-cpu", "native"]
                                                         : ["-Xcc", "-march=x86-64-v4", "-Xcc", "-mavx512vnni"])],
                          usesIntrinsics: true, hasPeakLoop: false),
    // x86-64-v3 and AVX-VNNI: the AVX2 kernels, and int8 kernels on 256-bit vpdpbusd (GN_AVXVNNI).
    InstructionSetVariant(name: "AVX2VNNI",
                          settings: [.define("GN_FMA"), .define("GN_AVXVNNI"),
                                     .unsafeFlags(native ? ["-target-cpu", "native"]
                                                         : ["-Xcc", "-march=x86-64-v3", "-Xcc", "-mavxvnni"])],
                          usesIntrinsics: true, hasPeakLoop: false),
]
#endif
let kernelVariants: [Target] = variants.map {
    .target(name: "GNKernels\($0.name)", dependencies: ["GNKernelInterface"] + ($0.usesIntrinsics ? ["GNIntrinsics"] : []),
            swiftSettings: $0.settings)
}
let peakVariants: [Target] = variants.filter(\.hasPeakLoop).map {
    .target(name: "BenchmarkPeak\($0.name)", swiftSettings: $0.settings)
}

let package = Package(
    name: "GNRuntime",
    products: [
        // libgnruntime.so: the library C programs and Python (ctypes) load.
        .library(name: "gnruntime", type: .dynamic, targets: ["GNRuntime"]),
        // libgnruntime_static.a: the same code as a static archive.
        .library(name: "gnruntime_static", type: .static, targets: ["GNRuntime"]),
        // For Swift packages that depend on this one: `import GNRuntimeC` gives the C API of
        // include/gnruntime.h, and the library comes with it (examples/swift).
        .library(name: "GNRuntime", targets: ["GNRuntime", "GNRuntimeC"]),
        // Writes a small demo model (random dyadic weights) for the C example.
        .executable(name: "gnruntime-demo-model", targets: ["gnruntime-demo-model"]),
    ],
    targets: kernelVariants + peakVariants + [
        // Carries the public C header (include/gnruntime.h) so that Swift and C share one declaration.
        .target(name: "GNRuntimeC"),
        // Which instruction sets the CPU runs (cpuid and XGETBV), for choosing kernel variants; the
        // spin-wait hint of the thread pool.
        .target(name: "GNCPUFeatures"),
        // The x86 intrinsics of the toolchain's clang (<immintrin.h>), for the kernel variants that call
        // them; a header only.
        .target(name: "GNIntrinsics"),
        // What kernels and the planner share: the sizes of work, the kernel signature, the questions
        // the planner asks and the answers kernels give, instruction sets, neuron kinds.
        .target(name: "GNKernelInterface", swiftSettings: nativeSettings),
        // The core: model, plan, session. Imports nothing of the system and never allocates, so it
        // also compiles in Embedded Swift (scripts/embedded.sh).
        .target(name: "GNRuntimeCore",
                dependencies: ["GNKernelInterface", "GNCPUFeatures"] + kernelVariants.map { .target(name: $0.name) },
                swiftSettings: nativeSettings),
        // The host layer over the core (memory, files, threads) and the C API.
        .target(name: "GNRuntime", dependencies: ["GNRuntimeCore", "GNRuntimeC", "GNCPUFeatures"],
                swiftSettings: nativeSettings),
        // Writes model files in code and builds the paper's architectures: for tests and tools, not shipped.
        .target(name: "GNModelBuilder", dependencies: ["GNRuntimeCore"]),
        .executableTarget(name: "gnruntime-demo-model", dependencies: ["GNModelBuilder", "GNRuntimeCore"]),
        .executableTarget(name: "gnruntime-bench",
                          dependencies: ["GNRuntime", "GNRuntimeC", "GNRuntimeCore", "GNKernelInterface", "GNModelBuilder"]
                              + peakVariants.map { .target(name: $0.name) }),
        // The libFuzzer target over the C API (scripts/fuzz.sh builds it with --sanitize fuzzer); a plain
        // build replays saved inputs.
        .executableTarget(name: "gnruntime-fuzz", dependencies: ["GNRuntime", "GNRuntimeC"], path: "fuzz",
                          exclude: ["corpus", "make_corpus.py"]),
        // Counts heap calls on the calling thread; linked into the tests only.
        .target(name: "MallocCounter", path: "Tests/MallocCounter"),
        .testTarget(name: "GNRuntimeTests",
                    dependencies: ["GNRuntime", "GNRuntimeCore", "GNRuntimeC", "GNModelBuilder", "MallocCounter"]
                        + kernelVariants.map { .target(name: $0.name) }),
    ]
)
