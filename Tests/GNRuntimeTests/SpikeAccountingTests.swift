import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder

/// Spike accounting: spikes and synaptic operations per neuron layer, step and sample.
final class SpikeAccountingTests: XCTestCase {
    /// Spikes of every neuron at every step, `[step][neuron layer][sample][C][H][W]` flattened per
    /// layer, read from the layers' outputs through an observer (output / unit, rounded).
    func observedSpikes(_ model: ModelHandle, _ options: SessionOptions, input: [Float], samples: Int) throws -> [[[Int]]] {
        let view = model.view
        let handle = try SessionHandle.create(model: model, options: options)
        var neuronLayers: [Int] = []
        for index in 0..<view.layerCount where view.layer(index).kind == .qcfs { neuronLayers.append(index) }
        let steps = handle.session.steps
        var spikes = [[[Int]]](repeating: [], count: steps)
        for step in 0..<steps {
            spikes[step] = neuronLayers.map { [Int](repeating: 0, count: samples * view.layer($0).output.elementCount) }
        }
        let observer = ObserverBox { layer, step, values, count in
            guard let neuron = neuronLayers.firstIndex(of: layer) else { return }
            let info = view.layer(layer)
            let members = options.neuron == .groupNeuron ? options.tau(ofNeuronLayer: neuron) : 1
            let unit = info.threshold / Float(members)
            precondition(count == samples * info.output.elementCount)
            let shape = info.output
            let pixels = shape.height * shape.width
            for sample in 0..<samples {
                for pixel in 0..<pixels {
                    for channel in 0..<shape.channels {
                        let value = values[(sample * pixels + pixel) * shape.channels + channel]
                        spikes[step][neuron][(sample * shape.channels + channel) * pixels + pixel] = Int((value / unit).rounded())
                    }
                }
            }
        }
        handle.session.observer = observer.observer
        _ = try withExtendedLifetime(observer) { try handle.anytimeRun(input, samples: samples) }
        return spikes
    }

    /// The counts a counting session reports equal the spikes its layers emitted, per step, layer and
    /// sample, for both neuron kinds and schedules, several samples and threads; counting changes no
    /// result.
    func testSpikeCountsEqualTheSpikesEmitted() throws {
        for (name, bytes) in [("vgg", try RandomNetworks.vgg(seed: 41, dyadic: false)),
                              ("resnet", try RandomNetworks.resnet(seed: 42, dyadic: false))] {
            let model = try loadModel(bytes)
            let samples = 3
            let input = randomInput(count: samples * model.view.inputShape.elementCount, seed: 43, dyadic: false)
            for neuron in [NeuronKind.groupNeuron, .integrateAndFire] {
                for schedule in [Schedule.layerByLayer, .stepByStep] {
                    for threads in [1, 2] {
                        var base = options(neuron, tau: 3, T: 4, batch: samples)
                        base.schedule = schedule
                        base.threads = threads
                        let label = "\(name) \(neuron) \(schedule) threads \(threads)"
                        let plain = try session(model, base).anytimeRun(input, samples: samples)
                        let counting = try session(model, base) { $0.countsSpikes = true }
                        let counted = try counting.anytimeRun(input, samples: samples)
                        assertSame(bitPatterns(counted.output), bitPatterns(plain.output), "\(label): output")
                        assertSame(counted.predictions, plain.predictions, "\(label): predictions")
                        let observed = try observedSpikes(model, base, input: input, samples: samples)
                        let layers = model.view.neuronLayerCount
                        var expected: [Int] = []
                        for step in 0..<4 {
                            for layer in 0..<layers {
                                let perSample = observed[step][layer].count / samples
                                for sample in 0..<samples {
                                    expected.append(observed[step][layer][(sample * perSample)..<((sample + 1) * perSample)].reduce(0, +))
                                }
                            }
                        }
                        assertSame(counted.spikes, expected, "\(label): spikes")
                        XCTAssertGreaterThan(expected.reduce(0, +), 0, label)
                    }
                }
            }
        }
    }

    /// A net worked by hand: x (1×4×4) → conv A (3×3, padding 1, 2 channels) → q1 → conv B (3×3,
    /// padding 1, 2 channels) → add(conv B, q1) → q2 → 2×2 average pooling → flatten → linear (3).
    ///
    /// A 3×3 window with padding 1 over 4 pixels covers rows 0 … 3 of the input r = (2, 3, 3, 2)
    /// times, so a q1 neuron at (h, w) reaches 2·r(h)·r(w) weights of conv B, plus 1 through the add
    /// into q2: fan-out 2·r(h)·r(w) + 1, summing to 2·10·10 + 16 = 216 per channel, 432 in all. A q2
    /// neuron reaches one pooled value, which reaches the linear layer's 3 outputs: fan-out 3, 96 in
    /// all. Multiply-accumulates: conv A 1·2·100 = 200 (on the input: analog), conv B 2·2·100 = 400,
    /// linear 8·3 = 24: 624.
    func testSynapticOperationsOfAHandWorkedNet() throws {
        var random = SeededRandom(seed: 7)
        var b = ModelBuilder(input: TensorShape(channels: 1, height: 4, width: 4))
        let convA = try b.conv2d(b.input, outputChannels: 2, window: Window(kernel: 3, padding: 1),
                                 weights: (0..<18).map { _ in 0.2 + 0.3 * random.unit() }, bias: [0.1, 0.2])
        let q1 = try b.qcfs(convA, levels: 4, threshold: 1)
        let convB = try b.conv2d(q1, outputChannels: 2, window: Window(kernel: 3, padding: 1),
                                 weights: (0..<36).map { _ in random.symmetric(0.4) }, bias: [0.3, 0.1])
        let q2 = try b.qcfs(try b.add(convB, q1), levels: 4, threshold: 1.5)
        _ = try b.linear(try b.flatten(try b.avgPool2d(q2, window: Window(kernel: 2, stride: 2))), outputs: 3,
                         weights: (0..<24).map { _ in random.symmetric(1) }, bias: nil)
        let model = try loadModel(b.serialize())
        XCTAssertEqual(OperationCount.multiplyAccumulates(model: model.view), 624)

        let r: [Int] = [2, 3, 3, 2]
        let samples = 2
        let input = randomInput(count: samples * 16, seed: 9, dyadic: false)
        for neuron in [NeuronKind.groupNeuron, .integrateAndFire] {
            let base = options(neuron, tau: 2, T: 5, batch: samples)
            let handle = try session(model, base) { $0.countsSpikes = true }
            XCTAssertEqual(handle.session.analogMultiplyAccumulates, 200)
            let first = try handle.session.neuronLayer(0)
            let second = try handle.session.neuronLayer(1)
            XCTAssertEqual([first.layer, first.neurons, first.synapses], [1, 32, 432])
            XCTAssertEqual([second.layer, second.neurons, second.synapses], [4, 32, 96])
            XCTAssertEqual([first.members, second.members], neuron == .groupNeuron ? [2, 2] : [1, 1])

            let counted = try handle.anytimeRun(input, samples: samples)
            let observed = try observedSpikes(model, base, input: input, samples: samples)
            var expected: [Int] = []
            for step in 0..<5 {
                for layer in 0..<2 {
                    for sample in 0..<samples {
                        var operations = 0
                        for channel in 0..<2 {
                            for h in 0..<4 {
                                for w in 0..<4 {
                                    let spikes = observed[step][layer][((sample * 2 + channel) * 4 + h) * 4 + w]
                                    operations += spikes * (layer == 0 ? 2 * r[h] * r[w] + 1 : 3)
                                }
                            }
                        }
                        expected.append(operations)
                    }
                }
            }
            assertSame(counted.synapticOperations, expected, "\(neuron): synaptic operations")
            XCTAssertGreaterThan(expected.reduce(0, +), 0, "\(neuron): the net should spike")
        }
    }

    /// The model's multiply-accumulates count connections, leaving out window taps on padding.
    func testMultiplyAccumulatesLeaveOutPadding() throws {
        var b = ModelBuilder(input: TensorShape(channels: 3, height: 5, width: 5))
        // 3×3, stride 2, padding 1 over 5: outputs 0, 1, 2 see rows {0,1}, {1,2,3}, {3,4}: 7 taps a side.
        let x = try b.conv2d(b.input, outputChannels: 4, window: Window(kernel: 3, stride: 2, padding: 1),
                             weights: [Float](repeating: 0.1, count: 108), bias: nil)
        _ = try b.globalAvgPool(x)
        let model = try loadModel(b.serialize())
        XCTAssertEqual(OperationCount.multiplyAccumulates(model: model.view), 7 * 7 * 3 * 4)
    }

    func testCountingNeedsASpikingSessionAndIsReportedOnlyWhenOn() throws {
        let model = try loadModel(try RandomNetworks.vgg(seed: 3, dyadic: false))
        XCTAssertThrowsError(try session(model, options(.ann)) { $0.countsSpikes = true }) {
            XCTAssertEqual(($0 as? GNError)?.status, .invalidOption)
        }
        let plain = try session(model, options(.groupNeuron, T: 2))
        XCTAssertThrowsError(try plain.session.neuronLayer(0)) { XCTAssertEqual(($0 as? GNError)?.status, .unsupported) }
        let counting = try session(model, options(.groupNeuron, T: 2)) { $0.countsSpikes = true }
        XCTAssertThrowsError(try counting.session.neuronLayer(model.view.neuronLayerCount)) {
            XCTAssertEqual(($0 as? GNError)?.status, .outOfRange)
        }
        var spikes = [Int](repeating: 0, count: 1)
        var operations = spikes
        try spikes.withUnsafeMutableBufferPointer { spikeBuffer in
            try operations.withUnsafeMutableBufferPointer { operationBuffer in
                XCTAssertThrowsError(try counting.session.spikeCounts(spikes: spikeBuffer, synapticOperations: operationBuffer)) {
                    XCTAssertEqual(($0 as? GNError)?.status, .noResult)
                }
            }
        }
    }
}
