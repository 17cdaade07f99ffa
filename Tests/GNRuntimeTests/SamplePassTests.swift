import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder

/// A layer-by-layer run of one thread takes a large batch through the network a pass of samples at a
/// time (`ArenaLayout.samplesPerPass`), so that a pass's activations stay in cache. Every sample is
/// computed alone, so the passes must give, bit for bit, what one pass of the whole batch gives (a run
/// with an observer set) and what runs of one sample give: outputs, predictions, spike counts.
final class SamplePassTests: XCTestCase {
    /// Fails, naming the parts that differ, unless `actual` equals `expected` (without printing either:
    /// they hold thousands of values).
    private func assertSame(_ actual: RunOutcome, _ expected: RunOutcome, _ label: String, line: UInt = #line) {
        var differing: [String] = []
        if actual.output != expected.output { differing.append("outputs") }
        if actual.predictions != expected.predictions { differing.append("predictions") }
        if actual.spikes != expected.spikes { differing.append("spike counts") }
        if actual.operations != expected.operations { differing.append("synaptic operations") }
        XCTAssertEqual(differing, [], "\(label): these differ", line: line)
    }

    /// The outcomes of runs of one sample each, put together as one run of all of them reports them
    /// (predictions `[step][sample]`, counts `[step][neuron layer][sample]`).
    private func sampleBySample(_ handle: SessionHandle, input: [Float], samples: Int) throws -> RunOutcome {
        let view = handle.model.view
        let inputElements = view.inputShape.elementCount
        let alone = try (0..<samples).map { sample in
            try runOutcome(handle, input: Array(input[(sample * inputElements)..<((sample + 1) * inputElements)]), samples: 1, observed: false)
        }
        let steps = alone[0].predictions.count, rows = steps * view.neuronLayerCount
        return RunOutcome(output: alone.flatMap(\.output),
                       predictions: (0..<steps).flatMap { step in alone.map { $0.predictions[step] } },
                       spikes: (0..<rows).flatMap { row in alone.map { $0.spikes[row] } },
                       operations: (0..<rows).flatMap { row in alone.map { $0.operations[row] } })
    }

    func testPassesComputeWhatOnePassAndSingleSamplesCompute() throws {
        // ResNet-20 on 32 × 32 inputs at T = 4: a 16-channel layer's output holds 256 KiB a sample, so
        // passes of two samples; a batch of five runs as passes of 2, 2 and 1.
        let model = try loadModel(try ReferenceNetworks.build(.init(architecture: .resnet20, levels: 4)).serialize())
        let view = model.view
        let samples = 5
        let input = randomInput(count: samples * view.inputShape.elementCount, seed: 21, dyadic: false)
        for neuron in [NeuronKind.groupNeuron, .integrateAndFire] {
            for schedule in [Schedule.layerByLayer, .lean] {
                for isa in InstructionSet.allCases where KernelRegistry.isAvailable(isa) {
                    var sessionOptions = options(neuron, tau: 4, T: 4, batch: samples)
                    sessionOptions.schedule = schedule
                    sessionOptions.countsSpikes = true
                    sessionOptions.instructionSet = isa
                    let label = "\(neuron) \(schedule), \(isa)"
                    let handle = try SessionHandle.create(model: model, options: sessionOptions)
                    XCTAssertTrue(handle.session.layout.computesLayerByLayer, label)
                    XCTAssertEqual(handle.session.layout.samplesPerPass, 2, label)
                    let onePass = try runOutcome(handle, input: input, samples: samples, observed: true)
                    let inPasses = try runOutcome(handle, input: input, samples: samples, observed: false)
                    assertSame(inPasses, onePass, label + ", passes against one pass")
                    assertSame(try sampleBySample(handle, input: input, samples: samples), onePass, label + ", sample by sample")
                    // A run of fewer samples than the batch: a pass and a part of one.
                    let three = try runOutcome(handle, input: Array(input[..<(3 * view.inputShape.elementCount)]), samples: 3, observed: false)
                    assertSame(three, try sampleBySample(handle, input: Array(input[..<(3 * view.inputShape.elementCount)]), samples: 3),
                               label + ", three samples")
                }
            }
        }
    }

    func testWorkersThatRunAloneTakePassesAndWorkersThatShareLayersDoNot() throws {
        // Workers that run every job on the calling thread and say whether they run alone (as a pool
        // does when it backed off): alone, a run of five samples takes three passes, each with every
        // job of the network; sharing the layers, one pass. The same bits either way.
        let model = try loadModel(try ReferenceNetworks.build(.init(architecture: .resnet20, levels: 4)).serialize())
        let samples = 5
        let input = randomInput(count: samples * model.view.inputShape.elementCount, seed: 22, dyadic: false)
        var sessionOptions = options(.groupNeuron, tau: 4, T: 4, batch: samples)
        sessionOptions.threads = 2
        sessionOptions.countsSpikes = true
        let handle = try SessionHandle.create(model: model, options: sessionOptions)
        XCTAssertEqual(handle.session.layout.samplesPerPass, 2)
        var outcomes: [RunOutcome] = [], jobs: [Int] = []
        for alone in [false, true] {
            try handle.session.setWorkers(Workers(count: 2, context: nil,
                                                  dispatch: { _, job, function, tasks in
                                                      CountingWorkers.jobs += 1
                                                      function(job, 0, 0, tasks)
                                                  },
                                                  runsAlone: alone ? { _ in true } : { _ in false }))
            CountingWorkers.jobs = 0
            outcomes.append(try runOutcome(handle, input: input, samples: samples, observed: false))
            jobs.append(CountingWorkers.jobs)
        }
        XCTAssertGreaterThan(jobs[0], 0)
        XCTAssertEqual(jobs[1], 3 * jobs[0], "three passes alone, one pass sharing the layers")
        assertSame(outcomes[1], outcomes[0], "alone against sharing the layers")
        assertSame(outcomes[0], try runOutcome(handle, input: input, samples: samples, observed: true), "against one pass, observed")
    }

    func testOnlyNetworksWhoseWeightsAreFewTakePasses() throws {
        let resnet = try loadModel(try ReferenceNetworks.build(.init(architecture: .resnet20)).serialize())
        let vgg = try loadModel(try ReferenceNetworks.build(.init(architecture: .vgg16)).serialize())
        func samplesPerPass(_ model: ModelHandle, T: Int, threads: Int, schedule: Schedule = .layerByLayer) throws -> Int {
            var sessionOptions = options(.groupNeuron, tau: 4, T: T, batch: 32)
            sessionOptions.threads = threads
            sessionOptions.schedule = schedule
            return try SessionHandle.create(model: model, options: sessionOptions).session.layout.samplesPerPass
        }
        // ResNet-20: 256 KiB of a 16-channel layer's four steps a sample; 128 KiB at T = 2.
        XCTAssertEqual(try samplesPerPass(resnet, T: 4, threads: 1), 2)
        XCTAssertEqual(try samplesPerPass(resnet, T: 2, threads: 1), 4)
        // Two threads take the same passes while their workers run alone (see below).
        XCTAssertEqual(try samplesPerPass(resnet, T: 4, threads: 2), 2)
        // Step by step (and at T = 1) nothing holds several steps: the batch.
        XCTAssertEqual(try samplesPerPass(resnet, T: 4, threads: 1, schedule: .stepByStep), 32)
        XCTAssertEqual(try samplesPerPass(resnet, T: 1, threads: 1), 32)
        // VGG-16's weights outweigh what a pass keeps in cache: each pass would read them again.
        XCTAssertEqual(try samplesPerPass(vgg, T: 4, threads: 1), 32)
    }
}

/// Jobs dispatched through the counting workers of `SamplePassTests` (one test at a time uses it).
private enum CountingWorkers {
    nonisolated(unsafe) static var jobs = 0
}
