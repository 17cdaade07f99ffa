import GNKernelInterface

/// The kernels of this module: the answer to the planner's question "which kernel computes this
/// layer?" (`KernelRegistry` in the core asks it once per layer). The kernel sources are compiled once
/// per instruction set, each build a module of its own (`GNKernelsBaseline`, `GNKernelsAVX2`,
/// `GNKernelsAVX512`), so every variant makes the same choices and differs only in the instructions
/// the compiler emits for them.
public enum KernelCatalog {
    /// The kernel this module has for `query`, or nil (an operation it has no kernel for in the
    /// query's number type).
    /// `@export(interface)`: callers call this module's code rather than compiling its kernels into
    /// themselves (Embedded Swift would), so each kernel exists once, in its variant's build.
    @export(interface)
    public static func kernel(for query: KernelQuery) -> KernelChoice? {
        if query.numberType == .int8 {
            let linear = query.operation == .linear
            guard query.operation == .convolution || linear else { return nil }
            guard !query.outputHoldsIntegers else { return nil }
            if query.preference == .fastest {
                // Every int8 kernel reads the input as floats or, in lean sessions, as bytes.
                #if GN_AVX512
                if let rows = IntegerRowsDot.choice(query) { return rows }
                #endif
                #if GN_FMA
                if let dot = IntegerConvolutionDot.choice(query, linear: linear) { return dot }
                #endif
                if let exact = IntegerConvolutionExact.choice(query, linear: linear) { return exact }
                // Builds whose exact float tiles step aside (no vector unit): small integers value by
                // value, else pairs of nonzero inputs.
                if let counts = IntegerConvolutionCounts.choice(query) { return counts }
                if let pairs = IntegerConvolutionPairs.choice(query) { return pairs }
            }
            return IntegerConvolution.choice(query, name: linear ? "linear.int8" : "conv2d.int8")
        }
        // Integers as bytes (a lean session's spike maps): int8 layers read them, neuron layers and
        // average pooling write them, average pooling reads them too; no other kernel takes them.
        if query.inputHoldsIntegers && query.operation != .averagePool { return nil }
        if query.outputHoldsIntegers {
            switch query.operation {
            case .averagePool, .neuronLayer: break
            default: return nil
            }
        }
        let fastest = query.preference == .fastest
        switch query.operation {
        case .convolution:
            guard fastest else { return Convolution.choice(query) }
            return ConvolutionRows.choice(query) ?? ConvolutionTiled.choice(query) ?? Convolution.choice(query)
        case .linear:
            return (fastest ? Linear.fastestChoice(query) : nil) ?? Linear.referenceChoice(query)
        case .averagePool:
            return Pooling.choice(query, maximum: false)
        case .maxPool:
            return Pooling.choice(query, maximum: true)
        case .globalAveragePool:
            return Pooling.globalAverageChoice(query)
        case .add:
            return Elementwise.addChoice(query)
        case .affine:
            return Elementwise.affineChoice(query)
        case .neuronLayer(let kind):
            // Each kind's rule; a C function pointer cannot capture the rule's type, hence one closure each.
            switch kind {
            case .ann:
                return NeuronLayer.choice(query, name: "neuron.qcfs") { job, worker, begin, end in
                    NeuronLayer.run(QCFS.self, job, worker: worker, tasks: begin..<end)
                }
            case .groupNeuron:
                return NeuronLayer.choice(query, name: "neuron.gn") { job, worker, begin, end in
                    NeuronLayer.run(GroupNeuron.self, job, worker: worker, tasks: begin..<end)
                }
            case .integrateAndFire:
                return NeuronLayer.choice(query, name: "neuron.if") { job, worker, begin, end in
                    NeuronLayer.run(IntegrateAndFire.self, job, worker: worker, tasks: begin..<end)
                }
            }
        }
    }
}
