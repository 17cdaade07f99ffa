/// 2-D convolution over channels-last tensors with weights `[kh][kw][Cin][Cout]`.
enum Convolution {
    /// The reference kernel: each output element is `bias + Σ (kh, kw, cin) input · weight`, summed in
    /// that order, with positions outside the input skipped (they are zeros). Zero inputs are skipped
    /// too, which changes no result (weights are finite) and saves work on sparse spike maps.
    /// Unsafe pointers in the loops on purpose: the inner loop is an axpy over output channels.
    static func reference(_ g: WindowGeometry, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                          bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>) {
        let outputChannels = g.outputChannels
        let inputChannels = g.inputChannels
        g.forEachOutput { sample, outputRow, outputColumn, outputPixel in
            let inputImage = input + sample * g.inputHeight * g.inputWidth * inputChannels
            let out = output + outputPixel * outputChannels
            if let bias {
                out.update(from: bias, count: outputChannels)
            } else {
                out.update(repeating: 0, count: outputChannels)
            }
            g.forEachTap(outputRow: outputRow, outputColumn: outputColumn) { inputPixel, tap in
                accumulate(inputImage + inputPixel * inputChannels, count: inputChannels,
                           rows: weights + tap * inputChannels * outputChannels, width: outputChannels,
                           stride: outputChannels, into: out)
            }
        }
    }

    /// `out[j] += Σ_i activations[i] · rows[i·stride + j]` for `j < width`, one row at a time
    /// (i ascending), skipping zero activations.
    @inline(__always)
    static func accumulate(_ activations: UnsafePointer<Float>, count: Int, rows: UnsafePointer<Float>,
                           width: Int, stride: Int, into out: UnsafeMutablePointer<Float>) {
        for index in 0..<count {
            let activation = activations[index]
            if activation == 0 { continue }
            let row = rows + index * stride
            for column in 0..<width {
                out[column] = multiplyAdd(out[column], activation, row[column])
            }
        }
    }
}
