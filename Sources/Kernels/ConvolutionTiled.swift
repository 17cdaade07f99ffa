import GNKernelInterface

/// A register-blocked convolution over channels-last tensors with `[kh][kw][Cin][Cout]` weights.
///
/// The output is computed in tiles of `tileWidth` consecutive output pixels (in memory order, so a tile
/// may span rows and samples: narrow maps waste nothing) × one block of 16 or 32 output channels, whose
/// accumulators stay in registers while the loop runs over kernel rows, kernel columns and input
/// channels: each step loads one weight vector and multiplies it by one input value per pixel. Each
/// pixel reads its input through its own pointer, so pixels whose window leaves the input read a row of
/// zeros instead (no special edge path), and the pixels of a last, partial tile write to scratch. Every
/// output element is still `bias + Σ (kh, kw, cin) input · weight` in that order, with the same
/// `multiplyAdd` as `Convolution.reference`, so results equal it bit for bit (up to the sign of zero).
/// Channels past the last full block go through the reference loop.
///
/// Work is split into tasks — (channel block, run of `tileWidth · tilesPerTask` pixels) pairs,
/// block-major so that a range of tasks reuses one block of weights — which threads may run in parallel.
/// Unsafe pointers and SIMD in the loops on purpose: this is the hot loop.
enum ConvolutionTiled {
    /// Output pixels per tile.
    static let tileWidth = 6
    /// Tiles per task.
    static let tilesPerTask = 4

    typealias Vector = SIMD16<Float>

    /// The tiled kernel for a query, or nil when its output channels are too few to fill a block of
    /// 16 (or when packed weights come in blocks of another width).
    static func choice(_ query: KernelQuery) -> KernelChoice? {
        let g = query.geometry
        guard TiledKernels.available, g.outputChannels >= 16 else { return nil }
        let wide = g.outputChannels % 32 == 0
        let lanes = wide ? 32 : 16
        guard !query.weightLayout.isPacked || query.weightLayout.lanes == lanes else { return nil }
        let split = TaskSplit(blocks: (g.outputChannels + lanes - 1) / lanes,
                              itemsPerSample: query.outputPixelsPerSample, itemsPerTask: tileWidth * tilesPerTask)
        let scratch = scratchFloats(g)
        if wide {
            return KernelChoice(function: { job, worker, begin, end in ConvolutionTiled.run(job, worker: worker, tasks: begin..<end, wide: true) },
                                split: split, scratchFloats: scratch, name: "conv2d.tiled32")
        }
        return KernelChoice(function: { job, worker, begin, end in ConvolutionTiled.run(job, worker: worker, tasks: begin..<end, wide: false) },
                            split: split, scratchFloats: scratch, name: "conv2d.tiled16")
    }

    /// Scratch floats a call needs: a zero row of input channels, and one tile of outputs.
    static func scratchFloats(_ g: WindowGeometry) -> Int {
        g.inputChannels + tileWidth * g.outputChannels
    }

    /// Runs `tasks` of a call whose job is `KernelArguments`.
    private static func run(_ job: UnsafeRawPointer, worker: Int, tasks: Range<Int>, wide: Bool) {
        let arguments = job.load(as: KernelArguments.self)
        let scratch = arguments.scratch(of: worker)
        scratch.update(repeating: 0, count: arguments.geometry.inputChannels)
        arguments.forEachTask(tasks) { block, pixels in
            run(arguments.geometry, wide: wide, block: block, pixels: pixels, input: arguments.input,
                weights: arguments.weights!, layout: arguments.weightLayout, bias: arguments.bias,
                output: arguments.output, scratch: scratch)
        }
    }

    /// Computes output pixels `pixels` × the channels of block `block` (16 channels, or 32 when
    /// `wide`; the last block may be partial). `scratch` holds `scratchFloats(g)` floats, private to
    /// the caller, starting with `inputChannels` zeros. `layout` says how `weights` are ordered: the
    /// file's layout, or packed in blocks as wide as the tiles.
    static func run(_ g: WindowGeometry, wide: Bool, block: Int, pixels: Range<Int>, input: UnsafePointer<Float>,
                    weights: UnsafePointer<Float>, layout: WeightLayout, bias: UnsafePointer<Float>?,
                    output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let lanes = wide ? 32 : 16
        // Packed weights come in whole blocks; only plain ones can have channels past the last block.
        assert(!layout.isPacked || (layout.lanes == lanes && g.outputChannels % lanes == 0))
        let zeros = UnsafePointer(scratch)
        let spill = scratch + g.inputChannels
        let firstChannel = block * lanes
        if firstChannel + lanes > g.outputChannels {
            // The channels past the last full block: the reference loop, one pixel at a time.
            for pixel in pixels {
                let (sample, row, column) = position(g, pixel)
                Convolution.pixel(g, image: input + sample * g.inputElementsPerSample, outputRow: row, outputColumn: column,
                                  channels: firstChannel..<g.outputChannels, weights: weights, layout: layout, bias: bias,
                                  output: output + pixel * g.outputChannels)
            }
            return
        }
        var pixel = pixels.lowerBound
        while pixel < pixels.upperBound {
            let count = min(tileWidth, pixels.upperBound - pixel)
            // A partial tile computes into scratch, then copies the pixels that exist.
            let target = count == tileWidth ? output + pixel * g.outputChannels : spill
            let origins = TileOrigins(g, input: input, firstPixel: pixel, count: count)
            if wide {
                tile32(g, origins, zeros: zeros, firstChannel: firstChannel, weights: weights, layout: layout, bias: bias,
                       output: target)
            } else {
                tile16(g, origins, zeros: zeros, firstChannel: firstChannel, weights: weights, layout: layout, bias: bias,
                       output: target)
            }
            if count < tileWidth {
                for index in 0..<count {
                    (output + (pixel + index) * g.outputChannels + firstChannel)
                        .update(from: spill + index * g.outputChannels + firstChannel, count: lanes)
                }
            }
            pixel += count
        }
    }

    /// (sample, output row, output column) of an output pixel index.
    @inline(__always)
    private static func position(_ g: WindowGeometry, _ pixel: Int) -> (Int, Int, Int) {
        let perSample = g.outputHeight * g.outputWidth
        let inSample = pixel % perSample
        return (pixel / perSample, inSample / g.outputWidth, inSample % g.outputWidth)
    }

    /// Where the windows of a tile's pixels start: their sample's image and top-left input position.
    /// Pixels past the end of a partial tile get a row far outside the input, so they read zeros.
    private struct TileOrigins {
        var images: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                     UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>)
        var rows: (Int, Int, Int, Int, Int, Int)
        var columns: (Int, Int, Int, Int, Int, Int)
        /// Whether the six pixels lie in one output row and their windows never leave the input
        /// sideways: then only the kernel row needs a bounds check (the common case).
        var uniform: Bool

        @inline(__always)
        init(_ g: WindowGeometry, input: UnsafePointer<Float>, firstPixel: Int, count: Int) {
            func origin(_ index: Int) -> (UnsafePointer<Float>, Int, Int) {
                guard index < count else { return (input, Int.min / 2, 0) }
                let (sample, row, column) = position(g, firstPixel + index)
                return (input + sample * g.inputHeight * g.inputWidth * g.inputChannels,
                        row * g.strideHeight - g.paddingHeight, column * g.strideWidth - g.paddingWidth)
            }
            let o0 = origin(0), o1 = origin(1), o2 = origin(2), o3 = origin(3), o4 = origin(4), o5 = origin(5)
            images = (o0.0, o1.0, o2.0, o3.0, o4.0, o5.0)
            rows = (o0.1, o1.1, o2.1, o3.1, o4.1, o5.1)
            columns = (o0.2, o1.2, o2.2, o3.2, o4.2, o5.2)
            uniform = count == tileWidth && o0.1 == o5.1 && o0.0 == o5.0 && o0.2 >= 0
                && o5.2 + g.kernelWidth <= g.inputWidth
        }

        /// The input pointers of the six pixels at kernel position (`kernelRow`, `kernelColumn`): the
        /// input pixel, or the zero row where the window leaves the input.
        @inline(__always)
        func pointers(_ g: WindowGeometry, zeros: UnsafePointer<Float>, kernelRow: Int, kernelColumn: Int)
            -> (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                UnsafePointer<Float>, UnsafePointer<Float>) {
            if uniform {
                let row = rows.0 + kernelRow
                guard row >= 0, row < g.inputHeight else { return (zeros, zeros, zeros, zeros, zeros, zeros) }
                let first = images.0 + (row * g.inputWidth + columns.0 + kernelColumn) * g.inputChannels
                let step = g.strideWidth * g.inputChannels
                return (first, first + step, first + 2 * step, first + 3 * step, first + 4 * step, first + 5 * step)
            }
            @inline(__always)
            func pointer(_ image: UnsafePointer<Float>, _ top: Int, _ left: Int) -> UnsafePointer<Float> {
                let row = top + kernelRow, column = left + kernelColumn
                guard row >= 0, row < g.inputHeight, column >= 0, column < g.inputWidth else { return zeros }
                return image + (row * g.inputWidth + column) * g.inputChannels
            }
            return (pointer(images.0, rows.0, columns.0), pointer(images.1, rows.1, columns.1),
                    pointer(images.2, rows.2, columns.2), pointer(images.3, rows.3, columns.3),
                    pointer(images.4, rows.4, columns.4), pointer(images.5, rows.5, columns.5))
        }
    }

    /// One tile: six output pixels × 16 channels from `firstChannel`, written at `output` (the first
    /// pixel's output; the others follow, `outputChannels` floats apart).
    @inline(__always)
    private static func tile16(_ g: WindowGeometry, _ origins: TileOrigins, zeros: UnsafePointer<Float>,
                               firstChannel: Int, weights: UnsafePointer<Float>, layout: WeightLayout,
                               bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>) {
        let start = bias.map { Vector.load($0 + firstChannel) } ?? Vector()
        var a0 = start, a1 = start, a2 = start, a3 = start, a4 = start, a5 = start
        let inputChannels = g.inputChannels
        for kernelRow in 0..<g.kernelHeight {
            for kernelColumn in 0..<g.kernelWidth {
                let (x0, x1, x2, x3, x4, x5) = origins.pointers(g, zeros: zeros, kernelRow: kernelRow, kernelColumn: kernelColumn)
                var w = weights + layout.offset(channel: firstChannel, tap: kernelRow * g.kernelWidth + kernelColumn)
                for channel in 0..<inputChannels {
                    let weight = Vector.load(w)
                    a0 = multiplyAdd(a0, Vector(repeating: x0[channel]), weight)
                    a1 = multiplyAdd(a1, Vector(repeating: x1[channel]), weight)
                    a2 = multiplyAdd(a2, Vector(repeating: x2[channel]), weight)
                    a3 = multiplyAdd(a3, Vector(repeating: x3[channel]), weight)
                    a4 = multiplyAdd(a4, Vector(repeating: x4[channel]), weight)
                    a5 = multiplyAdd(a5, Vector(repeating: x5[channel]), weight)
                    w += layout.channelStride
                }
            }
        }
        let out = output + firstChannel
        let pixel = g.outputChannels
        a0.store(out)
        a1.store(out + pixel)
        a2.store(out + 2 * pixel)
        a3.store(out + 3 * pixel)
        a4.store(out + 4 * pixel)
        a5.store(out + 5 * pixel)
    }

    /// One tile of 32 channels; otherwise as `tile16`.
    @inline(__always)
    private static func tile32(_ g: WindowGeometry, _ origins: TileOrigins, zeros: UnsafePointer<Float>,
                               firstChannel: Int, weights: UnsafePointer<Float>, layout: WeightLayout,
                               bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>) {
        let low = bias.map { Vector.load($0 + firstChannel) } ?? Vector()
        let high = bias.map { Vector.load($0 + firstChannel + 16) } ?? Vector()
        var a0 = low, a1 = low, a2 = low, a3 = low, a4 = low, a5 = low
        var b0 = high, b1 = high, b2 = high, b3 = high, b4 = high, b5 = high
        let inputChannels = g.inputChannels
        for kernelRow in 0..<g.kernelHeight {
            for kernelColumn in 0..<g.kernelWidth {
                let (p0, p1, p2, p3, p4, p5) = origins.pointers(g, zeros: zeros, kernelRow: kernelRow, kernelColumn: kernelColumn)
                var w = weights + layout.offset(channel: firstChannel, tap: kernelRow * g.kernelWidth + kernelColumn)
                for channel in 0..<inputChannels {
                    let weightLow = Vector.load(w), weightHigh = Vector.load(w + 16)
                    let x0 = Vector(repeating: p0[channel]), x1 = Vector(repeating: p1[channel])
                    let x2 = Vector(repeating: p2[channel]), x3 = Vector(repeating: p3[channel])
                    let x4 = Vector(repeating: p4[channel]), x5 = Vector(repeating: p5[channel])
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
                    w += layout.channelStride
                }
            }
        }
        let out = output + firstChannel
        let pixel = g.outputChannels
        a0.store(out)
        b0.store(out + 16)
        a1.store(out + pixel)
        b1.store(out + pixel + 16)
        a2.store(out + 2 * pixel)
        b2.store(out + 2 * pixel + 16)
        a3.store(out + 3 * pixel)
        b3.store(out + 3 * pixel + 16)
        a4.store(out + 4 * pixel)
        b4.store(out + 4 * pixel + 16)
        a5.store(out + 5 * pixel)
        b5.store(out + 5 * pixel + 16)
    }
}
