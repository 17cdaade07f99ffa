#if GN_AVX512
import GNIntrinsics
import GNKernelInterface

/// Int8 convolutions over few input channels on AVX-512 (with VNNI or without), one output row at a
/// time: the integer counterpart of `ConvolutionRows`, with `IntegerConvolutionDot`'s arithmetic
/// (`DotProduct`) and packed weights.
///
/// `IntegerConvolutionDot` copies each output pixel's window into a patch of bytes, so every input
/// value is converted to its integer once per window that reads it — nine times in a 3 × 3 layer — and
/// with 16 channels per tap that conversion, not the dot products, bounds the layer. Here the input
/// rows are converted once, into padded rows of bytes (`PaddedRows<UInt8>`: each value's integer,
/// padding columns zero), and every pixel of a tile reads its 4 bytes per dot product at a constant
/// offset from one pointer per kernel row: a window row's columns × channels are consecutive there, in
/// the order of the packed weights' groups. Integer sums are exact in any order, so results equal
/// `IntegerConvolution`'s bit for bit; the outputs leave the integers through `IntegerTiling.store`.
///
/// Tiles are P consecutive pixels of a row × V vectors of 16 output channels (16 × 16 or 8 × 32: 16
/// sums in registers); a row's last tile may be partial (its missing pixels read the zero padding).
/// Tasks are whole output rows × one block of V vectors, in row order (`ConvolutionRows.split`).
/// Intrinsics, unsafe pointers and SIMD in the loops on purpose: this is the hot loop.
enum IntegerRowsDot {
    /// A row tile: its shape, its kernel for one input shape, and the packing of its weights.
    struct Tile {
        var pixels: Int
        var vectors: Int
        var name: StaticString
        var function: TaskFunction
        var pack: PackFunction
    }

    /// The row tile for `channels` input channels, column stride `stride`, `kernel` × `kernel` windows
    /// and output channels in blocks of `vectors` × 16, or nil. Instantiated for the shapes of ResNet's
    /// int8 layers (every layer but the first keeps to 16, 32 or 64 channels): sizes known when compiling,
    /// so that the loops over a window unroll.
    static func tile(channels: Int, stride: Int, kernel: Int, vectors: Int) -> Tile? {
        switch (channels, stride, kernel, vectors) {
        case (16, 1, 3, 1):
            return Tile(pixels: 16, vectors: 1, name: "conv2d.dotrows16x16") { job, worker, begin, end in
                IntegerRowsDot.run(TileShape<16, 1>.self, RowInput<16, 1, 3>.self, job, worker: worker, tasks: begin..<end)
            } pack: { job, destination in
                IntegerConvolutionDot.pack(vectors: 1, ByteInputs.self, job, into: destination)
            }
        case (16, 1, 3, 2):
            return Tile(pixels: 8, vectors: 2, name: "conv2d.dotrows8x32") { job, worker, begin, end in
                IntegerRowsDot.run(TileShape<8, 2>.self, RowInput<16, 1, 3>.self, job, worker: worker, tasks: begin..<end)
            } pack: { job, destination in
                IntegerConvolutionDot.pack(vectors: 2, ByteInputs.self, job, into: destination)
            }
        case (16, 2, 3, 2):
            return Tile(pixels: 8, vectors: 2, name: "conv2d.dotrows8x32") { job, worker, begin, end in
                IntegerRowsDot.run(TileShape<8, 2>.self, RowInput<16, 2, 3>.self, job, worker: worker, tasks: begin..<end)
            } pack: { job, destination in
                IntegerConvolutionDot.pack(vectors: 2, ByteInputs.self, job, into: destination)
            }
        case (16, 2, 1, 2):
            return Tile(pixels: 8, vectors: 2, name: "conv2d.dotrows8x32") { job, worker, begin, end in
                IntegerRowsDot.run(TileShape<8, 2>.self, RowInput<16, 2, 1>.self, job, worker: worker, tasks: begin..<end)
            } pack: { job, destination in
                IntegerConvolutionDot.pack(vectors: 2, ByteInputs.self, job, into: destination)
            }
        case (32, 2, 1, 2):
            return Tile(pixels: 8, vectors: 2, name: "conv2d.dotrows8x32") { job, worker, begin, end in
                IntegerRowsDot.run(TileShape<8, 2>.self, RowInput<32, 2, 1>.self, job, worker: worker, tasks: begin..<end)
            } pack: { job, destination in
                IntegerConvolutionDot.pack(vectors: 2, ByteInputs.self, job, into: destination)
            }
        case (32, 2, 3, 2):
            return Tile(pixels: 8, vectors: 2, name: "conv2d.dotrows8x32") { job, worker, begin, end in
                IntegerRowsDot.run(TileShape<8, 2>.self, RowInput<32, 2, 3>.self, job, worker: worker, tasks: begin..<end)
            } pack: { job, destination in
                IntegerConvolutionDot.pack(vectors: 2, ByteInputs.self, job, into: destination)
            }
        case (32, 1, 3, 2):
            return Tile(pixels: 8, vectors: 2, name: "conv2d.dotrows8x32") { job, worker, begin, end in
                IntegerRowsDot.run(TileShape<8, 2>.self, RowInput<32, 1, 3>.self, job, worker: worker, tasks: begin..<end)
            } pack: { job, destination in
                IntegerConvolutionDot.pack(vectors: 2, ByteInputs.self, job, into: destination)
            }
        case (64, 1, 3, 2):
            return Tile(pixels: 8, vectors: 2, name: "conv2d.dotrows8x32") { job, worker, begin, end in
                IntegerRowsDot.run(TileShape<8, 2>.self, RowInput<64, 1, 3>.self, job, worker: worker, tasks: begin..<end)
            } pack: { job, destination in
                IntegerConvolutionDot.pack(vectors: 2, ByteInputs.self, job, into: destination)
            }
        default:
            return nil
        }
    }

    /// The row kernel for an int8 convolution whose input integers are bytes (`ByteInputs.largestInput`),
    /// or nil; where its tiles would compute many pixels past the end of the rows, as for the float row
    /// kernels (`ConvolutionRows.wastesLittle`), nil too.
    static func choice(_ query: KernelQuery) -> KernelChoice? {
        let g = query.geometry
        guard case .convolution = query.operation, query.largestInputInteger <= ByteInputs.largestInput,
              g.kernelHeight == g.kernelWidth, g.outputChannels % 16 == 0 else { return nil }
        let vectors = g.outputChannels % 32 == 0 ? 2 : 1
        guard let tile = tile(channels: g.inputChannels, stride: g.strideWidth, kernel: g.kernelWidth, vectors: vectors),
              ConvolutionRows.wastesLittle(rowWidth: g.outputWidth, tilePixels: tile.pixels),
              g.kernelHeight <= PaddedRows<UInt8>.largestKernelHeight else { return nil }
        return KernelChoice(function: tile.function, split: ConvolutionRows.split(query, vectors: vectors),
                            scratchFloats: (PaddedRows<UInt8>.elements(g, pixels: tile.pixels) + 3) / 4, name: tile.name,
                            packedWeightBytes: IntegerConvolutionDot.packedBytes(
                                g, vectors: vectors, patchBytes: IntegerConvolutionDot.patchElements(g, perGroup: ByteInputs.perGroup)),
                            packWeights: tile.pack)
    }

    /// Runs `tasks` of a call whose job is `KernelArguments`, in tiles of `shape` over inputs of `input`.
    private static func run<let P: Int, let V: Int, let C: Int, let S: Int, let K: Int>(
        _ shape: TileShape<P, V>.Type, _ input: RowInput<C, S, K>.Type, _ job: UnsafeRawPointer, worker: Int,
        tasks: Range<Int>
    ) {
        let arguments = job.load(as: KernelArguments.self)
        let g = arguments.geometry
        let reciprocal = arguments.inputReciprocal
        let storage = UnsafeMutableRawPointer(arguments.scratch(of: worker))
            .bindMemory(to: UInt8.self, capacity: PaddedRows<UInt8>.elements(g, pixels: P))
        var rows = PaddedRows<UInt8>(storage, g, pixels: P)
        arguments.forEachTask(tasks) { block, pixels in
            g.forEachOutputRow(pixels) { sample, outputRow, rowStart in
                // Each input value's integer, as a byte: a lean session's bytes as they are, or
                // recovered from the floats.
                if arguments.inputHoldsIntegers {
                    rows.load(g, input: arguments.inputIntegers, sample: sample, outputRow: outputRow, readsInPlace: false) {
                        source, destination, count in destination.update(from: source, count: count)
                    }
                } else {
                    rows.load(g, input: arguments.input, sample: sample, outputRow: outputRow, readsInPlace: false) {
                        source, destination, count in
                        ByteInputs.recover(source, count: count, reciprocal: reciprocal, into: destination)
                    }
                }
                runRow(shape, input, arguments, block: block, rows: rows.loadedRows(),
                       kernelRows: g.kernelRowsInside(outputRow: outputRow), firstPixel: rowStart)
            }
        }
    }

    /// One output row, whose first pixel is `firstPixel`, × the V vectors of block `block`, from the
    /// padded rows of bytes `rows`, of which those outside `kernelRows` lie on padding and are left out
    /// (their products are zeros). The loop over kernel rows keeps its constant length, so that it
    /// unrolls with the sums in registers, and tests each row: a loop over `kernelRows` alone made
    /// 16-channel layers 6–14% slower.
    @inline(__always)
    private static func runRow<let P: Int, let V: Int, let C: Int, let S: Int, let K: Int>(
        _ shape: TileShape<P, V>.Type, _ input: RowInput<C, S, K>.Type, _ arguments: KernelArguments, block: Int,
        rows: InlineArray<K, UnsafePointer<UInt8>>, kernelRows: Range<Int>, firstPixel: Int
    ) {
        let g = arguments.geometry
        // Groups of 4 bytes: a kernel row's are K · C / 4, consecutive in the padded rows and in the
        // packed weights (`[vector][group][16][4]`).
        let rowGroups = K * C / 4
        var vectorWeights = InlineArray<V, UnsafeRawPointer>(repeating: arguments.packedWeights!)
        for vector in 0..<V { vectorWeights[vector] = arguments.packedWeights! + (block * V + vector) * K * rowGroups * 64 }
        var column = 0
        while column < g.outputWidth {
            let count = min(P, g.outputWidth - column)
            var sums = InlineArray<P, InlineArray<V, DotProduct>>(repeating: InlineArray(repeating: DotProduct()))
            for kernelRow in 0..<K where kernelRows.contains(kernelRow) {
                addKernelRow(shape, input, to: &sums, row: rows[kernelRow] + column * S * C, kernelRow: kernelRow, weights: vectorWeights)
            }
            IntegerTiling.store(arguments, block: block, pixels: firstPixel + column..<firstPixel + column + count, vectors: V) {
                index, vector in SIMD16<Float>(sums[index][vector].integers)
            }
            column += count
        }
    }

    /// Adds to `sums` the dot products of kernel row `kernelRow`: its `K · C / 4` groups of 4 bytes,
    /// consecutive in the padded row (from the tile's first pixel's, `row`) and in each vector's packed
    /// weights (`weights`, kernel row 0's first group).
    @inline(__always)
    private static func addKernelRow<let P: Int, let V: Int, let C: Int, let S: Int, let K: Int>(
        _ shape: TileShape<P, V>.Type, _ input: RowInput<C, S, K>.Type, to sums: inout InlineArray<P, InlineArray<V, DotProduct>>,
        row: UnsafePointer<UInt8>, kernelRow: Int, weights: InlineArray<V, UnsafeRawPointer>
    ) {
        let rowGroups = K * C / 4
        let x = UnsafeRawPointer(row)
        for group in 0..<rowGroups {
            var weight = InlineArray<V, DotProduct>(repeating: DotProduct())
            for vector in 0..<V { weight[vector] = DotProduct(loading: weights[vector] + (kernelRow * rowGroups + group) * 64) }
            for index in 0..<P {
                // Wrapping arithmetic: small constant offsets, no overflow checks in the loop.
                let value = DotProduct.Broadcast(x.loadUnaligned(fromByteOffset: index &* (S &* C) &+ 4 &* group, as: Int32.self))
                for vector in 0..<V { ByteInputs.add(&sums[index][vector], value, weight[vector]) }
            }
        }
    }
}
#endif
