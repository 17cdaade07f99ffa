/// One layer's work at one step, split into tasks that workers may run in parallel: output pixels
/// or channel blocks for convolutions, output runs for linear layers, element ranges for element-wise
/// layers and neurons. Tasks write disjoint parts of the output (and of the membrane potentials).
struct LayerJob {
    let plan: LayerPlan
    /// For a neuron layer that computes the add before it (`plan.fusedAdd`): that add's plan.
    let fusedAdd: LayerPlan?
    let inputShape: TensorShape
    let neuron: NeuronKind
    /// Samples of the run.
    let samples: Int
    /// Whether neurons start from their initial potentials (layer by layer: each neuron layer runs
    /// all steps in one go; step by step, the session resets them before the first step).
    let resetsNeurons: Bool
    let arena: UnsafeMutableRawPointer
    /// Kernel scratch of worker 0; worker `w` has its own `scratchStride` bytes further on.
    let scratchOffset: Int
    let scratchStride: Int

    /// Elements per task of element-wise layers (a multiple of 16, for the SIMD loops).
    static let elementsPerTask = 2048
    /// Output pixels per task of pooling layers.
    static let pixelsPerTask = 64
    /// Samples from which a linear layer runs as a 1×1 convolution over samples (full tiles).
    static let linearTileSamples = ConvolutionTiled.tileWidth

    /// The C entry point workers call.
    static let entry: TaskFunction = { job, worker, begin, end in
        job.assumingMemoryBound(to: LayerJob.self).pointee.run(worker: worker, tasks: begin..<end)
    }

    private var layer: Layer { plan.layer }

    @inline(__always) private func floats(at offset: Int) -> UnsafeMutablePointer<Float> {
        (arena + offset).assumingMemoryBound(to: Float.self)
    }

    /// Samples the layer's kernel computes at once: all steps of every sample, unless the output holds
    /// one step (a layer whose output does not change over time).
    private var kernelSamples: Int { samples * plan.slices }

    /// The convolution geometry of a conv2d or pooling layer.
    private var geometry: WindowGeometry {
        WindowGeometry(batch: kernelSamples, inputHeight: inputShape.height, inputWidth: inputShape.width,
                       inputChannels: inputShape.channels, outputHeight: layer.output.height,
                       outputWidth: layer.output.width, outputChannels: layer.output.channels,
                       kernelHeight: layer.kernelHeight, kernelWidth: layer.kernelWidth,
                       strideHeight: layer.strideHeight, strideWidth: layer.strideWidth,
                       paddingHeight: layer.paddingHeight, paddingWidth: layer.paddingWidth)
    }

    /// A linear layer as a 1×1 convolution whose pixels are the samples.
    private var linearGeometry: WindowGeometry {
        WindowGeometry(batch: kernelSamples, inputHeight: 1, inputWidth: 1, inputChannels: inputShape.channels,
                       outputHeight: 1, outputWidth: 1, outputChannels: layer.output.channels,
                       kernelHeight: 1, kernelWidth: 1, strideHeight: 1, strideWidth: 1,
                       paddingHeight: 0, paddingWidth: 0)
    }

    /// Whether a linear layer runs as a tiled 1×1 convolution (enough samples, and channel blocks that
    /// match the weights' packing).
    private var linearIsTiled: Bool {
        TiledKernels.available && kernelSamples >= LayerJob.linearTileSamples && layer.output.channels >= 16
            && (plan.weightLayout.blockStride == 0 || plan.weightLayout.lanes == (linearIsWide ? 32 : 16))
    }

    private var linearIsWide: Bool { layer.output.channels % 32 == 0 }

    private static func chunks(_ count: Int, _ size: Int) -> Int { (count + size - 1) / size }

    /// Elements of one step of the output (all samples).
    private var sliceElements: Int { samples * layer.output.elementCount }

    /// Number of tasks; 0 when the layer does nothing (a flatten is a view).
    var taskCount: Int {
        let elements = sliceElements
        switch layer.kind {
        case .conv2d:
            return !TiledKernels.available || plan.convolution == .reference
                ? 1 : ConvolutionTiled.taskCount(geometry, wide: plan.convolution == .tiled32)
        case .linear:
            return !TiledKernels.available ? 1
                : linearIsTiled ? ConvolutionTiled.taskCount(linearGeometry, wide: linearIsWide)
                : Linear.taskCount(batch: kernelSamples, outputCount: layer.output.channels)
        case .avgPool2d, .maxPool2d:
            return LayerJob.chunks(geometry.outputPixels, LayerJob.pixelsPerTask)
        case .globalAvgPool:
            return 1
        case .flatten:
            return 0
        case .add, .qcfs:
            return LayerJob.chunks(elements, LayerJob.elementsPerTask)
        case .affine:
            return LayerJob.chunks(kernelSamples * layer.output.height * layer.output.width, pixelsPerAffineTask)
        }
    }

    private var pixelsPerAffineTask: Int { max(1, LayerJob.elementsPerTask / layer.output.channels) }

    /// Runs `tasks` on worker `worker`.
    func run(worker: Int, tasks: Range<Int>) {
        let input = UnsafePointer(floats(at: plan.inputAOffset))
        let output = floats(at: plan.outputOffset)
        let scratch = floats(at: scratchOffset + worker * scratchStride)
        switch layer.kind {
        case .conv2d:
            if !TiledKernels.available || plan.convolution == .reference {
                Convolution.reference(geometry, input: input, weights: layer.weights!, bias: layer.bias, output: output)
            } else {
                ConvolutionTiled.run(geometry, wide: plan.convolution == .tiled32, tasks: tasks, input: input,
                                     weights: layer.weights!, layout: plan.weightLayout, bias: layer.bias, output: output,
                                     scratch: scratch)
            }
        case .linear:
            if !TiledKernels.available {
                Linear.reference(batch: kernelSamples, inputCount: inputShape.channels, outputCount: layer.output.channels,
                                 input: input, weights: layer.weights!, bias: layer.bias, output: output)
            } else if linearIsTiled {
                ConvolutionTiled.run(linearGeometry, wide: linearIsWide, tasks: tasks, input: input,
                                     weights: layer.weights!, layout: plan.weightLayout, bias: layer.bias, output: output,
                                     scratch: scratch)
            } else {
                Linear.blocked(batch: kernelSamples, inputCount: inputShape.channels, outputCount: layer.output.channels,
                               tasks: tasks, input: input, weights: layer.weights!, layout: plan.weightLayout,
                               bias: layer.bias, output: output)
            }
        case .avgPool2d, .maxPool2d:
            let g = geometry
            let pixels = (tasks.lowerBound * LayerJob.pixelsPerTask)..<min(g.outputPixels, tasks.upperBound * LayerJob.pixelsPerTask)
            if layer.kind == .avgPool2d {
                Pooling.average(g, pixels: pixels, input: input, output: output)
            } else {
                Pooling.maximum(g, pixels: pixels, input: input, output: output)
            }
        case .globalAvgPool:
            Pooling.globalAverage(batch: kernelSamples, pixels: inputShape.height * inputShape.width,
                                  channels: inputShape.channels, input: input, output: output)
        case .flatten:
            break
        case .add, .qcfs:
            // A task is a range of one step's elements, through all the steps the layer computes: a
            // neuron's steps follow each other in time; an input of one step serves every step. One
            // task at a time: a fused add's sum fills this worker's scratch, which holds one task.
            let slice = sliceElements
            for task in tasks {
                let first = task * LayerJob.elementsPerTask
                let count = min(slice, first + LayerJob.elementsPerTask) - first
                if layer.kind == .qcfs && neuron != .ann && resetsNeurons {
                    resetNeurons(floats(at: plan.membraneOffset) + first, count: count)
                }
                for step in 0..<plan.slices {
                    var a = input + (plan.inputASlices == 1 ? 0 : step * slice) + first
                    let out = output + step * slice + first
                    if layer.kind == .add {
                        let b = UnsafePointer(floats(at: plan.inputBOffset)) + (plan.inputBSlices == 1 ? 0 : step * slice) + first
                        Elementwise.add(a, b, into: out, count: count)
                    } else {
                        if let add = fusedAdd {
                            // The sum this neuron reads, computed into this worker's scratch (at most
                            // `elementsPerTask` floats: one task), as the add layer would compute it.
                            let addA = UnsafePointer(floats(at: add.inputAOffset)) + (add.inputASlices == 1 ? 0 : step * slice) + first
                            let addB = UnsafePointer(floats(at: add.inputBOffset)) + (add.inputBSlices == 1 ? 0 : step * slice) + first
                            Elementwise.add(addA, addB, into: scratch, count: count)
                            a = UnsafePointer(scratch)
                        }
                        runNeuron(a, out, first: first, count: count)
                    }
                }
            }
        case .affine:
            let channels = layer.output.channels
            let first = tasks.lowerBound * pixelsPerAffineTask
            let end = min(kernelSamples * layer.output.height * layer.output.width, tasks.upperBound * pixelsPerAffineTask)
            Elementwise.affine(input + first * channels, scale: layer.weights!, shift: layer.bias!,
                               into: output + first * channels, pixels: end - first, channels: channels)
        }
    }

    /// Sets the potentials of `count` neurons to their initial value.
    private func resetNeurons(_ membrane: UnsafeMutablePointer<Float>, count: Int) {
        if neuron == .groupNeuron {
            GroupNeuron.reset(membrane, count: count, members: plan.members, threshold: layer.threshold)
        } else {
            IntegrateAndFire.reset(membrane, count: count, threshold: layer.threshold)
        }
    }

    private func runNeuron(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, first: Int, count: Int) {
        switch neuron {
        case .ann:
            QCFS.apply(input, into: output, count: count, levels: layer.levels, threshold: layer.threshold)
        case .groupNeuron:
            GroupNeuron.step(input, membrane: floats(at: plan.membraneOffset) + first, into: output, count: count,
                             members: plan.members, threshold: layer.threshold)
        case .integrateAndFire:
            IntegrateAndFire.step(input, membrane: floats(at: plan.membraneOffset) + first, into: output, count: count,
                                  threshold: layer.threshold)
        }
    }
}
