import GNRuntimeC
import MallocCounter
import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder

/// `gn_session_run` performs no heap allocation: malloc, calloc, realloc, free and the aligned
/// allocators are replaced in this test process, and the calls the running thread makes are counted.
final class ZeroAllocationTests: XCTestCase {
    func testCounterSeesAllocations() {
        // The counter itself must work, or a zero below would prove nothing.
        malloc_counter_start()
        let array = [Int](repeating: 1, count: 1000)
        let calls = malloc_counter_stop()
        XCTAssertEqual(array.count, 1000)
        XCTAssertGreaterThan(calls, 0)
    }

    func testRunAllocatesNothing() throws {
        let models = [try RandomNetworks.vgg(seed: 1, dyadic: false), try RandomNetworks.resnet(seed: 2, dyadic: false),
                      try RandomNetworks.vgg(seed: 3, dyadic: false, maxPool: true),
                      try ReferenceNetworks.build(.init(architecture: .resnet20, inputSize: 8, levels: 4, int8: true)).serialize()]
        for (index, bytes) in models.enumerated() {
            let model = CAPI.load(bytes)
            defer { gn_model_free(model) }
            let kinds = index == 2 ? [GN_NEURON_ANN] : [GN_NEURON_ANN, GN_NEURON_GROUP, GN_NEURON_IF]
            for (kind, schedule, threads) in kinds.flatMap({ kind in
                [(kind, GN_SCHEDULE_LAYER_BY_LAYER, UInt32(1)), (kind, GN_SCHEDULE_STEP_BY_STEP, UInt32(1)),
                 (kind, GN_SCHEDULE_LAYER_BY_LAYER, UInt32(2))]
            }) {
                var sessionOptions = CAPI.options(kind, tau: 4, steps: 4, batch: 2)
                sessionOptions.schedule = schedule
                sessionOptions.threads = threads
                let session = CAPI.session(model, sessionOptions)
                defer { gn_session_free(session) }
                let input = randomInput(count: 2 * CAPI.inputCount(model), seed: 1, dyadic: false)
                var output = [Float](repeating: 0, count: 2 * CAPI.outputCount(model))
                var predictions = [Int32](repeating: 0, count: 8)
                var nan = input
                nan[5] = .nan
                try input.withUnsafeBufferPointer { input in
                    try nan.withUnsafeBufferPointer { nan in
                        try output.withUnsafeMutableBufferPointer { output in
                            try predictions.withUnsafeMutableBufferPointer { predictions in
                                let steps = kind == GN_NEURON_ANN ? 1 : 4
                                var observed = 0
                                var statuses = [gn_status](repeating: GN_STATUS_OK, count: 7)
                                func calls(_ statuses: UnsafeMutableBufferPointer<gn_status>) {
                                    statuses[0] = gn_session_run(session, input.baseAddress, input.count, 2, output.baseAddress, output.count)
                                    statuses[1] = gn_session_run(session, input.baseAddress, input.count / 2, 1, output.baseAddress, output.count / 2)
                                    statuses[2] = gn_session_predictions(session, predictions.baseAddress, steps)
                                    // An observer costs no allocation either.
                                    statuses[3] = gn_session_set_observer(session, { context, _, _, _, _ in
                                        context!.assumingMemoryBound(to: Int.self).pointee += 1
                                    }, &observed)
                                    statuses[4] = gn_session_run(session, input.baseAddress, input.count, 2, output.baseAddress, output.count)
                                    statuses[5] = gn_session_set_observer(session, nil, nil)
                                    // A failing run formats its message without allocating either.
                                    statuses[6] = gn_session_run(session, nan.baseAddress, nan.count, 2, output.baseAddress, output.count)
                                }
                                // Warm up once, outside the count: an unoptimised build instantiates
                                // generic type metadata lazily, once per process.
                                statuses.withUnsafeMutableBufferPointer { calls($0) }
                                observed = 0
                                malloc_counter_start()
                                statuses.withUnsafeMutableBufferPointer { calls($0) }
                                let heapCalls = malloc_counter_stop()
                                XCTAssertEqual(statuses, [GN_STATUS_OK, GN_STATUS_OK, GN_STATUS_OK, GN_STATUS_OK, GN_STATUS_OK,
                                                          GN_STATUS_OK, GN_STATUS_INVALID_INPUT])
                                XCTAssertGreaterThanOrEqual(observed, steps * 5, "the observer saw every layer")
                                XCTAssertEqual(heapCalls, 0, "model \(index), neuron \(kind.rawValue), schedule \(schedule.rawValue), \(threads) threads: \(heapCalls) heap calls during runs")
                                _ = try XCTUnwrap(output.first)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Counting spikes, stopping samples early and streaming allocate nothing either.
    func testAccountingExitsAndStreamsAllocateNothing() throws {
        let model = CAPI.load(try RandomNetworks.resnet(seed: 5, dyadic: false))
        defer { gn_model_free(model) }
        var sessionOptions = CAPI.options(GN_NEURON_GROUP, tau: 2, steps: 6, batch: 4)
        sessionOptions.count_spikes = 1
        sessionOptions.exit_rule = GN_EXIT_MARGIN
        sessionOptions.exit_margin = 0.05
        sessionOptions.threads = 2
        let session = CAPI.session(model, sessionOptions)
        defer { gn_session_free(session) }
        var neurons = 0
        gn_model_neuron_layer_count(model, &neurons)
        let input = randomInput(count: 4 * CAPI.inputCount(model), seed: 6, dyadic: false)
        var output = [Float](repeating: 0, count: 4 * CAPI.outputCount(model))
        var spikes = [UInt64](repeating: 0, count: 6 * neurons * 4)
        var operations = spikes
        var sampleSteps = [UInt32](repeating: 0, count: 4)
        try input.withUnsafeBufferPointer { input in
            try output.withUnsafeMutableBufferPointer { output in
                try spikes.withUnsafeMutableBufferPointer { spikes in
                    try operations.withUnsafeMutableBufferPointer { operations in
                        try sampleSteps.withUnsafeMutableBufferPointer { sampleSteps in
                            var statuses = [gn_status](repeating: GN_STATUS_OK, count: 6)
                            func calls(_ statuses: UnsafeMutableBufferPointer<gn_status>) {
                                statuses[0] = gn_session_run(session, input.baseAddress, input.count, 4, output.baseAddress, output.count)
                                statuses[1] = gn_session_spike_counts(session, spikes.baseAddress, operations.baseAddress, spikes.count)
                                statuses[2] = gn_session_sample_steps(session, sampleSteps.baseAddress, 4)
                                statuses[3] = gn_session_begin_stream(session, 4)
                                statuses[4] = gn_session_step(session, input.baseAddress, input.count, output.baseAddress, output.count)
                                statuses[5] = gn_session_spike_counts(session, spikes.baseAddress, operations.baseAddress, spikes.count / 6)
                            }
                            statuses.withUnsafeMutableBufferPointer { calls($0) }
                            malloc_counter_start()
                            statuses.withUnsafeMutableBufferPointer { calls($0) }
                            let heapCalls = malloc_counter_stop()
                            XCTAssertEqual(statuses, [GN_STATUS_OK, GN_STATUS_OK, GN_STATUS_OK, GN_STATUS_OK, GN_STATUS_OK, GN_STATUS_OK],
                                           String(cString: gn_last_error()))
                            XCTAssertEqual(heapCalls, 0, "\(heapCalls) heap calls")
                            _ = try XCTUnwrap(output.first)
                        }
                    }
                }
            }
        }
        XCTAssertGreaterThan(spikes.reduce(0, +), 0)
    }

    /// Timing the layers (`gn_session_time_layers`) adds no allocation to a run: the counters are
    /// allocated when timing is turned on, and a convolution's fused job keeps its parts' times on the
    /// stack, for as many threads as a session may have.
    func testTimedRunsAllocateNothing() throws {
        let bytes = try ReferenceNetworks.build(.init(architecture: .resnet20, inputSize: 16, levels: 4)).serialize()
        let model = CAPI.load(bytes)
        defer { gn_model_free(model) }
        var layers = 0
        XCTAssertEqual(gn_model_layer_count(model, &layers), GN_STATUS_OK)
        // T = 1 and step by step compute neuron layers in convolutions' tasks; layer by layer at T = 4 not.
        for (steps, schedule) in [(1, GN_SCHEDULE_LAYER_BY_LAYER), (4, GN_SCHEDULE_STEP_BY_STEP), (4, GN_SCHEDULE_LAYER_BY_LAYER)] {
            var sessionOptions = CAPI.options(GN_NEURON_GROUP, tau: 4, steps: UInt32(steps), batch: 2)
            sessionOptions.schedule = schedule
            sessionOptions.threads = UInt32(SessionOptions.maxThreads)
            let label = "T = \(steps), schedule \(schedule.rawValue)"
            let session = CAPI.session(model, sessionOptions)
            defer { gn_session_free(session) }
            let plans = Unmanaged<SessionHandle>.fromOpaque(UnsafeRawPointer(try XCTUnwrap(session))).takeUnretainedValue().session.plans
            let fuses = (0..<layers).contains { plans[$0].fusedNeuron >= 0 }
            XCTAssertEqual(fuses, steps == 1 || schedule == GN_SCHEDULE_STEP_BY_STEP, label)
            XCTAssertEqual(gn_session_time_layers(session, 1), GN_STATUS_OK, label)
            let input = randomInput(count: 2 * CAPI.inputCount(model), seed: 8, dyadic: false)
            var output = [Float](repeating: 0, count: 2 * CAPI.outputCount(model))
            var time: UInt64 = 0
            input.withUnsafeBufferPointer { input in
                output.withUnsafeMutableBufferPointer { output in
                    var statuses = [gn_status](repeating: GN_STATUS_OK, count: 2)
                    func calls(_ statuses: UnsafeMutableBufferPointer<gn_status>) {
                        statuses[0] = gn_session_run(session, input.baseAddress, input.count, 2, output.baseAddress, output.count)
                        statuses[1] = gn_session_layer_time(session, 0, &time)
                    }
                    statuses.withUnsafeMutableBufferPointer { calls($0) }
                    malloc_counter_start()
                    statuses.withUnsafeMutableBufferPointer { calls($0) }
                    let heapCalls = malloc_counter_stop()
                    XCTAssertEqual(statuses, [GN_STATUS_OK, GN_STATUS_OK], label)
                    XCTAssertEqual(heapCalls, 0, "\(label): \(heapCalls) heap calls during a timed run")
                }
            }
            XCTAssertGreaterThan(time, 0, label)
        }
    }
}
