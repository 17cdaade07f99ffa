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
        .target(
            name: "GNRuntime",
            dependencies: ["GNRuntimeC"]
        ),
        .executableTarget(name: "gnruntime-demo-model", dependencies: ["GNRuntime"]),
        .executableTarget(name: "gnruntime-bench", dependencies: ["GNRuntime", "GNRuntimeC"]),
        // Counts heap calls on the calling thread; linked into the tests only.
        .target(name: "MallocCounter", path: "Tests/MallocCounter"),
        .testTarget(name: "GNRuntimeTests", dependencies: ["GNRuntime", "GNRuntimeC", "MallocCounter"]),
    ]
)
