import GNRuntimeCore

/// The architectures of the paper (VGG-16, ResNet-20, ResNet-18, ResNet-34), and the Fashion-MNIST
/// network of the Python examples, with random weights: for tests, benchmarks and demos. Convolutions
/// carry their (folded) BatchNorm as a bias; every activation is QCFS with the given `levels` and
/// `threshold`; max pooling is already average pooling.
public enum ReferenceNetworks {
    /// An architecture of the paper, or the examples' Fashion-MNIST network.
    public enum Architecture: String, CaseIterable, Sendable {
        /// VGG-16: 13 conv-QCFS layers in 5 blocks with 2×2 average pooling, then 4096-4096-classes.
        case vgg16
        /// ResNet-20 for CIFAR: 3 stages of 3 basic blocks, 16-32-64 channels.
        case resnet20
        /// ResNet-18: 4 stages of 2 basic blocks, 64-128-256-512 channels.
        case resnet18
        /// ResNet-34: 4 stages of 3-4-6-3 basic blocks, 64-128-256-512 channels.
        case resnet34
        /// The Fashion-MNIST network of the Python examples (`gnruntime.qcfs.fashion_mnist_net`): four
        /// 3 × 3 conv-QCFS layers of 16, 32, 32 and 64 channels, 2×2 average pooling after the second and
        /// the fourth, then the classifier; made for 1 × 28 × 28 inputs, built for any.
        case fashionMNIST = "fashion-mnist"

        /// The channels of the images it is made for: 1 (grey) for the Fashion-MNIST network, else 3.
        public var imageChannels: Int { self == .fashionMNIST ? 1 : 3 }
    }

    /// How weights are drawn.
    public enum Weights: Sendable {
        /// He-uniform (`±√(6 / fan-in)`), biases uniform in ±0.1.
        case kaiming(seed: UInt64)
        /// He-uniform rounded to multiples of 2^-6 (biases to 2^-6): with inputs on a 2^-k grid and
        /// power-of-two thresholds every sum is exact, so results do not depend on summation order.
        case dyadic(seed: UInt64)
    }

    /// Describes one network to build.
    public struct Configuration: Sendable {
        /// Which network.
        public var architecture: Architecture
        /// Input height and width (32 for CIFAR, 224 for ImageNet).
        public var inputSize: Int
        /// Input channels (3 for RGB).
        public var inputChannels: Int
        /// Outputs of the classifier.
        public var classes: Int
        /// QCFS levels `L` of every activation.
        public var levels: Int
        /// QCFS threshold `λ` of every activation.
        public var threshold: Float
        /// ResNet-18/34 stem: 3×3 stride 1 (CIFAR) when false; 7×7 stride 2 then 3×3 stride 2 average
        /// pooling (ImageNet) when true. VGG-16 and ResNet-20 ignore it.
        public var imageNetStem: Bool
        /// How the weights are drawn.
        public var weights: Weights
        /// Whether every conv2d and linear layer but those reading the model input stores its weights
        /// as int8, quantised per output channel (`ModelBuilder.quantize`; model format 1.1).
        public var int8: Bool

        /// A configuration with CIFAR defaults: 32×32 input of the architecture's `imageChannels`, 10 classes,
        /// L = 8, λ = 1, Kaiming weights.
        public init(architecture: Architecture, inputSize: Int = 32, inputChannels: Int? = nil, classes: Int = 10,
                    levels: Int = 8, threshold: Float = 1, imageNetStem: Bool? = nil,
                    weights: Weights = .kaiming(seed: 1), int8: Bool = false) {
            self.architecture = architecture
            self.inputSize = inputSize
            self.inputChannels = inputChannels ?? architecture.imageChannels
            self.classes = classes
            self.levels = levels
            self.threshold = threshold
            self.imageNetStem = imageNetStem ?? (inputSize >= 224)
            self.weights = weights
            self.int8 = int8
        }
    }

    /// Builds the network `configuration` describes.
    public static func build(_ configuration: Configuration) throws(GNError) -> ModelBuilder {
        var network = Network(configuration)
        switch configuration.architecture {
        case .vgg16: try network.vgg16()
        case .resnet20: try network.resnet(stages: [3, 3, 3], widths: [16, 32, 64])
        case .resnet18: try network.resnet(stages: [2, 2, 2, 2], widths: [64, 128, 256, 512])
        case .resnet34: try network.resnet(stages: [3, 4, 6, 3], widths: [64, 128, 256, 512])
        case .fashionMNIST: try network.plain([16, 32, 0, 32, 64, 0])
        }
        return network.builder
    }

    /// Builds a network layer by layer with random weights.
    private struct Network {
        var builder: ModelBuilder
        var random: SeededRandom
        let configuration: Configuration
        let dyadic: Bool

        init(_ configuration: Configuration) {
            self.configuration = configuration
            builder = ModelBuilder(input: TensorShape(channels: configuration.inputChannels,
                                                      height: configuration.inputSize, width: configuration.inputSize))
            switch configuration.weights {
            case .kaiming(let seed):
                random = SeededRandom(seed: seed)
                dyadic = false
            case .dyadic(let seed):
                random = SeededRandom(seed: seed)
                dyadic = true
            }
        }

        mutating func values(_ count: Int, bound: Float) -> [Float] {
            (0..<count).map { _ in
                let value = random.symmetric(bound)
                return dyadic ? (value * 64).rounded() / 64 : value
            }
        }

        mutating func conv(_ x: Int, _ outputChannels: Int, _ window: Window) throws(GNError) -> Int {
            let fanIn = window.kernelHeight * window.kernelWidth * builder.shape(of: x).channels
            let weights = values(fanIn * outputChannels, bound: (6 / Float(fanIn)).squareRoot())
            let bias = values(outputChannels, bound: 0.1)
            if configuration.int8 && x != builder.input {
                let (integers, scales) = ModelBuilder.quantize(weights, outputChannels: outputChannels)
                return try builder.conv2d(x, outputChannels: outputChannels, window: window, integerWeights: integers,
                                          scales: scales, bias: bias)
            }
            return try builder.conv2d(x, outputChannels: outputChannels, window: window, weights: weights, bias: bias)
        }

        mutating func linear(_ x: Int, _ outputs: Int) throws(GNError) -> Int {
            let fanIn = builder.shape(of: x).channels
            let weights = values(fanIn * outputs, bound: (6 / Float(fanIn)).squareRoot())
            let bias = values(outputs, bound: 0.1)
            if configuration.int8 && x != builder.input {
                let (integers, scales) = ModelBuilder.quantize(weights, outputChannels: outputs)
                return try builder.linear(x, outputs: outputs, integerWeights: integers, scales: scales, bias: bias)
            }
            return try builder.linear(x, outputs: outputs, weights: weights, bias: bias)
        }

        mutating func activation(_ x: Int) throws(GNError) -> Int {
            try builder.qcfs(x, levels: configuration.levels, threshold: configuration.threshold)
        }

        mutating func vgg16() throws(GNError) {
            var x = try features([64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0])
            x = try activation(try linear(x, 4096))
            x = try activation(try linear(x, 4096))
            _ = try linear(x, configuration.classes)
        }

        /// Conv-QCFS layers (3 × 3, padding 1) of the widths of `plan`, where a 0 is a 2×2 average pooling,
        /// then the classifier.
        mutating func plain(_ plan: [Int]) throws(GNError) {
            _ = try linear(try features(plan), configuration.classes)
        }

        /// Conv-QCFS layers (3 × 3, padding 1) of the widths of `plan`, where a 0 is a 2×2 average
        /// pooling, flattened.
        mutating func features(_ plan: [Int]) throws(GNError) -> Int {
            var x = builder.input
            for width in plan {
                if width == 0 {
                    x = try builder.avgPool2d(x, window: Window(kernel: 2, stride: 2))
                } else {
                    x = try activation(try conv(x, width, Window(kernel: 3, padding: 1)))
                }
            }
            return try builder.flatten(x)
        }

        mutating func resnet(stages: [Int], widths: [Int]) throws(GNError) {
            var x: Int
            if configuration.imageNetStem && configuration.architecture != .resnet20 {
                x = try activation(try conv(builder.input, widths[0], Window(kernel: 7, stride: 2, padding: 3)))
                x = try builder.avgPool2d(x, window: Window(kernel: 3, stride: 2, padding: 1))
            } else {
                x = try activation(try conv(builder.input, widths[0], Window(kernel: 3, padding: 1)))
            }
            for (stage, blocks) in stages.enumerated() {
                for block in 0..<blocks {
                    let stride = stage > 0 && block == 0 ? 2 : 1
                    x = try basicBlock(x, widths[stage], stride: stride)
                }
            }
            x = try builder.globalAvgPool(x)
            x = try builder.flatten(x)
            _ = try linear(x, configuration.classes)
        }

        mutating func basicBlock(_ x: Int, _ width: Int, stride: Int) throws(GNError) -> Int {
            let inner = try activation(try conv(x, width, Window(kernel: 3, stride: stride, padding: 1)))
            let residual = try conv(inner, width, Window(kernel: 3, padding: 1))
            let shortcut = stride != 1 || builder.shape(of: x).channels != width
                ? try conv(x, width, Window(kernel: 1, stride: stride)) : x
            return try activation(try builder.add(residual, shortcut))
        }
    }
}
