import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder

/// The exactness properties of docs/semantics.md, on dyadic networks where every sum is exact.
final class ExactnessTests: XCTestCase {
    /// GN with τ = L at T = 1 must equal the QCFS ANN bit for bit: every QCFS layer's L becomes that
    /// layer's τ through the per-layer override.
    private func assertGroupNeuronEqualsANN(_ bytes: [UInt8], samples: Int, seed: UInt64,
                                            file: StaticString = #filePath, line: UInt = #line) throws {
        let model = try loadModel(bytes)
        let view = model.view
        let levels = (0..<view.layerCount).map { view.layer($0) }.filter { $0.kind == .qcfs }.map { UInt32($0.levels) }
        let input = randomInput(count: samples * view.inputShape.elementCount, seed: seed, dyadic: true)
        let ann = try runModel(model, options(.ann), input: input)
        var gn = options(.groupNeuron, tau: 64, T: 1)
        try levels.withUnsafeBufferPointer { levelBuffer in
            gn.layerTau = levelBuffer
            let spiking = try runModel(model, gn, input: input)
            assertSame(bitPatterns(spiking.output), bitPatterns(ann.output), "outputs", file: file, line: line)
            XCTAssertEqual(spiking.predictions, ann.predictions, file: file, line: line)
            // Spike counts (s at the single step) equal the quantisation levels q, neuron by neuron.
            assertSame(spiking.spikes.flatMap { $0 }, ann.spikes.flatMap { $0 }, "spikes", file: file, line: line)
        }
        // The network is not trivial: some neurons are silent, some fire, some saturate.
        let all = ann.spikes.flatMap { $0 }
        XCTAssertTrue(all.contains(0), file: file, line: line)
        XCTAssertTrue(all.contains { $0 > 0 }, file: file, line: line)
    }

    func testVGGShapedNetworks() throws {
        for seed: UInt64 in 1...6 {
            try assertGroupNeuronEqualsANN(try RandomNetworks.vgg(seed: seed, dyadic: true), samples: 3, seed: seed)
        }
    }

    func testResNetShapedNetworks() throws {
        for seed: UInt64 in 1...6 {
            try assertGroupNeuronEqualsANN(try RandomNetworks.resnet(seed: seed, dyadic: true), samples: 3, seed: 100 + seed)
        }
    }

    func testResNet20WithDyadicWeights() throws {
        let configuration = ReferenceNetworks.Configuration(architecture: .resnet20, levels: 4, weights: .dyadic(seed: 5))
        try assertGroupNeuronEqualsANN(try ReferenceNetworks.build(configuration).serialize(), samples: 2, seed: 9)
    }

    func testUniformTauEqualsLevelsOnUniformNetwork() throws {
        // Every layer has L = 8: the session-wide τ = 8 gives the ANN too.
        let configuration = ReferenceNetworks.Configuration(architecture: .resnet20, levels: 8, threshold: 2,
                                                            weights: .dyadic(seed: 6))
        let model = try loadModel(try ReferenceNetworks.build(configuration).serialize())
        let input = randomInput(count: model.view.inputShape.elementCount, seed: 4, dyadic: true)
        let ann = try runModel(model, options(.ann), input: input)
        let gn = try runModel(model, options(.groupNeuron, tau: 8, T: 1), input: input)
        assertSame(bitPatterns(gn.output), bitPatterns(ann.output), "outputs")
    }

    /// A single QCFS layer fed a constant input: GN(τ) averaged over T steps equals QCFS with τ·T levels.
    func testConstantInputGivesTauTimesTLevels() throws {
        // Inputs from below 0 to above λ, on a grid fine enough to hit every level and boundary.
        let inputs: [Float] = (-40..<600).map { Float($0) / 256 }
        for threshold: Float in [0.5, 1, 2] {
            for tau in [1, 2, 4, 8] {
                for steps in [1, 2, 4, 8] {
                    var builder = ModelBuilder(input: TensorShape(channels: 1, height: 1, width: inputs.count))
                    _ = try builder.qcfs(builder.input, levels: tau * steps, threshold: threshold)
                    let model = try loadModel(builder.serialize())
                    let ann = try runModel(model, options(.ann), input: inputs)
                    let gn = try runModel(model, options(.groupNeuron, tau: tau, T: steps), input: inputs)
                    assertSame(bitPatterns(gn.output), bitPatterns(ann.output), "λ = \(threshold), τ = \(tau), T = \(steps)")
                    // Total spikes over T equal the level of QCFS(τ·T).
                    assertSame(gn.spikes[0], ann.spikes[0], "spikes, λ = \(threshold), τ = \(tau), T = \(steps)")
                }
            }
        }
    }
}

/// Layer by layer, step by step and lean compute the same thing, bit for bit, and the observer sees
/// the same neuron layer outputs (in another order).
final class ScheduleTests: XCTestCase {
    func testSchedulesAgreeBitForBit() throws {
        let models = [try RandomNetworks.vgg(seed: 2, dyadic: false), try RandomNetworks.resnet(seed: 3, dyadic: false),
                      try ReferenceNetworks.build(.init(architecture: .resnet20, weights: .kaiming(seed: 5))).serialize()]
        for bytes in models {
            let model = try loadModel(bytes)
            let input = randomInput(count: 3 * model.view.inputShape.elementCount, seed: 2, dyadic: false)
            for (neuron, tau, steps) in [(NeuronKind.groupNeuron, 2, 4), (.groupNeuron, 8, 1), (.integrateAndFire, 4, 5)] {
                var layer = options(neuron, tau: tau, T: steps, batch: 3)
                layer.schedule = .layerByLayer
                let a = try runModel(model, layer, input: input)
                var others: [SessionOptions] = []
                for schedule in [Schedule.stepByStep, .lean] {
                    for threads in schedule == .lean ? [1, 2] : [1] {
                        var other = layer
                        other.schedule = schedule
                        other.threads = threads
                        others.append(other)
                        let b = try runModel(model, other, input: input)
                        XCTAssertEqual(bitPatterns(a.output), bitPatterns(b.output), "\(neuron) T=\(steps) \(schedule) \(threads) threads")
                        XCTAssertEqual(a.predictions, b.predictions)
                        XCTAssertEqual(a.spikes, b.spikes)
                    }
                }
                // Without an observer too, and with fewer samples than the batch.
                for sessionOptions in [layer] + others {
                    let handle = try SessionHandle.create(model: model, options: sessionOptions)
                    var output = [Float](repeating: .nan, count: 2 * model.view.outputShape.elementCount)
                    try input.withUnsafeBufferPointer { input in
                        try output.withUnsafeMutableBufferPointer { output in
                            try handle.session.run(input: UnsafeBufferPointer(rebasing: input[..<(2 * model.view.inputShape.elementCount)]),
                                                   samples: 2, output: output)
                        }
                    }
                    XCTAssertEqual(bitPatterns(output), bitPatterns(Array(a.output.prefix(output.count))))
                }
            }
        }
    }
}

/// An add that the neuron layer after it computes itself (when no observer watches) gives the
/// results of running the add on its own — with several samples, so that a layer spans several
/// tasks of one worker (each task's sum must fit the worker's scratch).
final class FusedAddTests: XCTestCase {
    func testFusedAddsChangeNothing() throws {
        var fusedSomething = false
        for bytes in [try RandomNetworks.resnet(seed: 4, dyadic: false),
                      try ReferenceNetworks.build(.init(architecture: .resnet20, weights: .kaiming(seed: 8))).serialize()] {
            let model = try loadModel(bytes)
            let input = randomInput(count: 5 * model.view.inputShape.elementCount, seed: 3, dyadic: false)
            for schedule in [Schedule.layerByLayer, .stepByStep] {
                for (neuron, steps) in [(NeuronKind.ann, 1), (.groupNeuron, 3), (.integrateAndFire, 2)] {
                    var sessionOptions = options(neuron, tau: 3, T: steps, batch: 5)
                    sessionOptions.schedule = schedule
                    let observed = try runModel(model, sessionOptions, input: input)   // adds run on their own
                    let handle = try SessionHandle.create(model: model, options: sessionOptions)
                    var plans = [LayerPlan](repeating: LayerPlan(layer: model.view.layer(0), geometry: model.view.layer(0).geometry(input: model.view.inputShape)), count: model.view.layerCount)
                    _ = try plans.withUnsafeMutableBufferPointer { buffer throws(GNError) in
                        try Planner.plan(model: model.view, options: sessionOptions, into: buffer.baseAddress!)
                    }
                    fusedSomething = fusedSomething || plans.contains { $0.isFusedIntoNeuron }
                    var output = [Float](repeating: .nan, count: observed.output.count)
                    try input.withUnsafeBufferPointer { input in
                        try output.withUnsafeMutableBufferPointer { output in
                            try handle.session.run(input: input, samples: 5, output: output)
                        }
                    }
                    XCTAssertEqual(bitPatterns(output), bitPatterns(observed.output), "\(schedule) \(neuron)")
                }
            }
        }
        XCTAssertTrue(fusedSomething, "no add was fused: the test proves nothing")
    }
}
