import GNKernelInterface

/// What the tiled integer kernels (`IntegerConvolutionExact`, `IntegerConvolutionDot`) share: each
/// output pixel's window copied into the thread's scratch as its *patch* of integers, weights packed
/// once per session per vector of 16 output channels, tiles of P pixels × V vectors whose sums stay in
/// registers, and tasks that make their pixels' patches once and run every block of V vectors over them
/// (or, for layers of few pixels, one block each, so that threads share the work). The kernels differ
/// only in the type of a patch's elements and in their inner product.
enum IntegerTiling {
    /// Tiles per task.
    static let tilesPerTask = 2

    /// Blocks of `vectors` vectors of 16 output channels.
    @inline(__always)
    static func blocks(_ g: WindowGeometry, vectors: Int) -> Int { ((g.outputChannels + 15) / 16 + vectors - 1) / vectors }

    /// Whether tasks of `pixels`-pixel tiles split over the blocks of output channels as well as over
    /// the pixels: when the pixels alone make fewer than 8 tasks.
    @inline(__always)
    static func splitsBlocks(_ pixels: Int, _ query: KernelQuery) -> Bool {
        pixels == 1 || query.batch * query.outputPixelsPerSample < 8 * pixels * tilesPerTask
    }

    /// The task split of tiles of `pixels` × `vectors`.
    static func split(_ query: KernelQuery, pixels: Int, vectors: Int) -> TaskSplit {
        TaskSplit(blocks: splitsBlocks(pixels, query) ? blocks(query.geometry, vectors: vectors) : 1,
                  itemsPerSample: query.outputPixelsPerSample, itemsPerTask: pixels * tilesPerTask)
    }

    /// Scratch floats one thread needs for the patches of one task: `patchBytes` bytes per pixel.
    static func scratchFloats(pixels: Int, patchBytes: Int) -> Int { (pixels * tilesPerTask * patchBytes + 3) / 4 }

    /// Runs tasks `tasks` of a call, on worker `worker`'s scratch, whose patches hold `patchElements`
    /// elements of `Element` each: for every task, `makePatch(pixel or nil, patch)` for its pixels rounded
    /// up to whole tiles of `pixels` (nil past the last: the patch must read zeros), then `tile(block,
    /// pixels, first patch)` for every block the task covers and every tile.
    @inline(__always)
    static func run<Element>(_ arguments: KernelArguments, worker: Int, tasks: Range<Int>, pixels: Int, vectors: Int,
                             patchElements: Int, of _: Element.Type,
                             makePatch: (_ pixel: Int?, _ patch: UnsafeMutablePointer<Element>) -> Void,
                             tile: (_ block: Int, _ pixels: Range<Int>, _ patches: UnsafeMutablePointer<Element>) -> Void) {
        let patches = UnsafeMutableRawPointer(arguments.scratch(of: worker))
            .bindMemory(to: Element.self, capacity: pixels * tilesPerTask * patchElements)
        let allBlocks = blocks(arguments.geometry, vectors: vectors)
        arguments.forEachTask(tasks) { block, items in
            let tiles = (items.count + pixels - 1) / pixels
            for index in 0..<tiles * pixels {
                makePatch(index < items.count ? items.lowerBound + index : nil, patches + index * patchElements)
            }
            for block in arguments.split.blocks > 1 ? block..<block + 1 : 0..<allBlocks {
                for index in 0..<tiles {
                    let first = items.lowerBound + index * pixels
                    tile(block, first..<min(first + pixels, items.upperBound), patches + index * pixels * patchElements)
                }
            }
        }
    }

    /// Writes the patch of output pixel `pixel` into `row`: for each kernel position (row-major),
    /// `stride` elements — `convert(values, destination)` of the input pixel's `inputChannels` values
    /// in `input` (the arguments' floats, or a lean session's bytes)
    /// when the position lies inside the input, zeros on padding — and zeros past the channels
    /// (`stride > inputChannels`); all zeros for a nil pixel. Rows and columns advance by addition: no
    /// division per position.
    @inline(__always)
    static func makePatch<Element, Source>(_ arguments: KernelArguments, input: UnsafePointer<Source>, pixel: Int?,
                                           into row: UnsafeMutablePointer<Element>, stride: Int, zero: Element,
                                           convert: (_ values: UnsafePointer<Source>, _ destination: UnsafeMutablePointer<Element>) -> Void) {
        let g = arguments.geometry
        guard let pixel else {
            row.update(repeating: zero, count: g.kernelHeight * g.kernelWidth * stride)
            return
        }
        let (sample, outputRow, outputColumn) = g.outputPosition(pixel)
        let image = input + sample * g.inputElementsPerSample
        let top = g.inputRow(outputRow, 0), left = g.inputColumn(outputColumn, 0)
        var destination = row
        for inputRow in top..<top + g.kernelHeight {
            let rowInside = inputRow >= 0 && inputRow < g.inputHeight
            for inputColumn in left..<left + g.kernelWidth {
                if rowInside && inputColumn >= 0 && inputColumn < g.inputWidth {
                    convert(image + (inputRow * g.inputWidth + inputColumn) * g.inputChannels, destination)
                    (destination + g.inputChannels).update(repeating: zero, count: stride - g.inputChannels)
                } else {
                    destination.update(repeating: zero, count: stride)
                }
                destination += stride
            }
        }
    }

    /// Writes a tile's outputs: for each of its `pixels` and each of the V (`vectors`) vectors of block
    /// `block` inside the layer's channels, `float(sum) · (scale · σ) + bias` (`IntegerArithmetic.output`)
    /// from `sums(pixel index, vector)`, the int32 sums converted to float as the semantics say (to
    /// nearest, ties to even). SIMD on purpose: 16 outputs at a time, else one.
    @inline(__always)
    static func store(_ arguments: KernelArguments, block: Int, pixels: Range<Int>, vectors: Int,
                      sums: (_ pixel: Int, _ vector: Int) -> SIMD16<Float>) {
        let g = arguments.geometry
        let scales = arguments.weightScales!, bias = arguments.bias
        for index in 0..<pixels.count {
            let output = arguments.output + (pixels.lowerBound + index) * g.outputChannels
            for vector in 0..<vectors {
                let first = (block * vectors + vector) * 16
                guard first < g.outputChannels else { break }
                let values = sums(index, vector)
                if first + 16 <= g.outputChannels {
                    var result = values * (SIMD16<Float>.load(scales + first) * arguments.inputScale)
                    if let bias { result = result + SIMD16<Float>.load(bias + first) }
                    result.store(output + first)
                } else {
                    for lane in 0..<g.outputChannels - first {
                        output[first + lane] = IntegerArithmetic.output(values[lane], channel: first + lane, arguments)
                    }
                }
            }
        }
    }
}
