// Benchmarks of whole networks through the public Swift API: the median time of a run.
//
//     gnruntime-bench [--model NAME]... [--reps N]
import GNRuntime
#if canImport(Glibc)
import Glibc
#endif

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

struct Case {
    var architecture: ReferenceNetworks.Architecture
    var size: Int
    var neuron: NeuronKind
    var members: Int
    var steps: Int
    var batch: Int
}

func run(_ benchmarkCase: Case, repetitions: Int) throws(GNError) -> Double {
    var configuration = ReferenceNetworks.Configuration(architecture: benchmarkCase.architecture, inputSize: benchmarkCase.size)
    configuration.levels = 8
    let bytes = try ReferenceNetworks.build(configuration).serialize()
    let modelMemory = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 64)
    defer { modelMemory.deallocate() }
    bytes.withUnsafeBytes { modelMemory.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
    let model = try ModelView(validating: UnsafeRawBufferPointer(start: modelMemory, count: bytes.count))
    var options = SessionOptions()
    options.neuron = benchmarkCase.neuron
    options.members = benchmarkCase.members
    options.timeSteps = benchmarkCase.steps
    options.batch = benchmarkCase.batch
    let scratchBytes = Session.scratchBytes(for: model)
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: scratchBytes, alignment: 64)
    defer { scratch.deallocate() }
    let arenaBytes = try Session.arenaBytes(model: model, options: options,
                                            scratch: UnsafeMutableRawBufferPointer(start: scratch, count: scratchBytes))
    let arena = UnsafeMutableRawPointer.allocate(byteCount: arenaBytes, alignment: 64)
    defer { arena.deallocate() }
    var session = try Session(model: model, options: options, arena: UnsafeMutableRawBufferPointer(start: arena, count: arenaBytes))
    var random = SeededRandom(seed: 1)
    let input = (0..<benchmarkCase.batch * model.inputShape.elementCount).map { _ in random.unit() }
    var output = [Float](repeating: 0, count: benchmarkCase.batch * model.outputShape.elementCount)
    var times: [Double] = []
    for repetition in 0..<(repetitions + 1) {
        let start = now()
        try input.withUnsafeBufferPointer { input throws(GNError) in
            try output.withUnsafeMutableBufferPointer { output throws(GNError) in
                try session.run(input: input, samples: benchmarkCase.batch, output: output)
            }
        }
        if repetition > 0 { times.append(now() - start) }
    }
    return median(times)
}

var repetitions = 5
var arguments = Array(CommandLine.arguments.dropFirst())
if let flag = arguments.firstIndex(of: "--reps"), flag + 1 < arguments.count, let value = Int(arguments[flag + 1]) {
    repetitions = value
    arguments.removeSubrange(flag...(flag + 1))
}
let cases = [
    Case(architecture: .resnet20, size: 32, neuron: .ann, members: 8, steps: 1, batch: 1),
    Case(architecture: .resnet20, size: 32, neuron: .groupNeuron, members: 4, steps: 4, batch: 1),
    Case(architecture: .vgg16, size: 32, neuron: .ann, members: 8, steps: 1, batch: 1),
    Case(architecture: .vgg16, size: 32, neuron: .groupNeuron, members: 4, steps: 4, batch: 1),
]
for benchmarkCase in cases {
    do {
        let seconds = try run(benchmarkCase, repetitions: repetitions)
        print("\(benchmarkCase.architecture.rawValue) \(benchmarkCase.neuron) tau=\(benchmarkCase.members) T=\(benchmarkCase.steps) batch=\(benchmarkCase.batch): \(seconds * 1000) ms")
    } catch {
        print("failed: \(error.message)")
    }
}
