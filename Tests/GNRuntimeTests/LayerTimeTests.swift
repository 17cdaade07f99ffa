import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder
import Synchronization

/// A clock that counts its readings, so that a layer timed once on one thread adds exactly 1.
private let clockReadings = Atomic<UInt64>(0)

/// Layer times (`Session.setLayerTimes`, `gn_session_time_layers`): each layer's time as the session
/// runs it. Timing changes no result; a layer computed in another's tasks has no time of its own, every
/// other layer that computes has one; an observer, which makes every layer run on its own, gives every
/// such layer one (in these sessions, which compute no convolution in bands). A counting clock shows each
/// layer timed once per step or pass, and every run starting again from 0.
final class LayerTimeTests: XCTestCase {
    func testEveryLayerRunOnItsOwnHasATimeAndLayersComputedInAnothersTasksHaveNone() throws {
        let model = try loadModel(try ReferenceNetworks.build(.init(architecture: .resnet20, inputSize: 16, levels: 4)).serialize())
        let view = model.view
        let samples = 9
        let input = randomInput(count: samples * view.inputShape.elementCount, seed: 11, dyadic: false)
        var sawFusedLayer = false
        for threads in [1, 2] {
            // T = 1 computes step by step, whatever the schedule (convolutions compute neuron layers);
            // T = 4 layer by layer takes passes of samples, step by step keeps static layers.
            for (steps, schedule) in [(1, Schedule.layerByLayer), (4, .layerByLayer), (4, .stepByStep)] {
                var sessionOptions = options(.groupNeuron, tau: 4, T: steps, batch: samples)
                sessionOptions.threads = threads
                sessionOptions.schedule = schedule
                let handle = try SessionHandle.create(model: model, options: sessionOptions)
                let label = "T=\(steps) \(schedule), \(threads) threads"
                let untimed = try runOutcome(handle, input: input, samples: samples, observed: false)
                try handle.timeLayers(true)
                XCTAssertEqual(try runOutcome(handle, input: input, samples: samples, observed: false), untimed, label)
                let plans = handle.session.plans
                for index in 0..<view.layerCount where plans[index].kernel != nil {
                    let time = try handle.session.layerTime(ofLayer: index)
                    if plans[index].isFusedIntoConvolution || plans[index].isFusedIntoNeuron {
                        sawFusedLayer = true
                        XCTAssertEqual(time, 0, "\(label), layer \(index) is computed in another's tasks")
                    } else {
                        XCTAssertGreaterThan(time, 0, "\(label), layer \(index)")
                    }
                }
                // Observed, every layer runs on its own.
                XCTAssertEqual(try runOutcome(handle, input: input, samples: samples, observed: true), untimed, label)
                for index in 0..<view.layerCount where plans[index].kernel != nil {
                    XCTAssertGreaterThan(try handle.session.layerTime(ofLayer: index), 0, "\(label), observed, layer \(index)")
                }
                // Off: no times, and the same results.
                try handle.timeLayers(false)
                XCTAssertThrowsError(try handle.session.layerTime(ofLayer: 0)) {
                    XCTAssertEqual(($0 as? GNError)?.status, .invalidState, label)
                }
                XCTAssertEqual(try runOutcome(handle, input: input, samples: samples, observed: false), untimed, label)
            }
        }
        XCTAssertTrue(sawFusedLayer, "some layer is computed in another's tasks")
    }

    func testEachLayerIsTimedOncePerStepOrPassAndEachRunStartsAgain() throws {
        // With a clock that ticks once per reading, on one thread, a layer's time counts how often it
        // ran on its own: step by step, every step but for layers computed once (static); layer by
        // layer, once per pass of samples; a lean session's convolution in bands never (its neuron
        // layer computes it); a layer computed in another's tasks never.
        let model = try loadModel(try ReferenceNetworks.build(.init(architecture: .resnet20, inputSize: 16, levels: 4)).serialize())
        let view = model.view
        let samples = 33
        let input = randomInput(count: samples * view.inputShape.elementCount, seed: 12, dyadic: false)
        var output = [Float](repeating: 0, count: samples * view.outputShape.elementCount)
        let counters = UnsafeMutablePointer<UInt64>.allocate(capacity: view.layerCount)
        defer { counters.deallocate() }
        var sawBands = false, sawPasses = false
        for schedule in [Schedule.stepByStep, .layerByLayer, .lean] {
            var sessionOptions = options(.groupNeuron, tau: 4, T: 4, batch: samples)
            sessionOptions.schedule = schedule
            let handle = try SessionHandle.create(model: model, options: sessionOptions)
            try handle.session.setLayerTimes(LayerTimes(clock: { clockReadings.add(1, ordering: .relaxed).newValue },
                                                        nanoseconds: counters, layerCount: view.layerCount, threads: 1))
            let plans = handle.session.plans
            let layerByLayer = handle.session.layerByLayer
            let passes = layerByLayer ? handle.session.layout.passes(samples: samples) : 1
            sawPasses = sawPasses || passes > 1
            // A stream's input changes every step, so that every layer runs at every step of it.
            func expected(_ index: Int, steps: Int, stream: Bool = false) -> UInt64 {
                let plan = plans[index]
                guard plan.kernel != nil, !plan.isFusedIntoConvolution, !plan.isFusedIntoNeuron, plan.bandRows == 0 else { return 0 }
                return UInt64(layerByLayer ? passes : (plan.isStatic && !stream ? 1 : steps))
            }
            // Twice: the second run starts again from 0.
            for _ in 0..<2 {
                _ = try runOutcome(handle, input: input, samples: samples, observed: false)
                for index in 0..<view.layerCount where plans[index].kernel != nil {
                    XCTAssertEqual(try handle.session.layerTime(ofLayer: index), expected(index, steps: 4), "\(schedule), layer \(index)")
                    sawBands = sawBands || plans[index].bandRows > 0
                }
            }
            // A stream's steps add up, from 0 at its start.
            guard !layerByLayer else { continue }
            try handle.session.beginStream(samples: samples)
            for step in 1...3 {
                try input.withUnsafeBufferPointer { input in
                    try output.withUnsafeMutableBufferPointer { try handle.session.step(input: input, output: $0) }
                }
                for index in 0..<view.layerCount where plans[index].kernel != nil {
                    XCTAssertEqual(try handle.session.layerTime(ofLayer: index), expected(index, steps: step, stream: true),
                                   "\(schedule), stream step \(step), layer \(index)")
                }
            }
        }
        XCTAssertTrue(sawPasses, "a layer-by-layer run of \(samples) samples takes passes")
        XCTAssertTrue(sawBands, "a lean session computes a convolution in bands")
    }

    func testLayerTimesNeedACounterForEveryLayerAndThread() throws {
        let model = try loadModel(try ReferenceNetworks.build(.init(architecture: .resnet20, inputSize: 16, levels: 4)).serialize())
        var sessionOptions = options(.groupNeuron, tau: 4, T: 1, batch: 2)
        sessionOptions.threads = 2
        let handle = try SessionHandle.create(model: model, options: sessionOptions)
        let layers = model.view.layerCount
        let counters = UnsafeMutablePointer<UInt64>.allocate(capacity: 2 * (layers + 1))
        defer { counters.deallocate() }
        for (layerCount, threads) in [(layers, 1), (layers - 1, 2), (layers + 1, 2)] {
            let times = LayerTimes(clock: { 1 }, nanoseconds: counters, layerCount: layerCount, threads: threads)
            XCTAssertThrowsError(try handle.session.setLayerTimes(times), "\(layerCount) layers, \(threads) threads") {
                XCTAssertEqual(($0 as? GNError)?.status, .invalidOption)
            }
            XCTAssertNil(handle.session.layerTimes)
        }
        // Before a run, set times hold nothing.
        try handle.session.setLayerTimes(LayerTimes(clock: { 1 }, nanoseconds: counters, layerCount: layers, threads: 2))
        XCTAssertThrowsError(try handle.session.layerTime(ofLayer: 0)) {
            XCTAssertEqual(($0 as? GNError)?.status, .noResult)
        }
        try handle.session.setLayerTimes(nil)
    }
}
