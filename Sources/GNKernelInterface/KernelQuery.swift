/// What the planner asks about one layer: which kernel computes it? A kernel variant answers with a
/// `KernelChoice`, or nil when it has none for the question.
public struct KernelQuery: Sendable {
    /// Which kernels a query wants. A raw type for the reason `NumberType` has one.
    public enum Preference: UInt8, Sendable {
        /// The fastest kernel for the layer's shape.
        case fastest
        /// The plain reference kernel (the definition the others are tested against).
        case reference
    }

    /// What the layer computes.
    public let operation: KernelOperation
    /// The number type of its weights and activations.
    public let numberType: NumberType
    /// The layer's sizes for one sample and one step (`batch` = 1).
    public let geometry: WindowGeometry
    /// How the weights of a convolution or linear layer are ordered.
    public let weightLayout: WeightLayout
    /// The steps one call computes per sample: T for a time-dependent layer of a layer-by-layer
    /// session, else 1.
    public var steps: Int
    /// The most samples one call computes.
    public let batch: Int
    /// Which kernel to answer with.
    public var preference: Preference
    /// For an int8 layer: the largest integer its input holds (`q_max`, docs/semantics.md).
    public let largestInputInteger: Int
    /// Whether the input holds each value's integer as a byte rather than the value as a float (a
    /// lean session's spike maps, `KernelArguments.inputIntegers`); kernels that read floats only
    /// answer nil.
    public var inputHoldsIntegers = false
    /// Whether the output is to hold each value's integer as a byte (neuron and pooling layers of a
    /// lean session whose readers all take integers).
    public var outputHoldsIntegers = false
    /// For a neuron layer: whether its potentials live in each thread's scratch rather than in the
    /// arena (`KernelArguments.potentialsInScratch`): a spiking layer of a layer-by-layer session, or of
    /// a session of one step, whose calls take every neuron through all its steps.
    public var potentialsInScratch = false

    /// A query about a layer.
    @inlinable
    public init(operation: KernelOperation, numberType: NumberType = .float32, geometry: WindowGeometry,
                weightLayout: WeightLayout, steps: Int, batch: Int,
                preference: Preference = .fastest, largestInputInteger: Int = 0) {
        self.operation = operation
        self.numberType = numberType
        self.geometry = geometry
        self.weightLayout = weightLayout
        self.steps = steps
        self.batch = batch
        self.preference = preference
        self.largestInputInteger = largestInputInteger
    }

    /// Output pixels of one sample through a call (all the steps it computes): the work items of
    /// kernels that treat each (sample, step) as an image.
    @inlinable
    public var outputPixelsPerSample: Int { steps * geometry.outputPixelsPerSample }

    /// For an int8 layer: the largest magnitude of an output's integer sum (nil when it overflows `Int`).
    @inlinable
    public var largestIntegerSum: Int? {
        NumberType.largestInt8Sum(fanIn: geometry.kernelHeight * geometry.kernelWidth * geometry.inputChannels,
                                  largestInput: largestInputInteger)
    }

    /// Output elements of one step of one sample: the work items of element-wise and neuron layers,
    /// which take each element through every step.
    @inlinable
    public var stepElementsPerSample: Int { geometry.outputPixelsPerSample * geometry.outputChannels }
}
