/// A register-blocked convolution over channels-last tensors with `[kh][kw][Cin][Cout]` weights.
///
/// The output is computed in tiles of `tileWidth` consecutive output columns × one block of 16 or 32
/// output channels, whose accumulators stay in registers while the loop runs over kernel rows, kernel
/// columns and input channels: each step loads one weight vector and multiplies it by one input value
/// per column. Every output element is still `bias + Σ (kh, kw, cin) input · weight` in that order, with
/// the same `multiplyAdd`, so results equal `Convolution.reference` bit for bit (up to the sign of
/// zero). Columns whose window leaves the input, and channels past the last full block, go through the
/// reference path. Unsafe pointers and SIMD in the loops on purpose (the hot loop).
enum ConvolutionTiled {
    /// Output columns per tile.
    static let tileWidth = 6

    /// Runs the convolution with channel blocks of 16 outputs, or of 32 when `wide` (more work per
    /// weight load; for layers whose output channels are a multiple of 32).
    static func run(_ g: WindowGeometry, wide: Bool, input: UnsafePointer<Float>,
                    weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                    output: UnsafeMutablePointer<Float>) {
        let lanes = wide ? 32 : 16
        let fullChannels = g.outputChannels / lanes * lanes
        // Output columns whose whole window lies inside the input: [firstInterior, endInterior).
        let firstInterior = min(g.outputWidth, (g.paddingWidth + g.strideWidth - 1) / g.strideWidth)
        let lastStart = g.inputWidth + g.paddingWidth - g.kernelWidth
        let endInterior = max(firstInterior, min(g.outputWidth, lastStart >= 0 ? lastStart / g.strideWidth + 1 : 0))
        for sample in 0..<g.batch {
            let image = input + sample * g.inputHeight * g.inputWidth * g.inputChannels
            for outputRow in 0..<g.outputHeight {
                let rowOutput = output + ((sample * g.outputHeight + outputRow) * g.outputWidth) * g.outputChannels
                var column = firstInterior
                while column + tileWidth <= endInterior {
                    var block = 0
                    while block < fullChannels {
                        if wide {
                            tile32(g, image: image, outputRow: outputRow, firstColumn: column, firstChannel: block,
                                   weights: weights, bias: bias, output: rowOutput)
                        } else {
                            tile16(g, image: image, outputRow: outputRow, firstColumn: column, firstChannel: block,
                                   weights: weights, bias: bias, output: rowOutput)
                        }
                        block += lanes
                    }
                    column += tileWidth
                }
                // Edge columns and the remaining interior ones: the reference path, for all channels
                // of those columns; and the channels past the last full block, for the tiled columns.
                for outputColumn in 0..<g.outputWidth {
                    let tiled = outputColumn >= firstInterior && outputColumn < column
                    let firstChannel = tiled ? fullChannels : 0
                    if firstChannel == g.outputChannels { continue }
                    referencePixel(g, image: image, outputRow: outputRow, outputColumn: outputColumn,
                                   firstChannel: firstChannel, weights: weights, bias: bias,
                                   output: rowOutput + outputColumn * g.outputChannels)
                }
            }
        }
    }

    typealias Vector = SIMD16<Float>

    @inline(__always)
    private static func load(_ pointer: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(pointer).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    private static func store(_ value: Vector, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Vector.self)
    }

    /// One tile: `tileWidth` columns from `firstColumn` × 16 channels from `firstChannel`.
    @inline(__always)
    private static func tile16(_ g: WindowGeometry, image: UnsafePointer<Float>, outputRow: Int, firstColumn: Int,
                               firstChannel: Int, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                               output: UnsafeMutablePointer<Float>) {
        let start = bias.map { load($0 + firstChannel) } ?? Vector()
        var a0 = start, a1 = start, a2 = start, a3 = start, a4 = start, a5 = start
        let inputChannels = g.inputChannels
        let step = g.strideWidth * inputChannels
        for kernelRow in 0..<g.kernelHeight {
            let row = g.inputRow(outputRow, kernelRow)
            if row < 0 || row >= g.inputHeight { continue }
            for kernelColumn in 0..<g.kernelWidth {
                let x = image + (row * g.inputWidth + g.inputColumn(firstColumn, kernelColumn)) * inputChannels
                var w = weights + (kernelRow * g.kernelWidth + kernelColumn) * inputChannels * g.outputChannels + firstChannel
                for channel in 0..<inputChannels {
                    let weight = load(w)
                    a0 = multiplyAdd(a0, Vector(repeating: x[channel]), weight)
                    a1 = multiplyAdd(a1, Vector(repeating: x[channel + step]), weight)
                    a2 = multiplyAdd(a2, Vector(repeating: x[channel + 2 * step]), weight)
                    a3 = multiplyAdd(a3, Vector(repeating: x[channel + 3 * step]), weight)
                    a4 = multiplyAdd(a4, Vector(repeating: x[channel + 4 * step]), weight)
                    a5 = multiplyAdd(a5, Vector(repeating: x[channel + 5 * step]), weight)
                    w += g.outputChannels
                }
            }
        }
        let out = output + firstColumn * g.outputChannels + firstChannel
        let pixel = g.outputChannels
        store(a0, out)
        store(a1, out + pixel)
        store(a2, out + 2 * pixel)
        store(a3, out + 3 * pixel)
        store(a4, out + 4 * pixel)
        store(a5, out + 5 * pixel)
    }

    /// One tile: `tileWidth` columns from `firstColumn` × 32 channels from `firstChannel`.
    @inline(__always)
    private static func tile32(_ g: WindowGeometry, image: UnsafePointer<Float>, outputRow: Int, firstColumn: Int,
                               firstChannel: Int, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                               output: UnsafeMutablePointer<Float>) {
        let low = bias.map { load($0 + firstChannel) } ?? Vector()
        let high = bias.map { load($0 + firstChannel + 16) } ?? Vector()
        var a0 = low, a1 = low, a2 = low, a3 = low, a4 = low, a5 = low
        var b0 = high, b1 = high, b2 = high, b3 = high, b4 = high, b5 = high
        let inputChannels = g.inputChannels
        let step = g.strideWidth * inputChannels
        for kernelRow in 0..<g.kernelHeight {
            let row = g.inputRow(outputRow, kernelRow)
            if row < 0 || row >= g.inputHeight { continue }
            for kernelColumn in 0..<g.kernelWidth {
                let x = image + (row * g.inputWidth + g.inputColumn(firstColumn, kernelColumn)) * inputChannels
                var w = weights + (kernelRow * g.kernelWidth + kernelColumn) * inputChannels * g.outputChannels + firstChannel
                for channel in 0..<inputChannels {
                    let weightLow = load(w), weightHigh = load(w + 16)
                    let x0 = Vector(repeating: x[channel]), x1 = Vector(repeating: x[channel + step])
                    let x2 = Vector(repeating: x[channel + 2 * step]), x3 = Vector(repeating: x[channel + 3 * step])
                    let x4 = Vector(repeating: x[channel + 4 * step]), x5 = Vector(repeating: x[channel + 5 * step])
                    a0 = multiplyAdd(a0, x0, weightLow)
                    b0 = multiplyAdd(b0, x0, weightHigh)
                    a1 = multiplyAdd(a1, x1, weightLow)
                    b1 = multiplyAdd(b1, x1, weightHigh)
                    a2 = multiplyAdd(a2, x2, weightLow)
                    b2 = multiplyAdd(b2, x2, weightHigh)
                    a3 = multiplyAdd(a3, x3, weightLow)
                    b3 = multiplyAdd(b3, x3, weightHigh)
                    a4 = multiplyAdd(a4, x4, weightLow)
                    b4 = multiplyAdd(b4, x4, weightHigh)
                    a5 = multiplyAdd(a5, x5, weightLow)
                    b5 = multiplyAdd(b5, x5, weightHigh)
                    w += g.outputChannels
                }
            }
        }
        let out = output + firstColumn * g.outputChannels + firstChannel
        let pixel = g.outputChannels
        store(a0, out)
        store(b0, out + 16)
        store(a1, out + pixel)
        store(b1, out + pixel + 16)
        store(a2, out + 2 * pixel)
        store(b2, out + 2 * pixel + 16)
        store(a3, out + 3 * pixel)
        store(b3, out + 3 * pixel + 16)
        store(a4, out + 4 * pixel)
        store(b4, out + 4 * pixel + 16)
        store(a5, out + 5 * pixel)
        store(b5, out + 5 * pixel + 16)
    }

    /// Output channels `firstChannel ..< outputChannels` of one pixel, as the reference computes them.
    private static func referencePixel(_ g: WindowGeometry, image: UnsafePointer<Float>, outputRow: Int,
                                       outputColumn: Int, firstChannel: Int, weights: UnsafePointer<Float>,
                                       bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>) {
        let count = g.outputChannels - firstChannel
        let out = output + firstChannel
        if let bias {
            out.update(from: bias + firstChannel, count: count)
        } else {
            out.update(repeating: 0, count: count)
        }
        g.forEachTap(outputRow: outputRow, outputColumn: outputColumn) { inputPixel, tap in
            let activations = image + inputPixel * g.inputChannels
            let rows = weights + tap * g.inputChannels * g.outputChannels + firstChannel
            for channel in 0..<g.inputChannels {
                let activation = activations[channel]
                if activation == 0 { continue }
                let row = rows + channel * g.outputChannels
                for index in 0..<count { out[index] = multiplyAdd(out[index], activation, row[index]) }
            }
        }
    }
}
