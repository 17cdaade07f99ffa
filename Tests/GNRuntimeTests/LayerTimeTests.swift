import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder

/// Layer times (`Session.setLayerTimes`, `gn_session_time_layers`): each layer's time as the session
/// runs it. Timing changes no result; a layer computed in another's tasks has no time of its own, every
/// other layer that computes has one; an observer, which makes every layer run on its own, gives every
/// such layer one.
final class LayerTimeTests: XCTestCase {
    func testEveryLayerRunOnItsOwnHasATimeAndLayersComputedInAnothersTasksHaveNone() throws {
        let model = try loadModel(try ReferenceNetworks.build(.init(architecture: .resnet20, inputSize: 16, levels: 4)).serialize())
        let view = model.view
        let samples = 9
        let input = randomInput(count: samples * view.inputShape.elementCount, seed: 11, dyadic: false)
        var sawFusedLayer = false
        for threads in [1, 2] {
            for (steps, schedule) in [(1, Schedule.layerByLayer), (4, .stepByStep)] {
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
