import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder
import Synchronization

/// A clock that counts its readings, so that a layer timed once on one thread adds exactly 1.
private let clockReadings = Atomic<UInt64>(0)

/// Layer times (`Session.setLayerTimes`, `gn_session_time_layers`): each layer's time as the session
/// runs it. Timing changes no result; an add computed in a neuron layer's tasks has no time of its own,
/// every other layer that computes has one — a neuron layer computed in its convolution's tasks its
/// share of their time; an observer, which makes every layer run on its own, gives every such layer one
/// (in these sessions, which compute no convolution in bands). A counting clock shows each layer timed
/// once per step or pass, a convolution's fused job shared as its parts' readings were, and every run
/// starting again from 0.
final class LayerTimeTests: XCTestCase {
    func testEveryLayerHasATimeButAnAddComputedInANeuronLayersTasks() throws {
        let model = try loadModel(try ReferenceNetworks.build(.init(architecture: .resnet20, inputSize: 16, levels: 4)).serialize())
        let view = model.view
        let samples = 9
        let input = randomInput(count: samples * view.inputShape.elementCount, seed: 11, dyadic: false)
        var sawFusedNeuron = false, sawFusedAdd = false
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
                    sawFusedNeuron = sawFusedNeuron || plans[index].isFusedIntoConvolution
                    if plans[index].isFusedIntoNeuron {
                        sawFusedAdd = true
                        XCTAssertEqual(time, 0, "\(label), layer \(index) is computed in its neuron layer's tasks")
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
        XCTAssertTrue(sawFusedNeuron, "some neuron layer is computed in its convolution's tasks")
        XCTAssertTrue(sawFusedAdd, "some add is computed in its neuron layer's tasks")
    }

    func testEachLayerIsTimedOncePerStepOrPassAndEachRunStartsAgain() throws {
        // With a clock that ticks once per reading, on one thread, a layer's time counts how often it
        // ran on its own: step by step, every step but for layers computed once (static); layer by
        // layer, once per pass of samples; a lean session's convolution in bands never (its neuron
        // layer computes it), nor an add its neuron layer computes. A convolution's fused job of G
        // groups of tasks reads the clock 2 + 2G times, before and after it and after each part of each
        // group, and its parts took G ticks each: the convolution and its neuron layer 1 + G each.
        let model = try loadModel(try ReferenceNetworks.build(.init(architecture: .resnet20, inputSize: 16, levels: 4)).serialize())
        let view = model.view
        let samples = 33
        let input = randomInput(count: samples * view.inputShape.elementCount, seed: 12, dyadic: false)
        var output = [Float](repeating: 0, count: samples * view.outputShape.elementCount)
        let counters = UnsafeMutablePointer<UInt64>.allocate(capacity: view.layerCount)
        defer { counters.deallocate() }
        var sawBands = false, sawPasses = false, sawFusion = false
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
            // Each fused neuron layer's convolution (`LayerPlan.fusedNeuron`).
            var convolutionOfNeuron = [Int: Int]()
            for index in 0..<view.layerCount where plans[index].fusedNeuron >= 0 { convolutionOfNeuron[plans[index].fusedNeuron] = index }
            sawFusion = sawFusion || !convolutionOfNeuron.isEmpty
            // The readings a fused job adds to each of its two layers, 1 + its groups of tasks.
            func fusedReadings(_ convolution: Int) -> Int {
                let split = plans[convolution].kernel!.choice.split
                let group = FusedNeuron.group(split: split, outputChannels: plans[convolution].geometry.outputChannels)
                return 1 + (split.tasks(samples: samples) + group - 1) / group
            }
            // A stream's input changes every step, so that every layer runs at every step of it.
            func expected(_ index: Int, steps: Int, stream: Bool = false) -> UInt64 {
                let plan = plans[index]
                guard plan.kernel != nil, !plan.isFusedIntoNeuron, plan.bandRows == 0 else { return 0 }
                let runs = layerByLayer ? passes : (plan.isStatic && !stream ? 1 : steps)
                let fused = plan.fusedNeuron >= 0 ? index : convolutionOfNeuron[index]
                return UInt64(runs * (fused.map(fusedReadings) ?? 1))
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
        XCTAssertTrue(sawFusion, "a step-by-step session computes neuron layers in convolutions' tasks")
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
