import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder

/// Bytes in 64-byte aligned memory, as the runtime wants borrowed models and arenas.
final class AlignedBuffer {
    let pointer: UnsafeMutableRawPointer
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 1))
    }

    convenience init(_ bytes: [UInt8]) {
        self.init(count: bytes.count)
        bytes.withUnsafeBytes { pointer.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
    }

    deinit { pointer.deallocate() }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: pointer, count: count) }
    var mutableBytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: pointer, count: count) }
}

/// A Swift closure behind a session's C-function observer: the output as a buffer of `count` values
/// (empty for a layer whose output is never whole in memory: a lean session's banded convolution).
final class ObserverBox {
    let body: (_ layer: Int, _ step: Int, _ output: UnsafeBufferPointer<Float>, _ count: Int) -> Void

    init(_ body: @escaping (_ layer: Int, _ step: Int, _ output: UnsafeBufferPointer<Float>, _ count: Int) -> Void) {
        self.body = body
    }

    /// The observer to give a session; valid while this box lives.
    var observer: LayerObserver {
        LayerObserver(function: { context, layer, step, output, count in
            Unmanaged<ObserverBox>.fromOpaque(context!).takeUnretainedValue()
                .body(layer, step, UnsafeBufferPointer(start: output, count: output == nil ? 0 : count), count)
        }, context: Unmanaged.passUnretained(self).toOpaque())
    }
}

/// What one run produced.
struct RunResult {
    /// `samples × output elements`, NCHW.
    var output: [Float]
    /// `[step][sample]`.
    var predictions: [Int32]
    /// Per QCFS layer (file order), per neuron (`[sample][C][H][W]`): the spikes summed over the steps
    /// (GN: Σ s; IF: Σ s), or for ANN sessions the quantisation level q.
    var spikes: [[Int]]
}

func options(_ neuron: NeuronKind, tau: Int = 4, T: Int = 1, batch: Int = 1) -> SessionOptions {
    var options = SessionOptions()
    options.neuron = neuron
    options.tau = tau
    options.timeSteps = T
    options.batch = batch
    return options
}

/// Loads `bytes` (copying them) through the host layer.
func loadModel(_ bytes: [UInt8], verifyChecksum: Bool = true) throws -> ModelHandle {
    try bytes.withUnsafeBytes { buffer throws(GNError) in try ModelHandle.copying(buffer, verifyChecksum: verifyChecksum) }
}

/// Runs `input` through a fresh session, counting each neuron's spikes with a layer observer.
func runModel(_ model: ModelHandle, _ options: SessionOptions, input: [Float], samples: Int? = nil) throws -> RunResult {
    let view = model.view
    let samples = samples ?? input.count / view.inputShape.elementCount
    var sessionOptions = options
    sessionOptions.batch = max(options.batch, samples)
    let handle = try SessionHandle.create(model: model, options: sessionOptions)
    var output = [Float](repeating: .nan, count: samples * view.outputShape.elementCount)

    // Spike bookkeeping: neuron layer index per layer, and the unit of one spike per layer.
    var neuronIndex = [Int](repeating: -1, count: view.layerCount)
    var spikes: [[Int]] = []
    for index in 0..<view.layerCount where view.layer(index).kind == .qcfs {
        neuronIndex[index] = spikes.count
        spikes.append([Int](repeating: 0, count: samples * view.layer(index).output.elementCount))
    }
    var taus: [Int] = []
    for index in 0..<view.layerCount where view.layer(index).kind == .qcfs {
        taus.append(sessionOptions.tau(ofNeuronLayer: neuronIndex[index]))
    }
    let observer = ObserverBox { layer, _, values, count in
        let neuron = neuronIndex[layer]
        // A lean session's spike maps held as bytes are not shown (count 0): their spikes stay empty.
        guard neuron >= 0 else { return }
        guard count > 0 else {
            spikes[neuron] = []
            return
        }
        let layerInfo = view.layer(layer)
        let unit: Float
        switch options.neuron {
        case .ann: unit = layerInfo.threshold / Float(layerInfo.levels)
        case .groupNeuron: unit = layerInfo.threshold / Float(taus[neuron])
        case .integrateAndFire: unit = layerInfo.threshold
        }
        let shape = layerInfo.output
        let pixels = shape.height * shape.width
        precondition(count == samples * shape.elementCount)
        for sample in 0..<samples {
            for pixel in 0..<pixels {
                for channel in 0..<shape.channels {
                    let value = values[(sample * pixels + pixel) * shape.channels + channel]
                    spikes[neuron][(sample * shape.channels + channel) * pixels + pixel] += Int((value / unit).rounded())
                }
            }
        }
    }
    handle.session.observer = observer.observer
    try withExtendedLifetime(observer) {
        try input.withUnsafeBufferPointer { inputBuffer in
            try output.withUnsafeMutableBufferPointer { outputBuffer in
                try handle.session.run(input: inputBuffer, samples: samples, output: outputBuffer)
            }
        }
    }
    var predictions = [Int32](repeating: -1, count: handle.session.layout.steps * samples)
    try predictions.withUnsafeMutableBufferPointer { try handle.session.predictions(into: $0) }
    return RunResult(output: output, predictions: predictions, spikes: spikes)
}

/// Random inputs: uniform in [0, 1), rounded to multiples of 2^-4 when `dyadic`.
func randomInput(count: Int, seed: UInt64, dyadic: Bool) -> [Float] {
    var random = SeededRandom(seed: seed)
    return (0..<count).map { _ in
        let value = random.unit()
        return dyadic ? (value * 16).rounded(.down) / 16 : value
    }
}

func bitPatterns(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

/// Random networks shaped like the paper's, small enough for tests.
enum RandomNetworks {
    /// Draws parameters: dyadic ones are multiples of 2^-6, so sums stay exact.
    struct Parameters {
        var random: SeededRandom
        let dyadic: Bool

        mutating func values(_ count: Int, bound: Float, offset: Float = 0) -> [Float] {
            (0..<count).map { _ in
                let value = offset + random.symmetric(bound)
                return dyadic ? (value * 64).rounded() / 64 : value
            }
        }

        mutating func levels() -> Int {
            let choices = dyadic ? [2, 4, 8] : [2, 3, 4, 5, 8]
            return choices[Int(random.next() % UInt64(choices.count))]
        }

        mutating func threshold() -> Float {
            dyadic ? [0.5, 1, 2][Int(random.next() % 3)] : 0.5 + 1.5 * random.unit()
        }
    }

    static func conv(_ builder: inout ModelBuilder, _ p: inout Parameters, _ x: Int, _ width: Int,
                     _ window: Window, bias: Bool = true) throws -> Int {
        let fanIn = window.kernelHeight * window.kernelWidth * builder.shape(of: x).channels
        return try builder.conv2d(x, outputChannels: width, window: window,
                                  weights: p.values(fanIn * width, bound: 2 * (3 / Float(fanIn)).squareRoot()),
                                  bias: bias ? p.values(width, bound: 0.25) : nil)
    }

    static func qcfs(_ builder: inout ModelBuilder, _ p: inout Parameters, _ x: Int) throws -> Int {
        try builder.qcfs(x, levels: p.levels(), threshold: p.threshold())
    }

    static func affine(_ builder: inout ModelBuilder, _ p: inout Parameters, _ x: Int) throws -> Int {
        let channels = builder.shape(of: x).channels
        return try builder.affine(x, scale: p.values(channels, bound: 0.5, offset: 1), shift: p.values(channels, bound: 0.25))
    }

    static func linear(_ builder: inout ModelBuilder, _ p: inout Parameters, _ x: Int, _ outputs: Int) throws -> Int {
        let inputs = builder.shape(of: x).channels
        return try builder.linear(x, outputs: outputs, weights: p.values(inputs * outputs, bound: 2 * (3 / Float(inputs)).squareRoot()),
                                  bias: p.values(outputs, bound: 0.25))
    }

    /// conv-QCFS blocks with an unfolded BatchNorm (affine), a stride-2 conv, 2×2 average pooling,
    /// a 1×1 conv, flatten, and two linear layers with a QCFS between them. With `maxPool`, the
    /// pooling is max pooling (ANN sessions only).
    static func vgg(seed: UInt64, dyadic: Bool, channels: Int = 3, size: Int = 16, maxPool: Bool = false) throws -> [UInt8] {
        var p = Parameters(random: SeededRandom(seed: seed), dyadic: dyadic)
        var b = ModelBuilder(input: TensorShape(channels: channels, height: size, width: size))
        var x = try conv(&b, &p, b.input, 8, Window(kernel: 3, padding: 1), bias: false)
        x = try affine(&b, &p, x)
        x = try qcfs(&b, &p, x)
        x = try qcfs(&b, &p, try conv(&b, &p, x, 12, Window(kernel: 3, stride: 2, padding: 1)))
        x = maxPool ? try b.maxPool2d(x, window: Window(kernel: 2, stride: 2))
                    : try b.avgPool2d(x, window: Window(kernel: 2, stride: 2))
        x = try qcfs(&b, &p, try conv(&b, &p, x, 16, Window(kernel: 1)))
        x = try b.flatten(x)
        x = try qcfs(&b, &p, try linear(&b, &p, x, 24))
        _ = try linear(&b, &p, x, 10)
        return b.serialize()
    }

    /// A stem conv, an identity residual block, a stride-2 block with a 1×1 conv shortcut and an
    /// unfolded BatchNorm, a block whose branch ends in average pooling (3×3, stride 1, padding 1:
    /// only in non-dyadic nets, its ninths are not exact), global average pooling, flatten, linear.
    static func resnet(seed: UInt64, dyadic: Bool, channels: Int = 3, size: Int = 16) throws -> [UInt8] {
        var p = Parameters(random: SeededRandom(seed: seed), dyadic: dyadic)
        var b = ModelBuilder(input: TensorShape(channels: channels, height: size, width: size))
        var x = try qcfs(&b, &p, try conv(&b, &p, b.input, 8, Window(kernel: 3, padding: 1)))
        // Identity block.
        var branch = try qcfs(&b, &p, try conv(&b, &p, x, 8, Window(kernel: 3, padding: 1)))
        branch = try conv(&b, &p, branch, 8, Window(kernel: 3, padding: 1))
        x = try qcfs(&b, &p, try b.add(branch, x))
        // Downsampling block.
        branch = try qcfs(&b, &p, try conv(&b, &p, x, 16, Window(kernel: 3, stride: 2, padding: 1)))
        branch = try affine(&b, &p, try conv(&b, &p, branch, 16, Window(kernel: 3, padding: 1), bias: false))
        let shortcut = try conv(&b, &p, x, 16, Window(kernel: 1, stride: 2))
        x = try qcfs(&b, &p, try b.add(shortcut, branch))
        if !dyadic {
            branch = try b.avgPool2d(try conv(&b, &p, x, 16, Window(kernel: 3, padding: 1)),
                                     window: Window(kernel: 3, stride: 1, padding: 1))
            x = try qcfs(&b, &p, try b.add(x, branch))
        }
        x = try b.flatten(try b.globalAvgPool(x))
        _ = try linear(&b, &p, x, 10)
        return b.serialize()
    }
}

/// Fails, with a short message, unless `actual` and `expected` are equal element by element.
func assertSame<T: Equatable>(_ actual: [T], _ expected: [T], _ message: String = "",
                              file: StaticString = #filePath, line: UInt = #line) {
    guard actual.count == expected.count else {
        XCTFail("\(message): \(actual.count) values, expected \(expected.count)", file: file, line: line)
        return
    }
    let differing = actual.indices.filter { actual[$0] != expected[$0] }
    if let first = differing.first {
        XCTFail("\(message): \(differing.count) of \(actual.count) values differ; first at \(first): \(actual[first]) != \(expected[first])",
                file: file, line: line)
    }
}

/// What a run reports: its outputs as bits, its predictions, and its spike and synaptic-operation
/// counts (empty when the session does not count them).
struct RunOutcome: Equatable {
    var output: [UInt32]
    var predictions: [Int32]
    var spikes: [Int]
    var operations: [Int]
}

/// Runs `input` (`samples` samples) through `handle`'s session, with a no-op observer (every layer
/// runs on its own, the batch in one pass) or without.
func runOutcome(_ handle: SessionHandle, input: [Float], samples: Int, observed: Bool) throws -> RunOutcome {
    let box = ObserverBox { _, _, _, _ in }
    handle.session.observer = observed ? box.observer : nil
    defer { handle.session.observer = nil }
    let view = handle.model.view
    var output = [Float](repeating: .nan, count: samples * view.outputShape.elementCount)
    try withExtendedLifetime(box) {
        try input.withUnsafeBufferPointer { input in
            try output.withUnsafeMutableBufferPointer { output in
                try handle.session.run(input: input, samples: samples, output: output)
            }
        }
    }
    var predictions = [Int32](repeating: -1, count: handle.session.stepsTaken * samples)
    try predictions.withUnsafeMutableBufferPointer { try handle.session.predictions(into: $0) }
    var spikes: [Int] = [], operations: [Int] = []
    if handle.session.countsSpikes {
        let count = handle.session.stepsTaken * view.neuronLayerCount * samples
        spikes = [Int](repeating: -1, count: count)
        operations = [Int](repeating: -1, count: count)
        try spikes.withUnsafeMutableBufferPointer { spikes in
            try operations.withUnsafeMutableBufferPointer { operations in
                try handle.session.spikeCounts(spikes: spikes, synapticOperations: operations)
            }
        }
    }
    return RunOutcome(output: bitPatterns(output), predictions: predictions, spikes: spikes, operations: operations)
}
