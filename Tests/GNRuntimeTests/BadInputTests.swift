import GNRuntimeC
import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder

/// The bad-input contract through the C ABI: every bad input gets its documented status and a message,
/// nothing is written to out-parameters, and the model and session stay usable.
final class BadInputTests: XCTestCase {
    private var model: OpaquePointer?
    private var session: OpaquePointer?
    private var input: [Float] = []
    private var expected: [Float] = []
    private let batch = 2

    override func setUpWithError() throws {
        model = CAPI.load(try RandomNetworks.vgg(seed: 4, dyadic: false))
        session = CAPI.session(model, CAPI.options(GN_NEURON_GROUP, tau: 2, steps: 3, batch: UInt32(batch)))
        input = randomInput(count: batch * CAPI.inputCount(model), seed: 8, dyadic: false)
        expected = try CAPI.run(session, input, samples: batch, outputCount: batch * CAPI.outputCount(model)).get()
    }

    override func tearDown() {
        gn_session_free(session)
        gn_model_free(model)
    }

    /// The session still runs and gives the same answer as before the failure.
    private func assertSessionUsable(file: StaticString = #filePath, line: UInt = #line) {
        let again = CAPI.run(session, input, samples: batch, outputCount: batch * CAPI.outputCount(model))
        XCTAssertEqual(try again.get(), expected, "session changed after a failure", file: file, line: line)
    }

    private func assertFailure(_ status: gn_status, _ expectedStatus: gn_status, mentioning words: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(status, expectedStatus, "got \(String(cString: gn_status_string(status))): \(CAPI.lastError)",
                       file: file, line: line)
        XCTAssertTrue(CAPI.lastError.contains(words), "message \"\(CAPI.lastError)\" lacks \"\(words)\"", file: file, line: line)
        XCTAssertTrue(CAPI.lastError.hasPrefix(String(cString: gn_status_string(expectedStatus))), file: file, line: line)
    }

    func testRunRejectsBadBuffers() {
        let outputCount = batch * CAPI.outputCount(model)
        var output = [Float](repeating: 42, count: outputCount)
        let cases: [(String, () -> gn_status, gn_status, String)] = [
            ("null session", { gn_session_run(nil, self.input, self.input.count, 2, &output, outputCount) }, GN_STATUS_NULL_POINTER, "session is NULL"),
            ("null input", { gn_session_run(self.session, nil, self.input.count, 2, &output, outputCount) }, GN_STATUS_NULL_POINTER, "input is NULL"),
            ("null output", { gn_session_run(self.session, self.input, self.input.count, 2, nil, outputCount) }, GN_STATUS_NULL_POINTER, "output is NULL"),
            ("short input", { gn_session_run(self.session, self.input, self.input.count - 1, 2, &output, outputCount) }, GN_STATUS_SIZE_MISMATCH, "input has the wrong number"),
            ("long output", { gn_session_run(self.session, self.input, self.input.count, 2, &output, outputCount + 1) }, GN_STATUS_SIZE_MISMATCH, "output has the wrong number"),
            ("zero samples", { gn_session_run(self.session, self.input, 0, 0, &output, 0) }, GN_STATUS_SIZE_MISMATCH, "sample count"),
            ("too many samples", { gn_session_run(self.session, self.input, self.input.count, 3, &output, outputCount) }, GN_STATUS_SIZE_MISMATCH, "expected 2, got 3"),
        ]
        for (name, call, status, words) in cases {
            assertFailure(call(), status, mentioning: words)
            XCTAssertTrue(output.allSatisfy { $0 == 42 }, "\(name): output written on failure")
            if name != "null session" {
                XCTAssertEqual(String(cString: gn_session_last_error(session)), CAPI.lastError, name)
            }
            assertSessionUsable()
        }
    }

    func testRunRejectsNaNAndInfinity() {
        for bad: Float in [.nan, .infinity, -.infinity, .signalingNaN] {
            var poisoned = input
            poisoned[poisoned.count - 3] = bad
            var output = [Float](repeating: 42, count: batch * CAPI.outputCount(model))
            assertFailure(gn_session_run(session, poisoned, poisoned.count, batch, &output, output.count),
                          GN_STATUS_INVALID_INPUT, mentioning: "NaN or infinity (got \(poisoned.count - 3))")
            XCTAssertTrue(output.allSatisfy { $0 == 42 })
            assertSessionUsable()
        }
    }

    func testSessionOptionsOutOfRange() {
        let neurons: Int = { var count = 0; gn_model_neuron_layer_count(model, &count); return count }()
        // Per-layer tau arrays that outlive the cases below.
        let layerTau = UnsafeMutablePointer<UInt32>.allocate(capacity: 2)
        layerTau.initialize(repeating: 1, count: 2)
        let tooLarge = UnsafeMutablePointer<UInt32>.allocate(capacity: neurons)
        tooLarge.initialize(repeating: 0, count: neurons)
        tooLarge[1] = 65
        defer {
            layerTau.deallocate()
            tooLarge.deallocate()
        }
        let cases: [(gn_session_options, gn_status, String)] = [
            (CAPI.options(steps: 0), GN_STATUS_INVALID_OPTION, "time_steps must be at least 1"),
            (CAPI.options(tau: 0), GN_STATUS_INVALID_OPTION, "tau must be in 1...64"),
            (CAPI.options(tau: 65), GN_STATUS_INVALID_OPTION, "tau must be in 1...64"),
            (CAPI.options(batch: 0), GN_STATUS_INVALID_OPTION, "batch must be at least 1"),
            (CAPI.options(steps: 65536, batch: 65536), GN_STATUS_INVALID_OPTION, "time_steps x batch"),
            (CAPI.options(gn_neuron_kind(7)), GN_STATUS_INVALID_OPTION, "neuron is not a gn_neuron_kind"),
            ({ var o = CAPI.options(); o.layer_tau_count = 3; return o }(), GN_STATUS_NULL_POINTER, "layer_tau is NULL"),
            ({ var o = CAPI.options(); o.layer_tau = UnsafePointer(layerTau); o.layer_tau_count = 2; return o }(),
             GN_STATUS_INVALID_OPTION, "layer_tau_count must equal"),
            ({ var o = CAPI.options(); o.layer_tau = UnsafePointer(tooLarge); o.layer_tau_count = neurons; return o }(),
             GN_STATUS_INVALID_OPTION, "layer_tau entries"),
            ({ var o = CAPI.options(); o.count_spikes = 2; return o }(), GN_STATUS_INVALID_OPTION, "count_spikes must be 0 or 1"),
            ({ var o = CAPI.options(GN_NEURON_ANN); o.count_spikes = 1; return o }(), GN_STATUS_INVALID_OPTION,
             "count_spikes needs a spiking session"),
            ({ var o = CAPI.options(); o.exit_rule = gn_exit_rule(9); return o }(), GN_STATUS_INVALID_OPTION,
             "exit_rule is not a gn_exit_rule"),
            ({ var o = CAPI.options(); o.exit_rule = GN_EXIT_MARGIN; o.exit_margin = .nan; return o }(), GN_STATUS_INVALID_OPTION,
             "exit_margin must be finite"),
            ({ var o = CAPI.options(); o.exit_rule = GN_EXIT_STABLE; o.exit_steps = 0; return o }(), GN_STATUS_INVALID_OPTION,
             "exit_steps must be at least 1"),
            // Large but legal options: the plan's byte count overflows on 32-bit hosts, or is refused by the heap.
        ]
        for (options, status, words) in cases {
            var options = options
            var created: OpaquePointer? = OpaquePointer(bitPattern: 0x1)
            assertFailure(gn_session_create(model, &options, &created), status, mentioning: words)
            XCTAssertEqual(created, OpaquePointer(bitPattern: 0x1), "session_out written on failure")
            var bytes = 77
            assertFailure(gn_session_arena_size(model, &options, &bytes), status, mentioning: words)
            XCTAssertEqual(bytes, 77)
        }
        assertFailure(gn_session_create(model, nil, &session), GN_STATUS_NULL_POINTER, mentioning: "options is NULL")
        var options = CAPI.options()
        assertFailure(gn_session_create(nil, &options, &session), GN_STATUS_NULL_POINTER, mentioning: "model is NULL")
        assertFailure(gn_session_create(model, &options, nil), GN_STATUS_NULL_POINTER, mentioning: "session_out is NULL")
        assertSessionUsable()
    }

    func testFirstNonFiniteFindsEveryPosition() {
        // The 16-float steps and the tail: every position of arrays around a step's size.
        for count in [0, 1, 15, 16, 17, 33, 50] {
            var values = (0..<count).map { Float($0) - 7.5 }
            XCTAssertNil(FiniteValues.firstNonFinite(values, count: count), "\(count) finite values")
            for position in 0..<count {
                for bad in [Float.nan, .infinity, -.infinity] {
                    values[position] = bad
                    if position + 1 < count { values[count - 1] = .nan }
                    XCTAssertEqual(FiniteValues.firstNonFinite(values, count: count), position, "\(bad) at \(position) of \(count)")
                    values = (0..<count).map { Float($0) - 7.5 }
                }
            }
        }
    }

    func testCallerArenaTooSmallOrMisaligned() throws {
        var options = CAPI.options(GN_NEURON_IF, steps: 2)
        var needed = 0
        XCTAssertEqual(gn_session_arena_size(model, &options, &needed), GN_STATUS_OK)
        let arena = AlignedBuffer(count: needed + 64)
        var created: OpaquePointer?
        assertFailure(gn_session_create_in_arena(model, &options, arena.pointer, needed - 1, &created),
                      GN_STATUS_ARENA_TOO_SMALL, mentioning: "expected \(needed), got \(needed - 1)")
        assertFailure(gn_session_create_in_arena(model, &options, arena.pointer, 16, &created),
                      GN_STATUS_ARENA_TOO_SMALL, mentioning: "arena is smaller")
        assertFailure(gn_session_create_in_arena(model, &options, arena.pointer + 8, needed, &created),
                      GN_STATUS_MISALIGNED, mentioning: "64-byte aligned")
        assertFailure(gn_session_create_in_arena(model, &options, nil, needed, &created),
                      GN_STATUS_NULL_POINTER, mentioning: "arena is NULL")
        XCTAssertNil(created)
        // The exact size works, and gives what a library-allocated session gives.
        XCTAssertEqual(gn_session_create_in_arena(model, &options, arena.pointer, needed, &created), GN_STATUS_OK)
        let library = CAPI.session(model, CAPI.options(GN_NEURON_IF, steps: 2))
        let one = Array(input.prefix(CAPI.inputCount(model)))
        XCTAssertEqual(try CAPI.run(created, one, samples: 1, outputCount: CAPI.outputCount(model)).get(),
                       try CAPI.run(library, one, samples: 1, outputCount: CAPI.outputCount(model)).get())
        gn_session_free(created)
        gn_session_free(library)
        assertSessionUsable()
    }

    func testMaxPoolingRefusedInSpikingSessions() throws {
        let maxPoolModel = CAPI.load(try RandomNetworks.vgg(seed: 2, dyadic: false, maxPool: true))
        defer { gn_model_free(maxPoolModel) }
        for kind in [GN_NEURON_GROUP, GN_NEURON_IF] {
            var options = CAPI.options(kind)
            var created: OpaquePointer?
            assertFailure(gn_session_create(maxPoolModel, &options, &created), GN_STATUS_UNSUPPORTED,
                          mentioning: "layer 5 (maxpool2d): max pooling has no spiking equivalent")
            XCTAssertNil(created)
        }
        let ann = CAPI.session(maxPoolModel, CAPI.options(GN_NEURON_ANN))
        XCTAssertNotNil(ann)
        gn_session_free(ann)
    }

    func testPredictionsBeforeRunAndWithWrongCount() {
        let fresh = CAPI.session(model, CAPI.options(GN_NEURON_GROUP, tau: 2, steps: 3, batch: 2))
        defer { gn_session_free(fresh) }
        var predictions = [Int32](repeating: -7, count: 6)
        assertFailure(gn_session_predictions(fresh, &predictions, 6), GN_STATUS_NO_RESULT, mentioning: "has not run")
        _ = CAPI.run(fresh, Array(input.prefix(CAPI.inputCount(model))), samples: 1, outputCount: CAPI.outputCount(model))
        assertFailure(gn_session_predictions(fresh, &predictions, 6), GN_STATUS_SIZE_MISMATCH, mentioning: "expected 3, got 6")
        XCTAssertTrue(predictions.allSatisfy { $0 == -7 })
        XCTAssertEqual(gn_session_predictions(fresh, &predictions, 3), GN_STATUS_OK)
        assertFailure(gn_session_predictions(fresh, nil, 3), GN_STATUS_NULL_POINTER, mentioning: "predictions_out is NULL")
        assertFailure(gn_session_predictions(nil, &predictions, 3), GN_STATUS_NULL_POINTER, mentioning: "session is NULL")
    }

    func testModelQueriesRejectNullAndOutOfRange() {
        var shape = gn_shape(channels: 9, height: 9, width: 9)
        var count = 5
        var info = gn_layer_info()
        assertFailure(gn_model_input_shape(nil, &shape), GN_STATUS_NULL_POINTER, mentioning: "model is NULL")
        assertFailure(gn_model_output_shape(model, nil), GN_STATUS_NULL_POINTER, mentioning: "shape_out is NULL")
        assertFailure(gn_model_layer_count(nil, &count), GN_STATUS_NULL_POINTER, mentioning: "model is NULL")
        assertFailure(gn_model_neuron_layer_count(model, nil), GN_STATUS_NULL_POINTER, mentioning: "count_out is NULL")
        var layers = 0
        XCTAssertEqual(gn_model_layer_count(model, &layers), GN_STATUS_OK)
        assertFailure(gn_model_layer(model, layers, &info), GN_STATUS_OUT_OF_RANGE,
                      mentioning: "expected \(layers - 1), got \(layers)")
        assertFailure(gn_model_layer(model, -1, &info), GN_STATUS_OUT_OF_RANGE, mentioning: "past the last layer")
        var steps = 0
        assertFailure(gn_session_step_count(nil, &steps), GN_STATUS_NULL_POINTER, mentioning: "session is NULL")
        XCTAssertEqual(shape.channels, 9)
        XCTAssertEqual(count, 5)
        XCTAssertEqual(String(cString: gn_session_last_error(nil)), "")
    }

    func testStatusStrings() {
        XCTAssertEqual(String(cString: gn_status_string(GN_STATUS_OK)), "ok")
        XCTAssertEqual(String(cString: gn_status_string(GN_STATUS_BAD_MODEL)), "bad model")
        XCTAssertEqual(String(cString: gn_status_string(gn_status(99))), "unknown status")
        for raw in 0...13 {
            XCTAssertFalse(String(cString: gn_status_string(gn_status(UInt32(raw)))).isEmpty)
            XCTAssertEqual(GNStatus(rawValue: Int32(raw))?.rawValue, Int32(raw), "status \(raw) missing in Swift")
        }
        XCTAssertNil(GNStatus(rawValue: 14), "a status was added: extend the C header, this test and the docs")
        XCTAssertEqual(gn_version(), UInt32((GN_VERSION_MAJOR << 16) | (GN_VERSION_MINOR << 8) | GN_VERSION_PATCH))
    }
}
