import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder

/// Early exit: a sample stops once its running prediction is settled.
final class EarlyExitTests: XCTestCase {
    let samples = 8
    let steps = 8

    func fixture(seed: UInt64) throws -> (ModelHandle, [Float]) {
        let model = try loadModel(try RandomNetworks.resnet(seed: seed, dyadic: false))
        return (model, randomInput(count: samples * model.view.inputShape.elementCount, seed: seed + 1, dyadic: false))
    }

    /// A rule that never fires changes nothing: outputs, predictions and counts equal, bit for bit,
    /// those of a session without one (whichever schedule that uses).
    func testARuleThatNeverFiresChangesNothing() throws {
        let (model, input) = try fixture(seed: 61)
        for neuron in [NeuronKind.groupNeuron, .integrateAndFire] {
            for schedule in [Schedule.layerByLayer, .stepByStep] {
                var base = options(neuron, tau: 2, T: steps, batch: samples)
                base.schedule = schedule
                base.countsSpikes = true
                let full = try session(model, base).anytimeRun(input, samples: samples)
                let rules: [(ExitRule, Float, Int)] = [(.margin, 1e30, 1), (.stable, 0, steps + 1)]
                for (rule, margin, stableSteps) in rules {
                    let ruled = try session(model, base) {
                        $0.exitRule = rule
                        $0.exitMargin = margin
                        $0.exitSteps = stableSteps
                    }.anytimeRun(input, samples: samples)
                    let label = "\(neuron) \(schedule) \(rule)"
                    assertSame(bitPatterns(ruled.output), bitPatterns(full.output), "\(label): output")
                    assertSame(ruled.predictions, full.predictions, "\(label): predictions")
                    assertSame(ruled.spikes, full.spikes, "\(label): spikes")
                    assertSame(ruled.synapticOperations, full.synapticOperations, "\(label): operations")
                    assertSame(ruled.sampleSteps, [Int32](repeating: Int32(steps), count: samples), "\(label): steps run")
                }
            }
        }
    }

    /// Each stopped sample reports exactly what the full run had at the step it stopped: its running
    /// predictions up to then (and that one after), and as output the mean over the steps it ran —
    /// bit for bit the output of a run of that many steps. Its later steps cost nothing: no spikes
    /// counted, no layer computes it.
    func testAStoppedSampleReportsTheFullRunAtItsStep() throws {
        let (model, input) = try fixture(seed: 71)
        let outputs = model.view.outputShape.elementCount
        let inputs = model.view.inputShape.elementCount
        for neuron in [NeuronKind.groupNeuron, .integrateAndFire] {
            var base = options(neuron, tau: 2, T: steps, batch: samples)
            base.countsSpikes = true
            let full = try session(model, base).anytimeRun(input, samples: samples)
            for (rule, margin, stableSteps) in [(ExitRule.margin, Float(0.05), 1), (.stable, 0, 3)] {
                let handle = try session(model, base) {
                    $0.exitRule = rule
                    $0.exitMargin = margin
                    $0.exitSteps = stableSteps
                }
                var computedSamples: [Int: Int] = [:]  // step → samples the last layer computed
                let lastLayer = model.view.layerCount - 1
                let observer = ObserverBox { layer, step, _, count in
                    if layer == lastLayer { computedSamples[step] = count / outputs }
                }
                handle.session.observer = observer.observer
                let ruled = try withExtendedLifetime(observer) { try handle.anytimeRun(input, samples: samples) }
                let label = "\(neuron) \(rule)"
                XCTAssertTrue(ruled.sampleSteps.contains { $0 < Int32(steps) }, "\(label): some sample should stop early")
                for sample in 0..<samples {
                    let stop = Int(ruled.sampleSteps[sample])
                    XCTAssertTrue((1...steps).contains(stop), label)
                    for step in 0..<steps {
                        XCTAssertEqual(ruled.predictions[step * samples + sample], full.predictions[min(step, stop - 1) * samples + sample],
                                       "\(label): sample \(sample) step \(step)")
                    }
                    // The rule held at the stop step and at no earlier step.
                    let history = (0..<stop).map { full.predictions[$0 * samples + sample] }
                    if rule == .stable {
                        if stop < steps {
                            XCTAssertEqual(Set(history.suffix(stableSteps)).count, 1, label)
                            XCTAssertGreaterThanOrEqual(stop, stableSteps, label)
                        }
                        for earlier in stableSteps..<stop {
                            XCTAssertGreaterThan(Set(history[(earlier - stableSteps)..<earlier]).count, 1, "\(label): settled earlier")
                        }
                    }
                    // Output: a run of `stop` steps, bit for bit.
                    let sampleInput = Array(input[(sample * inputs)..<((sample + 1) * inputs)])
                    let short = try session(model, options(neuron, tau: 2, T: stop)).anytimeRun(sampleInput, samples: 1)
                    assertSame(bitPatterns(Array(ruled.output[(sample * outputs)..<((sample + 1) * outputs)])),
                               bitPatterns(short.output), "\(label): sample \(sample) output")
                    // Counts: the full run's up to the stop, then 0.
                    let layers = model.view.neuronLayerCount
                    for step in 0..<steps {
                        for layer in 0..<layers {
                            let index = (step * layers + layer) * samples + sample
                            XCTAssertEqual(ruled.spikes[index], step < stop ? full.spikes[index] : 0, "\(label): spikes")
                        }
                    }
                }
                // Each step computes the samples still running.
                for step in 0..<steps {
                    let running = ruled.sampleSteps.filter { Int($0) > step }.count
                    XCTAssertEqual(computedSamples[step] ?? 0, running, "\(label): samples computed at step \(step)")
                }
            }
        }
    }

    func testBadExitOptionsAreRejected() throws {
        let (model, _) = try fixture(seed: 81)
        let cases: [(ExitRule, Float, Int)] = [(.margin, .nan, 1), (.margin, -1, 1), (.margin, .infinity, 1), (.stable, 0, 0)]
        for (rule, margin, stableSteps) in cases {
            XCTAssertThrowsError(try session(model, options(.groupNeuron, T: 4)) {
                $0.exitRule = rule
                $0.exitMargin = margin
                $0.exitSteps = stableSteps
            }) { XCTAssertEqual(($0 as? GNError)?.status, .invalidOption, "\(rule) \(margin) \(stableSteps)") }
        }
    }
}
