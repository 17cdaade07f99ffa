import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder

/// Whole networks on every kernel variant this machine runs (docs/semantics.md, "Arithmetic"): the
/// variants that fuse multiply-add agree bit for bit on any weights; all variants, the baseline too,
/// agree bit for bit where every sum is exact (dyadic weights and inputs).
final class InstructionSetTests: XCTestCase {
    private let available = InstructionSet.allCases.filter { KernelRegistry.isAvailable($0) }

    /// Runs `bytes` under `options` with each of `sets` and checks that outputs, predictions and
    /// per-neuron spikes are equal to the first set's, bit for bit.
    private func assertEqualAcross(_ sets: [InstructionSet], _ bytes: [UInt8], _ sessionOptions: SessionOptions,
                                   dyadic: Bool, seed: UInt64, label: String) throws {
        let model = try loadModel(bytes)
        let input = randomInput(count: 3 * model.view.inputShape.elementCount, seed: seed, dyadic: dyadic)
        var results: [RunResult] = []
        for set in sets {
            var forced = sessionOptions
            forced.instructionSet = set
            let handle = try SessionHandle.create(model: model, options: forced)
            XCTAssertEqual(handle.session.instructionSet, set, "\(label): the session runs what it was asked")
            results.append(try runModel(model, forced, input: input))
        }
        for (set, result) in zip(sets, results).dropFirst() {
            assertSame(bitPatterns(result.output), bitPatterns(results[0].output), "\(label), \(set.name): outputs")
            XCTAssertEqual(result.predictions, results[0].predictions, "\(label), \(set.name): predictions")
            assertSame(result.spikes.flatMap { $0 }, results[0].spikes.flatMap { $0 }, "\(label), \(set.name): spikes")
        }
    }

    private var modes: [(String, SessionOptions)] {
        var layerByLayer = options(.groupNeuron, tau: 4, T: 4, batch: 3)
        layerByLayer.threads = 2
        var stepByStep = options(.integrateAndFire, T: 3, batch: 3)
        stepByStep.schedule = .stepByStep
        return [("ann", options(.ann, batch: 3)), ("gn T=4, 2 threads", layerByLayer), ("if step by step", stepByStep)]
    }

    /// `sets` agree on random VGG- and ResNet-shaped networks (dyadic or not) in every mode.
    private func assertEqualAcross(_ sets: [InstructionSet], dyadic: Bool) throws {
        for seed: UInt64 in 1...3 {
            for (name, bytes) in [("vgg", try RandomNetworks.vgg(seed: seed, dyadic: dyadic)),
                                  ("resnet", try RandomNetworks.resnet(seed: seed, dyadic: dyadic))] {
                for (mode, sessionOptions) in modes {
                    try assertEqualAcross(sets, bytes, sessionOptions, dyadic: dyadic, seed: seed,
                                          label: "\(name) \(seed), \(mode)")
                }
            }
        }
    }

    func testFusedVariantsAgreeOnAnyWeights() throws {
        let fused = available.filter(\.fusesMultiplyAdd)
        try XCTSkipIf(fused.count < 2, "this machine runs fewer than two variants with fused multiply-add")
        try assertEqualAcross(fused, dyadic: false)
    }

    func testEveryVariantAgreesWhereSumsAreExact() throws {
        try assertEqualAcross(available, dyadic: true)
    }

    func testAutomaticChoiceIsTheWidest() throws {
        let model = try loadModel(try RandomNetworks.vgg(seed: 1, dyadic: false))
        let handle = try SessionHandle.create(model: model, options: options(.groupNeuron))
        XCTAssertEqual(handle.session.instructionSet, KernelRegistry.widestAvailable)
        for index in 0..<model.view.layerCount {
            let kernel = try handle.session.kernel(ofLayer: index)
            if model.view.layer(index).kind == .flatten {
                XCTAssertNil(kernel)
            } else {
                XCTAssertEqual(kernel?.instructionSet, KernelRegistry.widestAvailable)
            }
        }
    }
}
