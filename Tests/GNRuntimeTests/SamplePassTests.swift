import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder

/// A layer-by-layer run takes a large batch through the network a pass of samples at a time
/// (`ArenaLayout.samplesPerPass`), so that a pass's activations stay in cache; with several threads,
/// each thread takes passes of its own. Every sample is computed alone, so the passes must give, bit for
/// bit, what one pass of the whole batch gives (a run with an observer set) and what runs of one sample
/// give: outputs, predictions, spike counts.
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

    func testThreadsTakePassesOfTheirOwnWhenEachGetsTwo() throws {
        // Workers that run every job on the calling thread and count the jobs and their tasks: eight
        // samples make four passes, two for each of two threads: one job of four tasks, a pass each;
        // five samples make three, too few: one pass of all five, each layer a job of its own.
        let model = try loadModel(try ReferenceNetworks.build(.init(architecture: .resnet20, levels: 4)).serialize())
        let elements = model.view.inputShape.elementCount
        let input = randomInput(count: 8 * elements, seed: 22, dyadic: false)
        var sessionOptions = options(.groupNeuron, tau: 4, T: 4, batch: 8)
        sessionOptions.threads = 2
        sessionOptions.countsSpikes = true
        let handle = try SessionHandle.create(model: model, options: sessionOptions)
        XCTAssertEqual(handle.session.layout.samplesPerPass, 2)
        XCTAssertGreaterThan(handle.session.layout.passRegionBytes, 0)
        try handle.session.setWorkers(Workers(count: 2, context: nil) { _, job, function, tasks in
            CountingWorkers.jobs.append(tasks)
            // Each task on a thread of its own number, as a pool's threads would take them.
            for task in 0..<tasks { function(job, task % 2, task, task + 1) }
        })
        for samples in [8, 5] {
            let samplesInput = Array(input[..<(samples * elements)])
            CountingWorkers.jobs = []
            let inPasses = try runOutcome(handle, input: samplesInput, samples: samples, observed: false)
            let jobs = CountingWorkers.jobs
            if samples == 8 {
                XCTAssertEqual(jobs, [4], "one job, a task per pass")
            } else {
                XCTAssertGreaterThan(jobs.count, model.view.layerCount / 2, "a job per layer")
            }
            assertSame(inPasses, try runOutcome(handle, input: samplesInput, samples: samples, observed: true), "\(samples) samples")
        }
    }

    func testPassesOnAThreadPoolComputeWhatOnePassComputes() throws {
        // Two real threads, each its own passes at once, in regions of their own; run again and again.
        // ResNet-20 with float weights, and with int8 weights in a lean session (spike maps kept as
        // bytes, convolutions in bands).
        let networks: [(String, Bool, Schedule)] = [("resnet20", false, .layerByLayer), ("resnet20 int8", true, .lean)]
        for (name, int8, schedule) in networks {
            let model = try loadModel(try ReferenceNetworks.build(.init(architecture: .resnet20, levels: 4, int8: int8)).serialize())
            let samples = 9
            let input = randomInput(count: samples * model.view.inputShape.elementCount, seed: 23, dyadic: false)
            for neuron in [NeuronKind.groupNeuron, .integrateAndFire] {
                var sessionOptions = options(neuron, tau: 4, T: 4, batch: samples)
                sessionOptions.threads = 2
                sessionOptions.schedule = schedule
                sessionOptions.countsSpikes = true
                let handle = try SessionHandle.create(model: model, options: sessionOptions)
                let label = "\(name) \(schedule), \(neuron)"
                XCTAssertTrue(handle.session.layout.passesInParallel(samples: samples, threads: 2), label)
                let onePass = try runOutcome(handle, input: input, samples: samples, observed: true)
                for round in 0..<4 {
                    assertSame(try runOutcome(handle, input: input, samples: samples, observed: false), onePass, "\(label), run \(round)")
                }
            }
        }
    }

    func testAnOutputKeptForTheWholeRunTakesOnePass() throws {
        // A network without neurons run as a spiking one: its last layer is static, its output kept
        // for the run outside the activations, so there are no passes (and no regions to offset it by).
        var builder = ModelBuilder(input: TensorShape(channels: 3, height: 32, width: 32))
        var parameters = RandomNetworks.Parameters(random: SeededRandom(seed: 24), dyadic: false)
        var x = try RandomNetworks.conv(&builder, &parameters, builder.input, 16, Window(kernel: 3, padding: 1))
        x = try builder.globalAvgPool(x)
        x = try builder.flatten(x)
        _ = try RandomNetworks.linear(&builder, &parameters, x, 10)
        let model = try loadModel(builder.serialize())
        var sessionOptions = options(.groupNeuron, tau: 4, T: 4, batch: 32)
        sessionOptions.threads = 2
        let handle = try SessionHandle.create(model: model, options: sessionOptions)
        XCTAssertEqual(handle.session.layout.samplesPerPass, 32)
        let input = randomInput(count: 32 * model.view.inputShape.elementCount, seed: 25, dyadic: false)
        assertSame(try runOutcome(handle, input: input, samples: 32, observed: false),
                   try runOutcome(handle, input: input, samples: 32, observed: true), "no neurons")
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
        // Two threads: the same passes, each thread its own.
        XCTAssertEqual(try samplesPerPass(resnet, T: 4, threads: 2), 2)
        // Step by step (and at T = 1) nothing holds several steps: the batch.
        XCTAssertEqual(try samplesPerPass(resnet, T: 4, threads: 1, schedule: .stepByStep), 32)
        XCTAssertEqual(try samplesPerPass(resnet, T: 1, threads: 1), 32)
        // VGG-16's weights outweigh what a pass keeps in cache: each pass would read them again.
        XCTAssertEqual(try samplesPerPass(vgg, T: 4, threads: 1), 32)
    }
}

/// The tasks of each job dispatched through the counting workers of `SamplePassTests` (one test at a
/// time uses it).
private enum CountingWorkers {
    nonisolated(unsafe) static var jobs: [Int] = []
}
