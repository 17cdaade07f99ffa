/// The sizes a windowed kernel (convolution, pooling) works with. All tensors are channels-last:
/// input `[batch][inputHeight][inputWidth][inputChannels]`, output `[batch][outputHeight][outputWidth][outputChannels]`.
struct WindowGeometry {
    var batch: Int
    var inputHeight: Int
    var inputWidth: Int
    var inputChannels: Int
    var outputHeight: Int
    var outputWidth: Int
    var outputChannels: Int
    var kernelHeight: Int
    var kernelWidth: Int
    var strideHeight: Int
    var strideWidth: Int
    var paddingHeight: Int
    var paddingWidth: Int

    /// The input row of kernel row `kernelRow` for output row `outputRow` (may lie outside the input).
    @inline(__always) func inputRow(_ outputRow: Int, _ kernelRow: Int) -> Int {
        outputRow * strideHeight - paddingHeight + kernelRow
    }

    /// The input column of kernel column `kernelColumn` for output column `outputColumn`.
    @inline(__always) func inputColumn(_ outputColumn: Int, _ kernelColumn: Int) -> Int {
        outputColumn * strideWidth - paddingWidth + kernelColumn
    }

    /// Output pixels of the whole batch.
    var outputPixels: Int { batch * outputHeight * outputWidth }

    /// Calls `body` for the output positions `pixels` (all by default), in memory order, with the
    /// sample, the output row and column, and the output pixel index
    /// (`(sample · outputHeight + row) · outputWidth + column`).
    @inline(__always)
    func forEachOutput(_ pixels: Range<Int>? = nil,
                       _ body: (_ sample: Int, _ outputRow: Int, _ outputColumn: Int, _ outputPixel: Int) -> Void) {
        let perSample = outputHeight * outputWidth
        for outputPixel in pixels ?? 0..<outputPixels {
            let inSample = outputPixel % perSample
            body(outputPixel / perSample, inSample / outputWidth, inSample % outputWidth, outputPixel)
        }
    }

    /// Calls `body` for every kernel position of the window of output `(outputRow, outputColumn)`
    /// that lies inside the input, in row-major kernel order, with the input pixel index
    /// (`row · inputWidth + column`) and the kernel position index (`kernelRow · kernelWidth + kernelColumn`).
    @inline(__always)
    func forEachTap(outputRow: Int, outputColumn: Int, _ body: (_ inputPixel: Int, _ tap: Int) -> Void) {
        for kernelRow in 0..<kernelHeight {
            let row = inputRow(outputRow, kernelRow)
            if row < 0 || row >= inputHeight { continue }
            for kernelColumn in 0..<kernelWidth {
                let column = inputColumn(outputColumn, kernelColumn)
                if column < 0 || column >= inputWidth { continue }
                body(row * inputWidth + column, kernelRow * kernelWidth + kernelColumn)
            }
        }
    }
}
