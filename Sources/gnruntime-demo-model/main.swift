// Writes a small demo model for the C examples and tests: a VGG-style QCFS network (conv-QCFS blocks,
// average pooling — or max pooling with --max-pool, for ANN sessions only — and a linear classifier)
// on 3×32×32 inputs, with random weights.
//
//     gnruntime-demo-model OUTPUT [--seed N] [--max-pool]
import GNModelBuilder
import GNRuntimeCore
#if canImport(Glibc)
import Glibc
#endif

func fail(_ message: String) -> Never {
    let line = "gnruntime-demo-model: \(message)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(2)
}

func demoModel(seed: UInt64, maxPool: Bool) throws(GNError) -> [UInt8] {
    var random = SeededRandom(seed: seed)
    func values(_ count: Int, _ bound: Float) -> [Float] { (0..<count).map { _ in random.symmetric(bound) } }

    var builder = ModelBuilder(input: TensorShape(channels: 3, height: 32, width: 32))
    var x = builder.input
    for width in [16, 32, 64] {
        let fanIn = 9 * builder.shape(of: x).channels
        x = try builder.conv2d(x, outputChannels: width, window: Window(kernel: 3, padding: 1),
                               weights: values(fanIn * width, (6 / Float(fanIn)).squareRoot()), bias: values(width, 0.1))
        x = try builder.qcfs(x, levels: 4, threshold: 1)
        x = maxPool ? try builder.maxPool2d(x, window: Window(kernel: 2, stride: 2))
                    : try builder.avgPool2d(x, window: Window(kernel: 2, stride: 2))
    }
    x = try builder.flatten(x)
    let features = builder.shape(of: x).channels
    _ = try builder.linear(x, outputs: 10, weights: values(features * 10, (6 / Float(features)).squareRoot()),
                           bias: values(10, 0.1))
    return builder.serialize()
}

func main() {
    var arguments = Array(CommandLine.arguments.dropFirst())
    var seed: UInt64 = 7
    let maxPool = arguments.contains("--max-pool")
    arguments.removeAll { $0 == "--max-pool" }
    if let flag = arguments.firstIndex(of: "--seed") {
        guard flag + 1 < arguments.count, let value = UInt64(arguments[flag + 1]) else { fail("--seed needs a number") }
        seed = value
        arguments.removeSubrange(flag...(flag + 1))
    }
    guard arguments.count == 1 else { fail("usage: gnruntime-demo-model OUTPUT [--seed N] [--max-pool]") }
    let bytes: [UInt8]
    do {
        bytes = try demoModel(seed: seed, maxPool: maxPool)
    } catch {
        fail("could not build the model: \(error.message)")
    }
    guard let file = fopen(arguments[0], "wb") else { fail("cannot open \(arguments[0]) for writing") }
    let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    guard written == bytes.count, fclose(file) == 0 else { fail("cannot write \(arguments[0])") }
    print("wrote \(arguments[0]): \(bytes.count) bytes")
}

main()
