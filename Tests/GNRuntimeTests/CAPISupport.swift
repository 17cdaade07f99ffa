import GNRuntimeC
import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder

/// Helpers for tests that go through the C ABI, exactly as a C program would.
enum CAPI {
    /// Loads `bytes` with gn_model_load_bytes; fails the test on error.
    static func load(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> OpaquePointer? {
        var model: OpaquePointer?
        let status = bytes.withUnsafeBytes { gn_model_load_bytes($0.baseAddress, $0.count, GN_LOAD_DEFAULT, &model) }
        XCTAssertEqual(status, GN_STATUS_OK, String(cString: gn_last_error()), file: file, line: line)
        return model
    }

    static func options(_ neuron: gn_neuron_kind = GN_NEURON_GROUP, tau: UInt32 = 4, steps: UInt32 = 4,
                        batch: UInt32 = 1) -> gn_session_options {
        var options = gn_session_options_default()
        options.neuron = neuron
        options.tau = tau
        options.time_steps = steps
        options.batch = batch
        return options
    }

    static func session(_ model: OpaquePointer?, _ options: gn_session_options,
                        file: StaticString = #filePath, line: UInt = #line) -> OpaquePointer? {
        var session: OpaquePointer?
        var options = options
        let status = gn_session_create(model, &options, &session)
        XCTAssertEqual(status, GN_STATUS_OK, String(cString: gn_last_error()), file: file, line: line)
        return session
    }

    static func inputCount(_ model: OpaquePointer?) -> Int {
        var shape = gn_shape()
        gn_model_input_shape(model, &shape)
        return Int(shape.channels * shape.height * shape.width)
    }

    static func outputCount(_ model: OpaquePointer?) -> Int {
        var shape = gn_shape()
        gn_model_output_shape(model, &shape)
        return Int(shape.channels * shape.height * shape.width)
    }

    /// Runs `samples` samples and returns the output, or the status on failure.
    static func run(_ session: OpaquePointer?, _ input: [Float], samples: Int, outputCount: Int) -> Result<[Float], CStatus> {
        var output = [Float](repeating: .nan, count: outputCount)
        let status = gn_session_run(session, input, input.count, samples, &output, output.count)
        return status == GN_STATUS_OK ? .success(output) : .failure(CStatus(status))
    }

    /// A status as an Error, for Result.
    struct CStatus: Error, Equatable {
        let status: gn_status
        init(_ status: gn_status) { self.status = status }
    }

    /// The current thread's last error message.
    static var lastError: String { String(cString: gn_last_error()) }
}
