import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder

/// Convolutions that compute the neuron layer reading them task by task (`LayerPlan.fusedNeuron`)
/// give what the layers give one after the other, bit for bit: a session with an observer set runs
/// every layer on its own, so the same session run with and without one must agree — outputs,
/// predictions and spike counts — for every neuron kind, schedule, thread count and kernel variant.
final class NeuronFusionTests: XCTestCase {
    func testFusedConvolutionsComputeWhatTheLayersComputeOneAfterTheOther() throws {
        let networks: [(String, [UInt8])] = [
            ("resnet20", try ReferenceNetworks.build(.init(architecture: .resnet20, inputSize: 16, levels: 4)).serialize()),
            ("random resnet", try RandomNetworks.resnet(seed: 5, dyadic: false, size: 12)),
            ("random vgg", try RandomNetworks.vgg(seed: 6, dyadic: false)),
        ]
        var fusedSomewhere = Set<String>()
        for (name, bytes) in networks {
            let model = try loadModel(bytes)
            let view = model.view
            // As many samples as AVX-512's tiles have pixels and more: padded tiled convolutions then take
            // tiles per position and leave their neuron layers on their own (`KernelChoice.reordersItems`),
            // unpadded ones compute theirs, keeping each task's pixels its own (`keepsItemsInOrder`).
            let samples = 9
            let input = randomInput(count: samples * view.inputShape.elementCount, seed: 9, dyadic: false)
            // (neuron, T, schedule): ANN; Group Neurons at T = 1 (τ = L, the ANN's arithmetic) and at
            // T = 4 step by step (potentials kept across steps) and layer by layer (nothing fuses);
            // IF neurons step by step.
            let cases: [(NeuronKind, Int, Schedule)] = [(.ann, 1, .stepByStep), (.groupNeuron, 1, .layerByLayer),
                                                       (.groupNeuron, 4, .stepByStep), (.groupNeuron, 4, .layerByLayer),
                                                       (.integrateAndFire, 4, .stepByStep)]
            for (neuron, steps, schedule) in cases {
                for threads in [1, 2] {
                    for isa in InstructionSet.allCases where KernelRegistry.isAvailable(isa) {
                        var sessionOptions = options(neuron, tau: 4, T: steps, batch: samples)
                        sessionOptions.schedule = schedule
                        sessionOptions.threads = threads
                        sessionOptions.countsSpikes = neuron.isSpiking
                        sessionOptions.instructionSet = isa
                        let handle = try SessionHandle.create(model: model, options: sessionOptions)
                        let label = "\(name), \(neuron) T=\(steps) \(schedule), \(threads) threads, \(isa)"
                        let fused = (0..<view.layerCount).filter { handle.session.plans[$0].fusedNeuron >= 0 }
                        if !fused.isEmpty { fusedSomewhere.insert(name) }
                        if steps > 1 && schedule == .layerByLayer {
                            XCTAssertEqual(fused, [], "\(label): layers of T steps at once do not fuse")
                        }
                        let alone = try runOutcome(handle, input: input, samples: samples, observed: true)
                        let together = try runOutcome(handle, input: input, samples: samples, observed: false)
                        XCTAssertEqual(together, alone, "\(label): fused layers \(fused)")
                        // A second run without the observer, after one with it, again agrees.
                        XCTAssertEqual(try runOutcome(handle, input: input, samples: samples, observed: false), alone, label)
                    }
                }
            }
        }
        XCTAssertEqual(fusedSomewhere, Set(networks.map(\.0)), "every network has a convolution that computes its neuron layer")
    }

    func testConvolutionsWhoseTilesTakeOnePositionOfManyImagesRunTheirNeuronLayersOnTheirOwn() throws {
        // At 8 samples, the tiled kernels' groups of images take tiles per position, which leave out the
        // taps on padding; a task then computes other tasks' pixels, so such a convolution does not
        // compute its neuron layer in its own tasks. Unpadded convolutions (the 1 × 1 shortcuts) and
        // those of other kernels fuse as at fewer samples.
        let model = try loadModel(try ReferenceNetworks.build(.init(architecture: .resnet20)).serialize())
        let view = model.view
        var tookPositionTiles = false
        for isa in InstructionSet.allCases where KernelRegistry.isAvailable(isa) {
            var sessionOptions = options(.groupNeuron, tau: 8, T: 1, batch: 8)
            sessionOptions.instructionSet = isa
            let handle = try SessionHandle.create(model: model, options: sessionOptions)
            defer { withExtendedLifetime(handle) {} }
            let plans = handle.session.plans
            for index in (0..<view.layerCount) where view.layer(index).kind == .conv2d {
                guard let choice = plans[index].kernel?.choice else { continue }
                let layer = view.layer(index)
                let padded = layer.paddingHeight > 0 || layer.paddingWidth > 0
                let label = "\(isa), layer \(index) (\(choice.name))"
                XCTAssertEqual(choice.reordersItems, "\(choice.name)".hasPrefix("conv2d.tiled") && padded, label)
                if choice.reordersItems {
                    tookPositionTiles = true
                    XCTAssertLessThan(plans[index].fusedNeuron, 0, label)
                }
            }
            let shortcuts = (0..<view.layerCount).filter {
                view.layer($0).kind == .conv2d && view.layer($0).kernelHeight == 1 && view.layer($0 + 1).kind == .add
            }
            XCTAssertFalse(shortcuts.isEmpty)
            for index in shortcuts where plans[index].kernel?.choice.split.blocks == 1 {
                XCTAssertGreaterThanOrEqual(plans[index].fusedNeuron, 0, "\(isa), shortcut \(index)")
            }
        }
        XCTAssertTrue(tookPositionTiles, "a 3 × 3 layer of 8 samples takes tiles per position")
    }

    func testResNet20FusesItsNarrowStagesAndTheirAdds() throws {
        // ResNet-20's first two stages (16 and 32 channels) run in tasks of every channel, so each
        // convolution right before its neuron layer (or before the add its neuron layer computes)
        // computes it — in a downsampling block the 1 × 1 shortcut, between the block's second
        // convolution and the add; the third stage's (64 channels in two blocks of 32) do not; nor does
        // the first layer of a session of several steps, which runs once while its neuron layer runs
        // every step.
        let model = try loadModel(try ReferenceNetworks.build(.init(architecture: .resnet20)).serialize())
        let view = model.view
        for steps in [1, 4] {
            var sessionOptions = options(.groupNeuron, tau: 4, T: steps, batch: 2)
            sessionOptions.schedule = .stepByStep
            let handle = try SessionHandle.create(model: model, options: sessionOptions)
            let plans = handle.session.plans
            let convolutions = (0..<view.layerCount).filter { view.layer($0).kind == .conv2d }
            for index in convolutions {
                let channels = view.layer(index).output.channels
                let next = view.layer(index + 1).kind
                let readByItsNeuron = next == .qcfs || (next == .add && view.layer(index + 2).kind == .qcfs)
                let expected = channels <= 32 && readByItsNeuron && (index > 0 || steps == 1)
                XCTAssertEqual(plans[index].fusedNeuron >= 0, expected,
                               "T=\(steps), layer \(index) (\(channels) channels, \(plans[index].kernel.map { "\($0.choice.name)" } ?? "none"))")
                if plans[index].fusedNeuron >= 0 {
                    let neuron = plans[index].fusedNeuron
                    XCTAssertTrue(plans[neuron].isFusedIntoConvolution)
                    XCTAssertEqual(neuron, plans[neuron].fusedAdd >= 0 ? index + 2 : index + 1)
                }
            }
        }
    }
}
