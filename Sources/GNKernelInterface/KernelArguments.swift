/// Everything a kernel reads and writes for one call, by pointer: the job of every `TaskFunction`
/// kernel. The session fills it from the layer's plan when a run reaches the layer; a kernel reads
/// the fields its operation uses.
///
/// A layer that computes several steps at once (layer by layer) holds them one after another: step
/// `t` of a tensor starts `t × samples × elements` values in; a tensor of one step serves every step.
/// Values are floats, or bytes where a lean session keeps integers (`inputHoldsIntegers`,
/// `outputHoldsIntegers`); the `atStep` accessors below count floats, and a neuron layer over a band
/// of rows finds its outputs with `outputIndex`.
public struct KernelArguments {
    /// The samples of this call.
    public let samples: Int
    /// The steps the output holds (per sample).
    public let steps: Int
    /// The sizes, with `batch` = samples × steps (set from them).
    public var geometry: WindowGeometry
    /// The first input, and the steps it holds (1 or `steps`).
    public var input: UnsafePointer<Float>
    public let inputSteps: Int
    /// The second input (an add's; for a neuron layer, the tensor added to its input), and its steps.
    public let secondInput: UnsafePointer<Float>?
    public let secondInputSteps: Int
    /// The output.
    public var output: UnsafeMutablePointer<Float>
    /// Convolution and linear weights (in `weightLayout`), or an affine layer's scales. A kernel may
    /// point its own copy of the arguments at padded copies of them, and of `bias` (`PaddedWeights`).
    public var weights: UnsafePointer<Float>?
    /// Convolution and linear biases (nil: none), or an affine layer's shifts.
    public var bias: UnsafePointer<Float>?
    /// How `weights` are ordered.
    public var weightLayout: WeightLayout
    /// An int8 layer's weights (`[kh][kw][Cin][Cout]`), nil for FP32 weights.
    public let integerWeights: UnsafePointer<Int8>?
    /// An int8 layer's scale per output channel.
    public let weightScales: UnsafePointer<Float>?
    /// For an int8 layer: the scale of its input (every input value is an integer times it).
    public let inputScale: Float
    /// For an int8 layer: the largest integer its input holds, the query's `largestInputInteger` (kernels
    /// size their scratch from the query and read this when they run); 0 for other layers.
    public let largestInputInteger: Int
    /// The weights as the kernel packed them (`KernelChoice.packWeights`), or nil.
    public let packedWeights: UnsafeRawPointer?
    /// A neuron layer's membrane potentials (one per element of one step; in a band, of the band's), nil
    /// for QCFS.
    public let membrane: UnsafeMutablePointer<Float>?
    /// A neuron layer's parameters.
    public let neuron: NeuronParameters
    /// Whether a neuron layer sets its potentials to their initial value before its first step.
    public let resetsMembranes: Bool
    /// Worker 0's scratch; worker `w`'s starts `w × scratchStride` floats further.
    public let scratch: UnsafeMutablePointer<Float>
    public let scratchStride: Int
    /// How tasks divide the work (from the kernel's `KernelChoice`).
    public var split: TaskSplit
    /// For a neuron layer taking a band of rows (`neuronBand`): where the band lies in each image of
    /// the whole output; nil when the output is laid out as the input.
    public var outputPlacement: OutputPlacement? = nil
    /// Whether the input holds integers, one byte each (`inputIntegers`), rather than floats.
    public var inputHoldsIntegers = false
    /// Whether the output is to hold integers, one byte each (`outputIntegers`), rather than floats.
    public var outputHoldsIntegers = false
    /// For a neuron layer: whether each task keeps the potentials of the neurons it computes in the
    /// thread's scratch, from their initial value through every step of this call (`membrane` is then
    /// nil, and `resetsMembranes` true): the call is the neurons' whole run, so their potentials need
    /// not outlive it.
    public var potentialsInScratch = false
    /// For a kernel over output pixels: whether each task must compute the pixels of its own items —
    /// the items in memory order — as the neuron layer computed task by task after a convolution does
    /// (`FusedNeuron`); else a kernel may have a task compute another task's pixels where that is
    /// faster (`ConvolutionTiled.positionTilesEnd`), each pixel by exactly one task.
    public var keepsItemsInOrder = false

    /// Where a band of rows lies in each image (one sample at one step) of a whole tensor.
    public struct OutputPlacement {
        /// The band's first element within an image.
        public let firstElement: Int
        /// The elements of one image.
        public let imageElements: Int

        /// A placement from both sizes.
        @inlinable
        public init(firstElement: Int, imageElements: Int) {
            self.firstElement = firstElement
            self.imageElements = imageElements
        }
    }

    /// Arguments from every field; `geometry` is one sample's and one step's, its `batch` is set here.
    @inlinable
    public init(samples: Int, steps: Int, geometry: WindowGeometry, input: UnsafePointer<Float>, inputSteps: Int,
                secondInput: UnsafePointer<Float>?, secondInputSteps: Int, output: UnsafeMutablePointer<Float>,
                weights: UnsafePointer<Float>?, bias: UnsafePointer<Float>?, weightLayout: WeightLayout,
                membrane: UnsafeMutablePointer<Float>?, neuron: NeuronParameters, resetsMembranes: Bool,
                scratch: UnsafeMutablePointer<Float>, scratchStride: Int, split: TaskSplit,
                integerWeights: UnsafePointer<Int8>? = nil, weightScales: UnsafePointer<Float>? = nil,
                inputScale: Float = 0, largestInputInteger: Int, packedWeights: UnsafeRawPointer? = nil) {
        self.samples = samples
        self.steps = steps
        self.geometry = geometry
        self.geometry.batch = samples * steps
        self.input = input
        self.inputSteps = inputSteps
        self.secondInput = secondInput
        self.secondInputSteps = secondInputSteps
        self.output = output
        self.weights = weights
        self.bias = bias
        self.weightLayout = weightLayout
        self.membrane = membrane
        self.neuron = neuron
        self.resetsMembranes = resetsMembranes
        self.scratch = scratch
        self.scratchStride = scratchStride
        self.split = split
        self.integerWeights = integerWeights
        self.weightScales = weightScales
        self.inputScale = inputScale
        self.largestInputInteger = largestInputInteger
        self.packedWeights = packedWeights
    }

    /// For an int8 layer: the float reciprocal of its input scale, which the kernels recover the
    /// integers with (`IntegerArithmetic.recover`).
    @inlinable
    public var inputReciprocal: Float { inputScale > 0 ? 1 / inputScale : 0 }

    /// Output elements of one step (all samples).
    @inlinable
    public var stepElements: Int { samples * geometry.outputPixelsPerSample * geometry.outputChannels }

    /// Step `step` of the first input (its only step, when it holds one).
    @inlinable
    public func input(atStep step: Int) -> UnsafePointer<Float> { input + (inputSteps == 1 ? 0 : step * stepElements) }

    /// Step `step` of the second input (its only step, when it holds one), or nil.
    @inlinable
    public func secondInput(atStep step: Int) -> UnsafePointer<Float>? {
        secondInput.map { $0 + (secondInputSteps == 1 ? 0 : step * stepElements) }
    }

    /// Step `step` of the output.
    @inlinable
    public func output(atStep step: Int) -> UnsafeMutablePointer<Float> { output + step * stepElements }

    /// These arguments restricted to the output rows `rows` of every image (sample and step) of a
    /// convolution, whose kernel's work items are output pixels: the kernel computes those rows alone
    /// and writes them to `output`, `[samples × steps][rows][outputWidth][outputChannels]`.
    @inlinable
    public func convolutionBand(rows: Range<Int>, output: UnsafeMutablePointer<Float>) -> KernelArguments {
        var band = self
        band.geometry.firstOutputRow += rows.lowerBound
        band.geometry.outputHeight = rows.count
        band.split.itemsPerSample = steps * rows.count * geometry.outputWidth
        band.output = output
        return band
    }

    /// These arguments restricted to the rows `rows` of a neuron layer, whose kernel's work items are
    /// one step's elements: it reads them from `input` (`convolutionBand`'s layout, its membranes
    /// those of the band alone) and writes them where they lie in the whole output.
    @inlinable
    public func neuronBand(rows: Range<Int>, input: UnsafePointer<Float>) -> KernelArguments {
        var band = self
        let rowElements = geometry.outputWidth * geometry.outputChannels
        band.geometry.firstOutputRow += rows.lowerBound
        band.geometry.outputHeight = rows.count
        band.split.itemsPerSample = rows.count * rowElements
        band.input = input
        band.outputPlacement = OutputPlacement(firstElement: rows.lowerBound * rowElements,
                                               imageElements: geometry.outputPixelsPerSample * geometry.outputChannels)
        return band
    }

    /// Where element `element` of step `step` of the output lies, as an index into the output,
    /// elements numbered as the input's (in a band, the band's, sample after sample); a run of them
    /// within one sample lies together.
    @inlinable
    public func outputIndex(atStep step: Int, element: Int) -> Int {
        guard let placement = outputPlacement else { return step * stepElements + element }
        let sampleElements = geometry.outputPixelsPerSample * geometry.outputChannels
        let sample = element / sampleElements
        return (step * samples + sample) * placement.imageElements + placement.firstElement + (element - sample * sampleElements)
    }

    /// The input as integers, one byte each (when `inputHoldsIntegers`).
    @inlinable
    public var inputIntegers: UnsafePointer<UInt8> { UnsafeRawPointer(input).assumingMemoryBound(to: UInt8.self) }

    /// The output as integers, one byte each (when `outputHoldsIntegers`).
    @inlinable
    public var outputIntegers: UnsafeMutablePointer<UInt8> { UnsafeMutableRawPointer(output).assumingMemoryBound(to: UInt8.self) }

    /// The scratch of worker `worker`.
    @inlinable
    public func scratch(of worker: Int) -> UnsafeMutablePointer<Float> { scratch + worker * scratchStride }

    /// Calls `body` with the block and the items of each task in `tasks`.
    @inlinable @inline(__always)
    public func forEachTask(_ tasks: Range<Int>, _ body: (_ block: Int, _ items: Range<Int>) -> Void) {
        for task in tasks {
            let (block, items) = split.work(task: task, samples: samples)
            body(block, items)
        }
    }
}
