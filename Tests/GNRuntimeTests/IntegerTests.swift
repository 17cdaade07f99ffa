import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder

/// Models with int8 weights (format 1.1): the reader, the planner's choice of integer kernels, and
/// one result whatever the instruction set, the threads or the schedule. (Bit-for-bit agreement with
/// the numpy reference's integer semantics: examples/python/tests/test_int8.py.)
final class IntegerTests: XCTestCase {
    private func network(_ architecture: ReferenceNetworks.Architecture, int8: Bool) throws -> [UInt8] {
        // VGG-16 pools five times: 32 × 32 is its smallest input.
        try ReferenceNetworks.build(.init(architecture: architecture, inputSize: architecture == .vgg16 ? 32 : 16, levels: 4,
                                          weights: .kaiming(seed: 3),
                                          int8: int8)).serialize()
    }

    func testInt8FilesAreFormat11AndFloatFilesStayFormat10() throws {
        for architecture in [ReferenceNetworks.Architecture.resnet20, .vgg16] {
            let float = try network(architecture, int8: false), integer = try network(architecture, int8: true)
            XCTAssertEqual(float[ModelFormat.Header.minor], 0, "a file without int8 weights is a 1.0 file")
            XCTAssertEqual(integer[ModelFormat.Header.minor], 1)
            XCTAssertLessThan(Double(integer.count), 0.3 * Double(float.count))
            // The handles own the bytes their views read: keep them.
            let floatModel = try loadModel(float), integerModel = try loadModel(integer)
            let floatView = floatModel.view, integerView = integerModel.view
            var integerLayers = 0
            for index in 0..<integerView.layerCount {
                let layer = integerView.layer(index)
                guard layer.kind == .conv2d || layer.kind == .linear else { continue }
                // Every weighted layer but the first (it reads the analog input) has int8 weights.
                XCTAssertEqual(layer.integerWeights != nil, layer.inputA != 0, "layer \(index)")
                XCTAssertEqual(layer.weights == nil, layer.inputA != 0, "layer \(index)")
                XCTAssertNil(floatView.layer(index).integerWeights)
                if layer.integerWeights != nil { integerLayers += 1 }
            }
            XCTAssertGreaterThan(integerLayers, 5)
            withExtendedLifetime((floatModel, integerModel)) {}
        }
    }

    func testTheIntegerKernelsAreChosenForInt8Layers() throws {
        let model = try loadModel(try network(.resnet20, int8: true))
        let handle = try SessionHandle.create(model: model, options: options(.groupNeuron, tau: 4, T: 2, batch: 2))
        var integerKernels = 0
        for index in 0..<model.view.layerCount {
            let layer = model.view.layer(index)
            guard let kernel = try handle.session.kernel(ofLayer: index) else { continue }
            // The integer kernels: the portable one (".int8") and those of AVX-512 VNNI (".vnni…").
            let name = "\(kernel.name)"
            let integer = name.hasSuffix(".int8") || name.contains(".vnni")
            XCTAssertEqual(integer, layer.integerWeights != nil, "layer \(index): \(name)")
            if layer.integerWeights != nil { integerKernels += 1 }
        }
        XCTAssertEqual(integerKernels, 21, "ResNet-20: 18 + 2 shortcut convolutions and the classifier")
    }

    func testInt8ResultsDoNotDependOnInstructionSetThreadsOrSchedule() throws {
        for architecture in [ReferenceNetworks.Architecture.resnet20, .vgg16] {
            let model = try loadModel(try network(architecture, int8: true))
            let input = randomInput(count: 2 * model.view.inputShape.elementCount, seed: 4, dyadic: false)
            for neuron in [NeuronKind.ann, .groupNeuron, .integrateAndFire] {
                var base = options(neuron, tau: 4, T: 3, batch: 2)
                base.instructionSet = .baseline
                let expected = try runModel(model, base, input: input)
                XCTAssertGreaterThan(expected.output.map(abs).max() ?? 0, 0)
                for set in InstructionSet.allCases where KernelRegistry.isAvailable(set) {
                    for (threads, schedule) in [(1, Schedule.layerByLayer), (2, .layerByLayer), (2, .stepByStep)] {
                        var variant = base
                        variant.instructionSet = set
                        variant.threads = threads
                        variant.schedule = schedule
                        let result = try runModel(model, variant, input: input)
                        XCTAssertEqual(bitPatterns(result.output), bitPatterns(expected.output),
                                       "\(architecture) \(neuron.name) \(set.name) \(threads) threads \(schedule)")
                        XCTAssertEqual(result.spikes, expected.spikes)
                    }
                }
            }
        }
    }
}
