import Foundation
import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder

/// The runtime against the independent numpy reference in Tests/reference (written from
/// docs/semantics.md and docs/model-format.md alone), on random networks with non-dyadic weights.
///
/// Needs Python 3 with numpy: `python3`, or the interpreter named by the environment variable GN_PYTHON.
final class ReferenceParityTests: XCTestCase {
    private struct ReferenceFailure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    private static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gnruntime-parity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs the reference on `model` and `input`; returns its output, predictions and spike counts.
    private func reference(_ model: [UInt8], input: [Float], samples: Int, neuron: String, tau: Int, steps: Int,
                           layerTau: [UInt32]?, outputCount: Int, neuronCounts: [Int]) throws -> RunResult {
        let modelURL = directory.appendingPathComponent("model.gnrt")
        let inputURL = directory.appendingPathComponent("input.f32")
        let resultURL = directory.appendingPathComponent("result.bin")
        try Data(model).write(to: modelURL)
        try input.withUnsafeBytes { try Data($0).write(to: inputURL) }
        var arguments = [Self.packageRoot.appendingPathComponent("Tests/reference/gn_reference.py").path,
                         modelURL.path, inputURL.path, resultURL.path, "--neuron", neuron, "--tau", "\(tau)",
                         "--T", "\(steps)", "--batch", "\(samples)"]
        if let layerTau { arguments += ["--layer-tau", layerTau.map(String.init).joined(separator: ",")] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [ProcessInfo.processInfo.environment["GN_PYTHON"] ?? "python3"] + arguments
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ReferenceFailure(message: "the numpy reference exited with \(process.terminationStatus): \(errorText)")
        }
        let data = try Data(contentsOf: resultURL)
        let stepCount = neuron == "ann" ? 1 : steps
        var offset = 0
        func read<T>(_ count: Int, as type: T.Type) -> [T] {
            let values = data.withUnsafeBytes { raw in
                (0..<count).map { raw.loadUnaligned(fromByteOffset: offset + $0 * 4, as: T.self) }
            }
            offset += count * 4
            return values
        }
        let output = read(samples * outputCount, as: Float.self)
        let predictions = read(stepCount * samples, as: Int32.self)
        let spikes = neuronCounts.map { read(samples * $0, as: Int32.self).map(Int.init) }
        XCTAssertEqual(offset, data.count, "reference result has an unexpected size")
        return RunResult(output: output, predictions: predictions, spikes: spikes)
    }

    private func assertParity(_ model: [UInt8], samples: Int, seed: UInt64, neuron: NeuronKind, tau: Int = 4,
                              steps: Int = 1, layerTau: [UInt32]? = nil,
                              file: StaticString = #filePath, line: UInt = #line) throws {
        let handle = try loadModel(model)
        let view = handle.view
        let input = randomInput(count: samples * view.inputShape.elementCount, seed: seed, dyadic: false)
        var sessionOptions = options(neuron, tau: tau, T: steps, batch: samples)
        let runtime: RunResult = try (layerTau ?? []).withUnsafeBufferPointer { buffer in
            if layerTau != nil { sessionOptions.layerTau = buffer }
            return try runModel(handle, sessionOptions, input: input)
        }
        let neuronCounts = (0..<view.layerCount).map { view.layer($0) }.filter { $0.kind == .qcfs }.map { $0.output.elementCount }
        let name = ["ann", "gn", "if"][Int(neuron.rawValue)]
        let expected = try reference(model, input: input, samples: samples, neuron: name, tau: tau, steps: steps,
                                     layerTau: layerTau, outputCount: view.outputShape.elementCount,
                                     neuronCounts: neuronCounts)
        let context = "\(name) τ=\(tau) T=\(steps)"

        // Spike counts: identical but for neurons whose potential sat within rounding of a threshold.
        let runtimeSpikes = runtime.spikes.flatMap { $0 }, referenceSpikes = expected.spikes.flatMap { $0 }
        XCTAssertEqual(runtimeSpikes.count, referenceSpikes.count, file: file, line: line)
        let mismatches = zip(runtimeSpikes, referenceSpikes).filter { $0 != $1 }.count
        XCTAssertLessThanOrEqual(Double(mismatches), 1e-3 * Double(runtimeSpikes.count),
                                 "\(context): \(mismatches) of \(runtimeSpikes.count) neurons differ in spike count",
                                 file: file, line: line)
        XCTAssertGreaterThan(referenceSpikes.reduce(0, +), 0, "\(context): the network is silent", file: file, line: line)
        // Outputs within 1e-4 of their scale.
        let scale = expected.output.map(abs).max() ?? 0
        let worst = zip(runtime.output, expected.output).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 1e-4 * scale, "\(context): outputs differ by \(worst) (scale \(scale))", file: file, line: line)
        XCTAssertGreaterThan(scale, 0, file: file, line: line)
        XCTAssertEqual(runtime.predictions, expected.predictions, "\(context): predictions", file: file, line: line)
    }

    func testVGGShapedNetworksInEveryMode() throws {
        for seed: UInt64 in 1...3 {
            let model = try RandomNetworks.vgg(seed: seed, dyadic: false)
            try assertParity(model, samples: 3, seed: seed, neuron: .ann)
            try assertParity(model, samples: 3, seed: seed, neuron: .groupNeuron, tau: 4, steps: 1)
            try assertParity(model, samples: 3, seed: seed, neuron: .groupNeuron, tau: 2, steps: 4)
            try assertParity(model, samples: 3, seed: seed, neuron: .integrateAndFire, steps: 8)
        }
    }

    func testResNetShapedNetworksInEveryMode() throws {
        for seed: UInt64 in 1...3 {
            let model = try RandomNetworks.resnet(seed: seed, dyadic: false)
            try assertParity(model, samples: 2, seed: seed, neuron: .ann)
            try assertParity(model, samples: 2, seed: seed, neuron: .groupNeuron, tau: 3, steps: 2)
            try assertParity(model, samples: 2, seed: seed, neuron: .integrateAndFire, steps: 6)
        }
    }

    func testPerLayerTau() throws {
        let model = try RandomNetworks.resnet(seed: 9, dyadic: false)
        let neurons = try loadModel(model).view.neuronLayerCount
        let layerTau = (0..<neurons).map { UInt32([0, 1, 2, 8, 64][$0 % 5]) }
        try assertParity(model, samples: 2, seed: 4, neuron: .groupNeuron, tau: 4, steps: 3, layerTau: layerTau)
    }

    func testMaxPoolingInANNMode() throws {
        let model = try RandomNetworks.vgg(seed: 5, dyadic: false, maxPool: true)
        try assertParity(model, samples: 2, seed: 5, neuron: .ann)
    }

    func testReferenceNetworks() throws {
        let resnet20 = try ReferenceNetworks.build(.init(architecture: .resnet20, levels: 4, weights: .kaiming(seed: 3))).serialize()
        try assertParity(resnet20, samples: 1, seed: 2, neuron: .groupNeuron, tau: 2, steps: 4)
    }
}
