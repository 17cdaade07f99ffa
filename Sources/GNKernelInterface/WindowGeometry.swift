/// The sizes a kernel works with. All tensors are channels-last: input
/// `[batch][inputHeight][inputWidth][inputChannels]`, output `[batch][outputHeight][outputWidth][outputChannels]`.
/// Windowed layers (convolution, pooling) use every field; a linear layer is a 1 × 1 convolution over a
/// 1 × 1 map, and element-wise layers read only the output shape.
///
/// `batch` counts what a kernel computes at once: the samples of a run, times the steps a layer of a
/// layer-by-layer session computes together (its steps follow each other in memory like samples).
public struct WindowGeometry: Sendable {
    public var batch: Int
    public let inputHeight: Int
    public let inputWidth: Int
    public let inputChannels: Int
    public var outputHeight: Int
    public let outputWidth: Int
    public let outputChannels: Int
    public let kernelHeight: Int
    public let kernelWidth: Int
    public let strideHeight: Int
    public let strideWidth: Int
    public let paddingHeight: Int
    public let paddingWidth: Int
    /// Which output row of the layer the geometry's row 0 is: 0, or the first row of a band of rows
    /// computed on its own (`KernelArguments.convolutionBand`), whose `outputHeight` is the band's.
    public var firstOutputRow = 0

    /// A geometry from every size.
    @inlinable
    public init(batch: Int, inputHeight: Int, inputWidth: Int, inputChannels: Int, outputHeight: Int, outputWidth: Int,
                outputChannels: Int, kernelHeight: Int, kernelWidth: Int, strideHeight: Int, strideWidth: Int,
                paddingHeight: Int, paddingWidth: Int) {
        self.batch = batch
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.inputChannels = inputChannels
        self.outputHeight = outputHeight
        self.outputWidth = outputWidth
        self.outputChannels = outputChannels
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight
        self.strideWidth = strideWidth
        self.paddingHeight = paddingHeight
        self.paddingWidth = paddingWidth
    }

    /// The input row of kernel row `kernelRow` for output row `outputRow` (may lie outside the input).
    @inlinable @inline(__always)
    public func inputRow(_ outputRow: Int, _ kernelRow: Int) -> Int {
        (firstOutputRow + outputRow) * strideHeight - paddingHeight + kernelRow
    }

    /// The input column of kernel column `kernelColumn` for output column `outputColumn`.
    @inlinable @inline(__always)
    public func inputColumn(_ outputColumn: Int, _ kernelColumn: Int) -> Int {
        outputColumn * strideWidth - paddingWidth + kernelColumn
    }

    /// Whether input row `row` and column `column` lie inside the input (not on padding).
    @inlinable @inline(__always)
    public func containsInput(row: Int, column: Int) -> Bool {
        row >= 0 && row < inputHeight && column >= 0 && column < inputWidth
    }

    /// The kernel rows whose input row for output row `outputRow` lies inside the input; the others
    /// lie on padding.
    @inlinable @inline(__always)
    public func kernelRowsInside(outputRow: Int) -> Range<Int> {
        let top = inputRow(outputRow, 0)
        return min(kernelHeight, max(0, -top))..<max(0, min(kernelHeight, inputHeight - top))
    }

    /// Whether every output pixel `p` (numbered over the batch) reads the input pixel `p` alone, the
    /// `inputChannels` values from `p · inputChannels`: a linear layer, or a 1 × 1 convolution of
    /// stride 1 without padding over a whole map (not a band of rows).
    @inlinable
    public var isPointwise: Bool {
        kernelHeight == 1 && kernelWidth == 1 && strideHeight == 1 && strideWidth == 1 && paddingHeight == 0
            && paddingWidth == 0 && firstOutputRow == 0 && outputHeight == inputHeight && outputWidth == inputWidth
    }

    /// Output pixels of one sample.
    @inlinable
    public var outputPixelsPerSample: Int { outputHeight * outputWidth }

    /// Output pixels of the whole batch.
    @inlinable
    public var outputPixels: Int { batch * outputHeight * outputWidth }

    /// Output elements of the whole batch.
    @inlinable
    public var outputElements: Int { outputPixels * outputChannels }

    /// Input floats of one sample.
    @inlinable
    public var inputElementsPerSample: Int { inputHeight * inputWidth * inputChannels }

    /// The sample, output row and output column of output pixel `outputPixel`
    /// (`(sample · outputHeight + row) · outputWidth + column`).
    @inlinable @inline(__always)
    public func outputPosition(_ outputPixel: Int) -> (sample: Int, outputRow: Int, outputColumn: Int) {
        let perSample = outputHeight * outputWidth
        let inSample = outputPixel % perSample
        return (outputPixel / perSample, inSample / outputWidth, inSample % outputWidth)
    }

    /// Calls `body` for each output row of `pixels` (whole rows, as a row kernel's tasks are), in
    /// memory order, with its sample, its row and its first output pixel: the position of the first row
    /// divided out once, the others counted on from it.
    @inlinable @inline(__always)
    public func forEachOutputRow(_ pixels: Range<Int>, _ body: (_ sample: Int, _ outputRow: Int, _ rowStart: Int) -> Void) {
        guard !pixels.isEmpty else { return }
        var (sample, outputRow, _) = outputPosition(pixels.lowerBound)
        for rowStart in stride(from: pixels.lowerBound, to: pixels.upperBound, by: outputWidth) {
            body(sample, outputRow, rowStart)
            outputRow += 1
            if outputRow == outputHeight { (sample, outputRow) = (sample + 1, 0) }
        }
    }

    /// Calls `body` for the output positions `pixels` (all by default), in memory order, with the
    /// sample, the output row and column, and the output pixel index.
    @inlinable @inline(__always)
    public func forEachOutput(_ pixels: Range<Int>? = nil,
                              _ body: (_ sample: Int, _ outputRow: Int, _ outputColumn: Int, _ outputPixel: Int) -> Void) {
        for outputPixel in pixels ?? 0..<outputPixels {
            let (sample, outputRow, outputColumn) = outputPosition(outputPixel)
            body(sample, outputRow, outputColumn, outputPixel)
        }
    }

    /// The input pixel (index within its sample) that kernel position `tap` (kernel row-major) of
    /// output pixel (`outputRow`, `outputColumn`) reads, or nil when it lies on padding.
    @inlinable @inline(__always)
    public func inputPixel(outputRow: Int, outputColumn: Int, tap: Int) -> Int? {
        let row = inputRow(outputRow, tap / kernelWidth), column = inputColumn(outputColumn, tap % kernelWidth)
        guard containsInput(row: row, column: column) else { return nil }
        return row * inputWidth + column
    }

    /// Calls `body` for the kernel positions `taps` (all by default, in row-major kernel order) of the
    /// window of output `(outputRow, outputColumn)` that lie inside the input, with the input pixel
    /// index (`row · inputWidth + column`) and the kernel position index
    /// (`kernelRow · kernelWidth + kernelColumn`).
    @inlinable @inline(__always)
    public func forEachTap(outputRow: Int, outputColumn: Int, taps: Range<Int>? = nil,
                           _ body: (_ inputPixel: Int, _ tap: Int) -> Void) {
        for tap in taps ?? 0..<kernelHeight * kernelWidth {
            if let inputPixel = inputPixel(outputRow: outputRow, outputColumn: outputColumn, tap: tap) {
                body(inputPixel, tap)
            }
        }
    }
}
