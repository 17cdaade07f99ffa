import GNKernelInterface

/// The operations a network performs, counted by connection: a connection is a weight meeting an input
/// value that lies inside the input (window taps on padding are no connections).
///
/// - A weighted layer (conv2d, linear) performs one multiply-accumulate per connection per sample: the
///   ANN's cost, and an SNN's cost on analog values (the model input, and what depends on it alone).
/// - A spike performs one accumulate per connection it reaches, a *synaptic operation*. The neurons
///   it reaches are found through the layers between (pooling, flatten, add, affine pass spikes on
///   unchanged in number); a neuron layer reading spikes directly integrates each with one accumulate.
///   The number of synaptic operations one spike of a neuron causes is its *fan-out*; it depends on
///   the neuron's pixel, not its channel.
package enum OperationCount {
    /// Multiply-accumulates of one sample through every conv2d and linear layer of `model`.
    package static func multiplyAccumulates(model: ModelView) -> Int {
        var total = 0
        for index in 0..<model.layerCount {
            total += multiplyAccumulates(of: model.layer(index), input: model.shape(ofTensor: model.layer(index).inputA))
        }
        return total
    }

    /// Multiply-accumulates of one sample through the conv2d and linear layers of a plan that read
    /// analog values: an SNN's multiplications, once per run (the input does not change over time).
    static func analogMultiplyAccumulates(model: ModelView, plans: UnsafePointer<LayerPlan>) -> Int {
        var total = 0
        for index in 0..<model.layerCount where Planner.isAnalog(plans[index].layer.inputA, plans) {
            total += multiplyAccumulates(of: plans[index].layer, input: model.shape(ofTensor: plans[index].layer.inputA))
        }
        return total
    }

    /// Multiply-accumulates of one sample through `layer` (0 unless it is a conv2d or linear layer).
    static func multiplyAccumulates(of layer: Layer, input: TensorShape) -> Int {
        switch layer.kind {
        case .conv2d:
            return multiplyAccumulates(of: layer.geometry(input: input))
        case .linear:
            return input.channels * layer.output.channels
        default:
            return 0
        }
    }

    /// Multiply-accumulates of one image through a convolution of geometry `g`: one per window tap
    /// inside the input, per input and output channel.
    package static func multiplyAccumulates(of g: WindowGeometry) -> Int {
        taps(rowsOf: g) * taps(columnsOf: g) * g.inputChannels * g.outputChannels
    }

    /// Fills the fan-out map of every tensor of a plan that counts spikes (one Int per pixel, at each
    /// tensor's `fanOutIndex` in `maps`; saturating, as `SpikeCount`'s counts), and sets each neuron
    /// layer's `synapses`. Consumers are visited before producers, so that a tensor's map is complete
    /// before it is passed on to the tensors it reads.
    static func fillFanOut(model: ModelView, plans: UnsafeMutablePointer<LayerPlan>, maps: UnsafeMutableBufferPointer<Int>) {
        maps.update(repeating: 0)
        let base = maps.baseAddress!
        func map(ofTensor id: Int) -> UnsafeMutablePointer<Int> { base + (id == 0 ? 0 : plans[id - 1].fanOutIndex) }
        for index in stride(from: model.layerCount - 1, through: 0, by: -1) {
            let layer = plans[index].layer
            let output = map(ofTensor: index + 1)
            let input = model.shape(ofTensor: layer.inputA)
            let inputMap = map(ofTensor: layer.inputA)
            let inputPixels = input.height * input.width
            switch layer.kind {
            case .conv2d, .avgPool2d, .maxPool2d:
                // Through each tap of each window on the input: `Cout` connections for a conv2d, the
                // output pixel's fan-out for a pooling.
                let g = layer.geometry(input: input)
                let weight = layer.output.channels
                g.forEachOutput { _, row, column, pixel in
                    let reached = layer.kind == .conv2d ? weight : output[pixel]
                    g.forEachTap(outputRow: row, outputColumn: column) { inputPixel, _ in
                        inputMap[inputPixel] = inputMap[inputPixel].saturatingAdding(reached)
                    }
                }
            case .linear:
                inputMap[0] = inputMap[0].saturatingAdding(layer.output.channels)
            case .qcfs:
                for pixel in 0..<inputPixels { inputMap[pixel] = inputMap[pixel].saturatingAdding(1) }
            case .globalAvgPool, .flatten:
                for pixel in 0..<inputPixels { inputMap[pixel] = inputMap[pixel].saturatingAdding(output[0]) }
            case .add, .affine:
                for pixel in 0..<inputPixels { inputMap[pixel] = inputMap[pixel].saturatingAdding(output[pixel]) }
                if layer.inputB >= 0 {
                    let second = map(ofTensor: layer.inputB)
                    for pixel in 0..<inputPixels { second[pixel] = second[pixel].saturatingAdding(output[pixel]) }
                }
            }
        }
        for index in 0..<model.layerCount where plans[index].layer.kind == .qcfs {
            let shape = plans[index].layer.output
            let fanOut = map(ofTensor: index + 1)
            var sum = 0
            for pixel in 0..<shape.height * shape.width { sum = sum.saturatingAdding(fanOut[pixel]) }
            plans[index].synapses = sum.saturatingMultiplied(by: shape.channels)
        }
    }

    /// Taps inside the input over all output rows: `Σ_row #{kernel rows inside the input}`.
    private static func taps(rowsOf g: WindowGeometry) -> Int {
        var count = 0
        for row in 0..<g.outputHeight {
            for kernelRow in 0..<g.kernelHeight where (0..<g.inputHeight).contains(g.inputRow(row, kernelRow)) { count += 1 }
        }
        return count
    }

    /// Taps inside the input over all output columns.
    private static func taps(columnsOf g: WindowGeometry) -> Int {
        var count = 0
        for column in 0..<g.outputWidth {
            for kernelColumn in 0..<g.kernelWidth where (0..<g.inputWidth).contains(g.inputColumn(column, kernelColumn)) { count += 1 }
        }
        return count
    }
}
