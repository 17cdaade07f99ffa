import GNKernelInterface

/// The kernel a layer runs: a variant's answer to the layer's query, and the instruction set of that
/// variant, recorded in the layer's plan when the session is planned.
struct LayerKernel {
    /// The function, its task split, its scratch and its name.
    var choice: KernelChoice
    /// The instruction set the kernel was compiled for.
    var instructionSet: InstructionSet
}

extension LayerPlan {
    /// What the planner asks the registry about this layer in a session of `neuron`s and `batch`
    /// samples, or nil for a layer that computes nothing (a flatten is a view of its input). Its plan
    /// must be complete but for the kernel: steps, weight layout, fusion.
    func kernelQuery(neuron: NeuronKind, batch: Int) -> KernelQuery? {
        let operation: KernelOperation
        switch layer.kind {
        case .conv2d: operation = .convolution
        case .linear: operation = .linear
        case .avgPool2d: operation = .averagePool
        case .maxPool2d: operation = .maxPool
        case .globalAvgPool: operation = .globalAveragePool
        case .flatten: return nil
        case .add: operation = .add
        case .affine: operation = .affine
        case .qcfs: operation = .neuronLayer(neuron)
        }
        var query = KernelQuery(operation: operation, numberType: layer.integerWeights != nil ? .int8 : .float32, geometry: geometry,
                                weightLayout: weightLayout, steps: steps, batch: batch,
                                largestInputInteger: integerInput?.largest ?? 0)
        query.inputHoldsIntegers = inputHoldsIntegers
        query.outputHoldsIntegers = storesIntegers
        query.potentialsInScratch = potentialsInScratch
        return query
    }
}
