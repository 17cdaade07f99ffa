import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder

/// Streams: a host feeds one step's input at a time.
final class StreamTests: XCTestCase {
    /// Fed the same input T times, a stream computes what a run does: the step outputs' running mean
    /// is the run's output bit for bit, and the predictions and counts are equal.
    func testAStreamOfTheSameInputEqualsARun() throws {
        for bytes in [try RandomNetworks.vgg(seed: 91, dyadic: false), try RandomNetworks.resnet(seed: 92, dyadic: false)] {
            let model = try loadModel(bytes)
            let samples = 3
            let steps = 5
            let input = randomInput(count: samples * model.view.inputShape.elementCount, seed: 93, dyadic: false)
            for neuron in [NeuronKind.groupNeuron, .integrateAndFire, .ann] {
                var base = options(neuron, tau: 3, T: steps, batch: samples)
                base.countsSpikes = neuron != .ann
                let run = try session(model, base).anytimeRun(input, samples: samples)
                let handle = try session(model, base) { $0.schedule = .stepByStep }
                try handle.session.beginStream(samples: samples)
                var sum = [Float](repeating: 0, count: run.output.count)
                for _ in 0..<handle.session.steps {
                    var output = [Float](repeating: .nan, count: run.output.count)
                    try input.withUnsafeBufferPointer { inputBuffer in
                        try output.withUnsafeMutableBufferPointer { try handle.session.step(input: inputBuffer, output: $0) }
                    }
                    for index in sum.indices { sum[index] += output[index] }
                }
                let streamed = try handle.report(output: sum.map { $0 / Float(handle.session.steps) })
                assertSame(bitPatterns(streamed.output), bitPatterns(run.output), "\(neuron): output")
                assertSame(streamed.predictions, run.predictions, "\(neuron): predictions")
                assertSame(streamed.spikes, run.spikes, "\(neuron): spikes")
                assertSame(streamed.synapticOperations, run.synapticOperations, "\(neuron): operations")
                assertSame(streamed.sampleSteps, run.sampleSteps, "\(neuron): steps")
            }
        }
    }

    /// Each step reads that step's input: layers that depend on the input alone are computed again.
    func testEachStepReadsItsOwnInput() throws {
        let model = try loadModel(try RandomNetworks.vgg(seed: 95, dyadic: false))
        let elements = model.view.inputShape.elementCount
        let first = randomInput(count: elements, seed: 96, dyadic: false)
        let second = randomInput(count: elements, seed: 97, dyadic: false)
        var base = options(.groupNeuron, tau: 2, T: 3)
        base.schedule = .stepByStep

        /// The first layer's output at each step of a stream of `inputs`.
        func firstLayer(_ inputs: [[Float]]) throws -> [[Float]] {
            let handle = try session(model, base)
            var seen: [[Float]] = []
            let observer = ObserverBox { layer, _, values, count in
                if layer == 0 { seen.append(Array(values)) }
            }
            handle.session.observer = observer.observer
            try withExtendedLifetime(observer) {
                try handle.session.beginStream(samples: 1)
                for input in inputs {
                    var output = [Float](repeating: 0, count: model.view.outputShape.elementCount)
                    try input.withUnsafeBufferPointer { inputBuffer in
                        try output.withUnsafeMutableBufferPointer { try handle.session.step(input: inputBuffer, output: $0) }
                    }
                }
            }
            return seen
        }
        let stream = try firstLayer([first, second])
        XCTAssertEqual(stream.count, 2)
        assertSame(bitPatterns(stream[0]), bitPatterns(try firstLayer([first])[0]), "step 0")
        assertSame(bitPatterns(stream[1]), bitPatterns(try firstLayer([second])[0]), "step 1")
        XCTAssertNotEqual(stream[0], stream[1])
    }

    func testStreamStates() throws {
        let model = try loadModel(try RandomNetworks.vgg(seed: 98, dyadic: false))
        let input = randomInput(count: model.view.inputShape.elementCount, seed: 99, dyadic: false)
        var output = [Float](repeating: 0, count: model.view.outputShape.elementCount)
        func step(_ handle: SessionHandle) throws {
            try input.withUnsafeBufferPointer { inputBuffer in
                try output.withUnsafeMutableBufferPointer { try handle.session.step(input: inputBuffer, output: $0) }
            }
        }
        func status(_ body: () throws -> Void) -> GNStatus? {
            do { try body() } catch { return (error as? GNError)?.status }
            return .ok
        }
        // Layer by layer with T > 1 cannot stream.
        let layered = try session(model, options(.groupNeuron, T: 2))
        XCTAssertEqual(status { try layered.session.beginStream(samples: 1) }, .invalidState)
        let handle = try session(model, options(.groupNeuron, T: 2)) { $0.schedule = .stepByStep }
        XCTAssertEqual(status { try step(handle) }, .invalidState)
        XCTAssertEqual(status { try handle.session.beginStream(samples: 2) }, .sizeMismatch)
        XCTAssertEqual(status { try handle.session.beginStream(samples: 1) }, .ok)
        XCTAssertEqual(status { try step(handle) }, .ok)
        XCTAssertEqual(handle.session.stepsTaken, 1)
        XCTAssertEqual(status { try step(handle) }, .ok)
        XCTAssertEqual(status { try step(handle) }, .outOfRange)
        XCTAssertEqual(handle.session.stepsTaken, 2)
        // A run ends the stream.
        _ = try handle.anytimeRun(input, samples: 1)
        XCTAssertEqual(status { try step(handle) }, .invalidState)
    }
}
