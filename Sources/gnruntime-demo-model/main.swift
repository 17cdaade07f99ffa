// Writes a small demo model for the C examples and tests: a VGG-style QCFS network (conv-QCFS blocks,
// average pooling — or max pooling with --max-pool, for ANN sessions only — and a linear classifier)
// on 3×32×32 inputs, with random weights; with --int8, every layer but the first (which reads the
// analog input) has int8 weights, one scale per output channel (format 1.1); --widths sets the three
// blocks' channels (16,32,64 by default; 8,24,40 reaches the kernels' paths for widths off the
// multiples of 16).
//
//     gnruntime-demo-model OUTPUT [--seed N] [--max-pool] [--int8] [--widths A,B,C]
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

func demoModel(seed: UInt64, maxPool: Bool, int8: Bool, widths: [Int]) throws(GNError) -> [UInt8] {
    var random = SeededRandom(seed: seed)
    func values(_ count: Int, _ bound: Float) -> [Float] { (0..<count).map { _ in random.symmetric(bound) } }

    var builder = ModelBuilder(input: TensorShape(channels: 3, height: 32, width: 32))
    var x = builder.input
    for width in widths {
        let fanIn = 9 * builder.shape(of: x).channels
        let weights = values(fanIn * width, (6 / Float(fanIn)).squareRoot())
        if int8 && x != builder.input {
            let (integers, scales) = ModelBuilder.quantize(weights, outputChannels: width)
            x = try builder.conv2d(x, outputChannels: width, window: Window(kernel: 3, padding: 1), integerWeights: integers,
                                   scales: scales, bias: values(width, 0.1))
        } else {
            x = try builder.conv2d(x, outputChannels: width, window: Window(kernel: 3, padding: 1), weights: weights,
                                   bias: values(width, 0.1))
        }
        x = try builder.qcfs(x, levels: 4, threshold: 1)
        x = maxPool ? try builder.maxPool2d(x, window: Window(kernel: 2, stride: 2))
                    : try builder.avgPool2d(x, window: Window(kernel: 2, stride: 2))
    }
    x = try builder.flatten(x)
    let features = builder.shape(of: x).channels
    let weights = values(features * 10, (6 / Float(features)).squareRoot())
    if int8 {
        let (integers, scales) = ModelBuilder.quantize(weights, outputChannels: 10)
        _ = try builder.linear(x, outputs: 10, integerWeights: integers, scales: scales, bias: values(10, 0.1))
    } else {
        _ = try builder.linear(x, outputs: 10, weights: weights, bias: values(10, 0.1))
    }
    return builder.serialize()
}

func main() {
    var arguments = Array(CommandLine.arguments.dropFirst())
    var seed: UInt64 = 7
    let maxPool = arguments.contains("--max-pool")
    let int8 = arguments.contains("--int8")
    arguments.removeAll { $0 == "--max-pool" || $0 == "--int8" }
    if let flag = arguments.firstIndex(of: "--seed") {
        guard flag + 1 < arguments.count, let value = UInt64(arguments[flag + 1]) else { fail("--seed needs a number") }
        seed = value
        arguments.removeSubrange(flag...(flag + 1))
    }
    var widths = [16, 32, 64]
    if let flag = arguments.firstIndex(of: "--widths") {
        guard flag + 1 < arguments.count else { fail("--widths needs three numbers, as 8,24,40") }
        let values = arguments[flag + 1].split(separator: ",").compactMap { Int($0) }
        guard values.count == 3, values.allSatisfy({ (1...4096).contains($0) }) else { fail("--widths needs three numbers, as 8,24,40") }
        widths = values
        arguments.removeSubrange(flag...(flag + 1))
    }
    guard arguments.count == 1 else { fail("usage: gnruntime-demo-model OUTPUT [--seed N] [--max-pool] [--int8] [--widths A,B,C]") }
    let bytes: [UInt8]
    do {
        bytes = try demoModel(seed: seed, maxPool: maxPool, int8: int8, widths: widths)
    } catch {
        fail("could not build the model: \(error.message)")
    }
    guard let file = fopen(arguments[0], "wb") else { fail("cannot open \(arguments[0]) for writing") }
    let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    guard written == bytes.count, fclose(file) == 0 else { fail("cannot write \(arguments[0])") }
    print("wrote \(arguments[0]): \(bytes.count) bytes")
}

main()
