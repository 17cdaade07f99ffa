import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder

/// The paper's architectures run at CIFAR and ImageNet sizes, in ANN and spiking modes, with batches.
final class ArchitectureTests: XCTestCase {
    private func check(_ configuration: ReferenceNetworks.Configuration, modes: [(NeuronKind, Int, Int)], samples: Int,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let model = try loadModel(try ReferenceNetworks.build(configuration).serialize())
        XCTAssertEqual(model.view.outputShape, TensorShape(channels: configuration.classes, height: 1, width: 1), file: file, line: line)
        let input = randomInput(count: samples * model.view.inputShape.elementCount, seed: 1, dyadic: false)
        for (neuron, tau, steps) in modes {
            let result = try runModel(model, options(neuron, tau: tau, T: steps, batch: samples), input: input)
            XCTAssertEqual(result.output.count, samples * configuration.classes, file: file, line: line)
            XCTAssertTrue(result.output.allSatisfy(\.isFinite), "\(configuration.architecture) \(neuron)", file: file, line: line)
            XCTAssertEqual(result.predictions.count, samples * (neuron == .ann ? 1 : steps), file: file, line: line)
            XCTAssertTrue(result.predictions.allSatisfy { (0..<Int32(configuration.classes)).contains($0) }, file: file, line: line)
            XCTAssertGreaterThan(result.spikes.flatMap { $0 }.reduce(0, +), 0, "silent network", file: file, line: line)
            // Samples do not interact: the second sample alone gives what it gave in the batch.
            if samples > 1 {
                let inputElements = model.view.inputShape.elementCount
                let alone = try runModel(model, options(neuron, tau: tau, T: steps), input: Array(input[inputElements..<(2 * inputElements)]))
                XCTAssertEqual(alone.output, Array(result.output[configuration.classes..<(2 * configuration.classes)]), file: file, line: line)
            }
        }
    }

    func testCIFARSizes() throws {
        for architecture in ReferenceNetworks.Architecture.allCases {
            try check(.init(architecture: architecture, classes: architecture == .resnet18 ? 100 : 10),
                      modes: [(.ann, 4, 1), (.groupNeuron, 4, 2), (.integrateAndFire, 4, 3)], samples: 2)
        }
    }

    func testImageNetSizes() throws {
        for architecture in [ReferenceNetworks.Architecture.resnet18, .resnet34] {
            try check(.init(architecture: architecture, inputSize: 224, classes: 1000),
                      modes: [(.ann, 4, 1), (.groupNeuron, 4, 2)], samples: 1)
        }
        try check(.init(architecture: .vgg16, inputSize: 224, classes: 1000), modes: [(.groupNeuron, 8, 1)], samples: 1)
    }
}
