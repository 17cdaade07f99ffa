// swift-tools-version:6.0
// A Swift package that uses GNRuntime: it depends on the GNRuntime package and calls its C API from
// Swift (`import GNRuntimeC`). In a project of your own, depend on the repository by URL and version:
//     .package(url: "https://github.com/OWNER/gnruntime.git", from: "0.5.0")
// Here it depends on the checkout this folder sits in, under the name `gnruntime` (scripts/consumers.sh
// links it so).
import PackageDescription

let package = Package(
    name: "classify-swift",
    dependencies: [.package(path: "gnruntime")],
    targets: [
        .executableTarget(name: "classify-swift",
                          dependencies: [.product(name: "GNRuntime", package: "gnruntime")]),
    ]
)
