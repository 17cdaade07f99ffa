// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "GNRuntime",
    products: [
        // libgnruntime.so: the library C programs and Python (ctypes) load.
        .library(name: "gnruntime", type: .dynamic, targets: ["GNRuntime"]),
        // libgnruntime_static.a: the same code as a static archive.
        .library(name: "gnruntime_static", type: .static, targets: ["GNRuntime"]),
        // Writes a small demo model (random dyadic weights) for the C example.
        .executable(name: "gnruntime-demo-model", targets: ["gnruntime-demo-model"]),
    ],
    targets: [
        // Carries the public C header (include/gnruntime.h) so that Swift and C share one declaration.
        .target(name: "GNRuntimeC"),
        // Which instruction sets the CPU runs (cpuid and XGETBV), for choosing kernel variants.
        .target(name: "GNCPUFeatures"),
        // What kernels and the planner share: the sizes of work, the kernel signature, the questions
        // the planner asks and the answers kernels give, instruction sets, neuron kinds.
        .target(name: "GNKernelInterface"),
        // The kernels (Sources/Kernels), compiled for the architecture's baseline.
        .target(name: "GNKernelsBaseline", dependencies: ["GNKernelInterface"]),
        // The core: model, plan, session. Imports nothing of the system and never allocates, so it
        // also compiles in Embedded Swift (scripts/embedded.sh).
        .target(name: "GNRuntimeCore", dependencies: ["GNKernelInterface", "GNKernelsBaseline", "GNCPUFeatures"]),
        // The host layer over the core (memory, files, threads) and the C API.
        .target(name: "GNRuntime", dependencies: ["GNRuntimeCore", "GNRuntimeC"]),
        // Writes model files in code and builds the paper's architectures: for tests and tools, not shipped.
        .target(name: "GNModelBuilder", dependencies: ["GNRuntimeCore"]),
        .executableTarget(name: "gnruntime-demo-model", dependencies: ["GNModelBuilder", "GNRuntimeCore"]),
        .executableTarget(name: "gnruntime-bench", dependencies: ["GNRuntime", "GNRuntimeC", "GNRuntimeCore", "GNModelBuilder"]),
        // The libFuzzer target over the C API (scripts/fuzz.sh builds it with --sanitize fuzzer); a plain
        // build replays saved inputs.
        .executableTarget(name: "gnruntime-fuzz", dependencies: ["GNRuntime", "GNRuntimeC"], path: "fuzz",
                          exclude: ["corpus", "make_corpus.py"]),
        // Counts heap calls on the calling thread; linked into the tests only.
        .target(name: "MallocCounter", path: "Tests/MallocCounter"),
        .testTarget(name: "GNRuntimeTests",
                    dependencies: ["GNRuntime", "GNRuntimeCore", "GNRuntimeC", "GNKernelsBaseline", "GNModelBuilder", "MallocCounter"]),
    ]
)
