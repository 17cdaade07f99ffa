import GNKernelInterface

/// Element-wise kernels: the sum of two tensors and the per-channel affine map. Output may be the same
/// memory as an input (in-place).
enum Elementwise {
    /// Elements of one step per task of element-wise layers and neuron layers (a multiple of 16, for
    /// the SIMD loops; a neuron layer's fused sum fills a scratch of this size).
    static let elementsPerTask = 2048

    /// The kernel of an add layer: a task is a range of one step's elements, through all the steps the
    /// layer computes (an input of one step serves every step).
    static func addChoice(_ query: KernelQuery) -> KernelChoice {
        KernelChoice(function: { job, _, begin, end in
            let arguments = job.load(as: KernelArguments.self)
            arguments.forEachTask(begin..<end) { _, elements in
                let first = elements.lowerBound
                for step in 0..<arguments.steps {
                    Elementwise.add(arguments.input(atStep: step) + first, arguments.secondInput(atStep: step)! + first,
                                    into: arguments.output(atStep: step) + first, count: elements.count)
                }
            }
        }, split: TaskSplit(itemsPerSample: query.stepElementsPerSample, itemsPerTask: elementsPerTask), name: "add")
    }

    /// The kernel of an affine layer: pixels (of every sample and step) split over tasks.
    static func affineChoice(_ query: KernelQuery) -> KernelChoice {
        let channels = query.geometry.outputChannels
        return KernelChoice(function: { job, _, begin, end in
            let arguments = job.load(as: KernelArguments.self)
            let channels = arguments.geometry.outputChannels
            arguments.forEachTask(begin..<end) { _, pixels in
                Elementwise.affine(arguments.input + pixels.lowerBound * channels, scale: arguments.weights!,
                                   shift: arguments.bias!, into: arguments.output + pixels.lowerBound * channels,
                                   pixels: pixels.count, channels: channels)
            }
        }, split: TaskSplit(itemsPerSample: query.outputPixelsPerSample, itemsPerTask: max(1, elementsPerTask / max(1, channels))),
           name: "affine")
    }

    /// `output[i] = first[i] + second[i]`; `output` may be `first` or `second` (an add layer's output is
    /// one of its inputs when nothing after it reads that input).
    ///
    /// In place, the loop adds into the output: the compiler vectorizes a loop over pointers only after
    /// checking at run time that the output overlaps no input, so `output[i] = first[i] + second[i]`
    /// with `output == first` ran element by element. A neuron layer after an add adds as it reads,
    /// without this kernel; an observed run keeps the add layer, whose 16 384 values in ResNet-20 at
    /// batch 1 took 17.7 µs that way, 1.6 µs vectorized, and the profile showed 9% of the time in adds.
    static func add(_ first: UnsafePointer<Float>, _ second: UnsafePointer<Float>,
                    into output: UnsafeMutablePointer<Float>, count: Int) {
        let inPlace = UnsafePointer(output) == first || UnsafePointer(output) == second
        if inPlace {
            let addend = UnsafePointer(output) == first ? second : first
            for index in 0..<count { output[index] += addend[index] }
        } else {
            for index in 0..<count { output[index] = first[index] + second[index] }
        }
    }

    /// `output[p][c] = input[p][c] · scale[c] + shift[c]` over `pixels` channels-last positions;
    /// `output` may be `input`. In place, each row is read from the output, for the compiler to
    /// vectorize (as `add`): 16 384 values of 16 channels took 2.1–2.5 µs that way, 9–15 before (a
    /// loop alone).
    static func affine(_ input: UnsafePointer<Float>, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>,
                       into output: UnsafeMutablePointer<Float>, pixels: Int, channels: Int) {
        let inPlace = UnsafePointer(output) == input
        for pixel in 0..<pixels {
            let outputRow = output + pixel * channels
            if inPlace {
                for channel in 0..<channels { outputRow[channel] = outputRow[channel] * scale[channel] + shift[channel] }
            } else {
                let inputRow = input + pixel * channels
                for channel in 0..<channels { outputRow[channel] = inputRow[channel] * scale[channel] + shift[channel] }
            }
        }
    }
}
