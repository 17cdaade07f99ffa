import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder

/// The memory plan: no two tensors that are needed at the same time share bytes, everything lies
/// inside the arena, and the arena of each reference model stays within its budget.
final class PlannerTests: XCTestCase {
    private func plan(_ bytes: [UInt8], _ options: SessionOptions) throws -> (ModelView, ArenaLayout, [LayerPlan], ModelHandle) {
        let model = try loadModel(bytes)
        let view = model.view
        var plans = [LayerPlan](repeating: LayerPlan(layer: view.layer(0), geometry: view.layer(0).geometry(input: view.inputShape)), count: view.layerCount)
        let layout = try plans.withUnsafeMutableBufferPointer { buffer throws(GNError) in
            try Planner.plan(model: view, options: options, into: buffer.baseAddress!)
        }
        return (view, layout, plans, model)
    }

    /// Byte range of tensor `id`'s storage (all the steps it holds).
    private func range(of id: Int, _ view: ModelView, _ layout: ArenaLayout, _ plans: [LayerPlan], batch: Int) -> Range<Int> {
        let start = id == 0 ? layout.inputOffset : plans[id - 1].outputOffset
        let steps = id == 0 ? 1 : plans[id - 1].steps
        return start..<(start + batch * steps * view.shape(ofTensor: id).elementCount * 4)
    }

    /// Checks, layer by layer as a step executes, that the output a layer writes overlaps nothing
    /// still to be read later (other than the inputs it overwrites in place or the input it is a view of).
    private func assertNoConflicts(_ bytes: [UInt8], _ options: SessionOptions, file: StaticString = #filePath, line: UInt = #line) throws {
        let (view, layout, plans, model) = try plan(bytes, options)
        defer { withExtendedLifetime(model) {} }
        let n = view.layerCount
        // When each tensor is last read within a step (or never released, for kept and output tensors).
        var lastRead = [Int](repeating: -1, count: n + 1)
        lastRead[0] = Int.max
        for index in 0..<n {
            for tensor in [plans[index].layer.inputA, plans[index].layer.inputB] where tensor >= 0 {
                lastRead[tensor] = max(lastRead[tensor], index)
            }
        }
        lastRead[n] = Int.max
        // Step by step, static outputs read at later steps must survive every layer; layer by layer
        // each layer runs once.
        let keptAcrossSteps = layout.steps > 1 && options.schedule == .stepByStep
        for index in 0..<n {
            let written = range(of: index + 1, view, layout, plans, batch: options.batch)
            XCTAssertLessThanOrEqual(written.upperBound, layout.totalBytes, file: file, line: line)
            XCTAssertGreaterThanOrEqual(written.lowerBound, layout.planBytes, file: file, line: line)
            let layer = plans[index].layer
            for tensor in 0...n where tensor != index + 1 {
                // Tensors produced later do not exist yet, unless they are static outputs kept from step 0.
                let producedEarlier = tensor <= index
                let keptFromStepZero = keptAcrossSteps && tensor > 0 && plans[tensor - 1].isStatic && !plans[index].isStatic
                guard producedEarlier || keptFromStepZero else { continue }
                let stillNeeded = lastRead[tensor] > index || (keptFromStepZero && lastRead[tensor] >= 0)
                    || (tensor > 0 && plans[tensor - 1].isStatic && keptAcrossSteps && !plans[index].isStatic && lastRead[tensor] > 0)
                let overwrittenInPlace = (tensor == layer.inputA || tensor == layer.inputB) && lastRead[tensor] == index
                let viewed = layer.kind == .flatten && tensor == layer.inputA
                guard stillNeeded, !overwrittenInPlace, !viewed else { continue }
                let other = range(of: tensor, view, layout, plans, batch: options.batch)
                XCTAssertFalse(written.overlaps(other),
                               "layer \(index) (\(layer.kind)) writes over tensor \(tensor), still needed", file: file, line: line)
            }
            // Membranes and fixed regions never overlap activations.
            for fixed in [layout.inputOffset..<layout.outputSumOffset, layout.membraneOffset..<(layout.membraneOffset + layout.membraneBytes)]
            where !(layer.kind == .flatten && layer.inputA == 0) {
                XCTAssertFalse(written.overlaps(fixed), "layer \(index) writes into a fixed region", file: file, line: line)
            }
        }
    }

    func testNoLiveTensorsOverlap() throws {
        for seed: UInt64 in 1...4 {
            for dyadic in [false, true] {
                for model in [try RandomNetworks.vgg(seed: seed, dyadic: dyadic), try RandomNetworks.resnet(seed: seed, dyadic: dyadic)] {
                    for (neuron, steps) in [(NeuronKind.ann, 1), (.groupNeuron, 1), (.groupNeuron, 4), (.integrateAndFire, 3)] {
                        for schedule in [Schedule.layerByLayer, .stepByStep] {
                            var sessionOptions = options(neuron, tau: 2, T: steps, batch: Int(seed))
                            sessionOptions.schedule = schedule
                            try assertNoConflicts(model, sessionOptions)
                        }
                    }
                }
            }
        }
        for architecture in ReferenceNetworks.Architecture.allCases {
            let model = try ReferenceNetworks.build(.init(architecture: architecture)).serialize()
            for schedule in [Schedule.layerByLayer, .stepByStep] {
                var sessionOptions = options(.groupNeuron, tau: 4, T: 4, batch: 2)
                sessionOptions.schedule = schedule
                try assertNoConflicts(model, sessionOptions)
            }
        }
    }

    func testStaticLayersRunOnceAndAreKept() throws {
        // conv → affine → qcfs: with T > 1 the conv and the affine depend on the input alone; step by
        // step their output is kept across steps.
        var stepByStep = options(.groupNeuron, T: 4)
        stepByStep.schedule = .stepByStep
        let (view, layout, plans, model) = try plan(try RandomNetworks.vgg(seed: 1, dyadic: false), stepByStep)
        defer { withExtendedLifetime(model) {} }
        XCTAssertEqual(plans.prefix(3).map(\.isStatic), [true, true, false])
        XCTAssertTrue(plans.dropFirst(2).allSatisfy { !$0.isStatic })
        XCTAssertGreaterThanOrEqual(plans[1].outputOffset, layout.keptOffset)
        XCTAssertLessThan(plans[1].outputOffset, layout.keptOffset + layout.keptBytes)
        XCTAssertEqual(plans[1].outputOffset, plans[0].outputOffset, "the affine overwrites the conv in place")
        XCTAssertEqual(layout.keptBytes, view.layer(0).output.elementCount * 4)
        // With one step, or in ANN mode, nothing needs keeping.
        XCTAssertEqual(try plan(try RandomNetworks.vgg(seed: 1, dyadic: false), options(.groupNeuron, T: 1)).1.keptBytes, 0)
        XCTAssertEqual(try plan(try RandomNetworks.vgg(seed: 1, dyadic: false), options(.ann, T: 4)).1.keptBytes, 0)
    }

    /// The arena of each reference network, pinned (TFLM's arena budget test): a change that makes a
    /// session need more memory fails here, and the figures below are updated only on purpose.
    func testArenaBudgets() throws {
        // The figures follow from the shapes: VGG-16 in ANN mode needs the input, its two largest
        // activations (2 × 64×32×32 floats), the plan table (per layer: the layer, its geometry and the
        // kernel chosen for it) and the convolution scratch (a zero row and a tile of outputs); with GN at T = 4 add one membrane per QCFS output (1.09 MiB) and the
        // first conv's output, kept across steps (256 KiB). Layer by layer, activations hold all 4 steps
        // (the two largest: 2 × 4 × 256 KiB) and the neuron layers' potentials live in each thread's
        // scratch, 2048 floats (`LayerPlan.potentialsInScratch`; one membrane block serving every neuron
        // layer in turn took 256 KiB more for VGG-16, 56 KiB for ResNet-20, 245 KiB for ResNet-18).
        // ResNet-20 step by step: 1 074 496 since the plan table's entries record which convolution
        // computes which neuron layer (16 bytes each; the figure had grown by 10 KiB before that,
        // within the 1%). VGG-16 in ANN mode: 576 896 since its small maps at batch 1 keep the group
        // sums of a task's four tiles (`ConvolutionTiled.streamsWeights`; 3 KiB more per thread), then
        // 569 280 since a tile's spill holds its own channels only (16·V floats a pixel, not the layer's).
        let budgets: [(ReferenceNetworks.Architecture, NeuronKind, Int, Int, Schedule, Int)] = [
            // architecture, neuron, T, batch, schedule, bytes
            (.vgg16, .ann, 1, 1, .layerByLayer, 569_280),
            (.vgg16, .groupNeuron, 4, 1, .stepByStep, 1_970_944),
            (.vgg16, .groupNeuron, 4, 1, .layerByLayer, 2_405_824),
            (.resnet20, .groupNeuron, 4, 1, .stepByStep, 1_074_496),
            (.resnet20, .groupNeuron, 4, 1, .layerByLayer, 917_120),
            // Lean: the least of layer by layer in bands (no convolution read only by its neuron
            // layer whole in memory: ResNet-20), layer by layer and step
            // by step (VGG-16, whose float spike maps of four steps outweigh its membranes).
            (.resnet20, .groupNeuron, 4, 1, .lean, 867_968),
            (.vgg16, .groupNeuron, 4, 1, .lean, 1_974_016),
            (.resnet20, .groupNeuron, 4, 32, .stepByStep, 32_935_936),
            (.resnet18, .groupNeuron, 4, 1, .stepByStep, 3_328_256),
            (.resnet18, .groupNeuron, 4, 1, .layerByLayer, 3_470_208),
        ]
        for (architecture, neuron, steps, batch, schedule, budget) in budgets {
            let model = try ReferenceNetworks.build(.init(architecture: architecture)).serialize()
            var sessionOptions = options(neuron, tau: 4, T: steps, batch: batch)
            sessionOptions.schedule = schedule
            let layout = try plan(model, sessionOptions).1
            XCTAssertEqual(Double(layout.totalBytes), Double(budget), accuracy: Double(budget) * 0.01,
                           "\(architecture) \(neuron) T=\(steps) batch \(batch) \(schedule): \(layout.totalBytes) bytes")
        }
    }
}
