import Foundation
import GNRuntimeC
import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder

/// What the fuzzer (scripts/fuzz.sh) found, kept as tests.
final class FuzzRegressionTests: XCTestCase {
    /// The session worker threads of this process once their count settles at `expected`.
    private func workerThreadCount(settlingAt expected: Int) throws -> Int {
        try settled(at: expected) { try ProcessThreads.workerIDs().count }
    }

    /// Found after 11 minutes and 1.37 million inputs: the fuzzer ran out of memory because every
    /// session with threads > 1 left its worker threads behind (each worker held its pool alive).
    /// Freeing a session must end its threads.
    func testFreedSessionsLeaveNoThreads() throws {
        let model = CAPI.load(try RandomNetworks.vgg(seed: 1, dyadic: false))
        defer { gn_model_free(model) }
        XCTAssertEqual(try workerThreadCount(settlingAt: 0), 0, "a session before this test left worker threads")
        for round in 0..<40 {
            var options = CAPI.options(GN_NEURON_GROUP, tau: 2, steps: 2, batch: 1)
            options.threads = UInt32(2 + round % 3)
            let session = CAPI.session(model, options)
            let workers = Int(options.threads) - 1
            if round < 3 { XCTAssertEqual(try workerThreadCount(settlingAt: workers), workers, "a live session's workers") }
            let input = randomInput(count: CAPI.inputCount(model), seed: UInt64(round), dyadic: false)
            _ = CAPI.run(session, input, samples: 1, outputCount: CAPI.outputCount(model))
            gn_session_free(session)
        }
        XCTAssertEqual(try workerThreadCount(settlingAt: 0), 0, "worker threads outlived their sessions")
    }

    /// Found at once when the fuzzer first counted spikes: with a threshold so small (a subnormal)
    /// that 1/unit overflows, a neuron's output times 1/unit is infinite or NaN, and converting it to a
    /// count trapped. Counts are clamped to 0 … members; every threshold runs with IF, and with Group
    /// Neurons whose unit λ/τ is a normal float (sessions refuse smaller units: bad-input row B66).
    func testExtremeThresholdsCountWithoutTrapping() throws {
        for threshold: Float in [1e-40, .leastNonzeroMagnitude, 3e38, .greatestFiniteMagnitude] {
            var b = ModelBuilder(input: TensorShape(channels: 1, height: 4, width: 4))
            let x = try b.conv2d(b.input, outputChannels: 3, window: Window(kernel: 3, padding: 1),
                                 weights: (0..<27).map { Float($0 % 5) - 1.5 }, bias: [0.5, -0.5, 1e30])
            _ = try b.linear(try b.flatten(try b.qcfs(x, levels: 4, threshold: threshold)), outputs: 2,
                             weights: [Float](repeating: 0.25, count: 96), bias: nil)
            let model = try loadModel(b.serialize())
            for neuron in [NeuronKind.groupNeuron, .integrateAndFire] {
                // A Group Neuron whose unit λ/τ is below the normal floats is refused (bad-input B66).
                if neuron == .groupNeuron && !(threshold / 4).isNormal {
                    XCTAssertThrowsError(try session(model, options(neuron, tau: 4, T: 3))) { error in
                        XCTAssertEqual((error as? GNError)?.status, .unsupported, "\(threshold)")
                    }
                    continue
                }
                let handle = try session(model, options(neuron, tau: 4, T: 3)) { $0.countsSpikes = true }
                let run = try handle.anytimeRun(randomInput(count: 16, seed: 1, dyadic: false), samples: 1)
                let members = neuron == .groupNeuron ? 4 : 1
                for count in run.spikes { XCTAssertTrue((0...48 * members).contains(count), "\(threshold) \(neuron): \(count)") }
            }
        }
    }
}
