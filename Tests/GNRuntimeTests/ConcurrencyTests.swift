import Dispatch
import GNRuntimeC
import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder

/// One model serves sessions on several threads at once.
final class ConcurrencyTests: XCTestCase {
    func testSessionsOnManyThreadsShareOneModel() throws {
        let model = CAPI.load(try RandomNetworks.resnet(seed: 3, dyadic: false))
        defer { gn_model_free(model) }
        let inputCount = CAPI.inputCount(model), outputCount = CAPI.outputCount(model)
        let inputs = (0..<4).map { randomInput(count: inputCount, seed: UInt64($0), dyadic: false) }
        // Expected results, one thread, one session.
        let single = CAPI.session(model, CAPI.options(GN_NEURON_GROUP, tau: 3, steps: 4))
        let expected = try inputs.map { try CAPI.run(single, $0, samples: 1, outputCount: outputCount).get() }
        gn_session_free(single)

        let threads = 4, runs = 25
        let results = UnsafeMutableBufferPointer<[Float]?>.allocate(capacity: threads * runs)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        nonisolated(unsafe) let shared = model
        nonisolated(unsafe) let slots = results
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            var options = CAPI.options(GN_NEURON_GROUP, tau: 3, steps: 4)
            var session: OpaquePointer?
            guard gn_session_create(shared, &options, &session) == GN_STATUS_OK else { return }
            for run in 0..<runs {
                let input = inputs[(thread + run) % inputs.count]
                var output = [Float](repeating: 0, count: outputCount)
                if gn_session_run(session, input, input.count, 1, &output, output.count) == GN_STATUS_OK {
                    slots[thread * runs + run] = output
                }
            }
            gn_session_free(session)
        }
        for thread in 0..<threads {
            for run in 0..<runs {
                XCTAssertEqual(results[thread * runs + run], expected[(thread + run) % inputs.count], "thread \(thread), run \(run)")
            }
        }
    }
}
