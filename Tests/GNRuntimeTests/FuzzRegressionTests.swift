import Foundation
import GNRuntimeC
import XCTest
@testable import GNRuntime

/// What the fuzzer (scripts/fuzz.sh) found, kept as tests.
final class FuzzRegressionTests: XCTestCase {
    /// The threads of this process, from /proc.
    private func threadCount() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("Threads:") })
        return try XCTUnwrap(Int(line.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces)))
    }

    /// Found after 11 minutes and 1.37 million inputs: the fuzzer ran out of memory because every
    /// session with threads > 1 left its worker threads behind (each worker held its pool alive).
    /// Freeing a session must end its threads.
    func testFreedSessionsLeaveNoThreads() throws {
        let model = CAPI.load(try RandomNetworks.vgg(seed: 1, dyadic: false))
        defer { gn_model_free(model) }
        let before = try threadCount()
        for round in 0..<40 {
            var options = CAPI.options(GN_NEURON_GROUP, tau: 2, steps: 2, batch: 1)
            options.threads = UInt32(2 + round % 3)
            let session = CAPI.session(model, options)
            let input = randomInput(count: CAPI.inputCount(model), seed: UInt64(round), dyadic: false)
            _ = CAPI.run(session, input, samples: 1, outputCount: CAPI.outputCount(model))
            gn_session_free(session)
        }
        XCTAssertEqual(try threadCount(), before, "worker threads outlived their sessions")
    }
}
