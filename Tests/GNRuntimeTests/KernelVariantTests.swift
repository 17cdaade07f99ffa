import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder
@testable import GNKernelsBaseline

/// Every kernel variant this machine runs (one build of the kernel sources per instruction set),
/// through the interface the planner uses (`KernelRegistry.kernel(for:in:)`), run as a session runs
/// them: all tasks, split between two workers with scratch of their own.
///
/// - Within a variant, the fastest kernel equals the reference kernel bit for bit (same order of
///   operations) on edge sizes, in the file's weight layout and packed.
/// - Variants that fuse multiply-add equal one another bit for bit; the baseline, which rounds each
///   product, stays within the bound docs/semantics.md states: |a − b| ≤ 2·γ(n+1)·(|bias| + Σ|x·w|),
///   γ(k) = k·u/(1 − k·u), u = 2⁻²⁴, n the number of products summed.
/// - Kernels without products (pooling, add, affine, neurons) are equal in every variant.
final class KernelVariantTests: XCTestCase {
    /// The instruction sets whose kernels this machine runs, narrowest first (`InstructionSet.narrower`).
    private let variants = InstructionSet.allCases.filter { KernelRegistry.isAvailable($0) }.sorted()

    private func kernel(_ query: KernelQuery, _ set: InstructionSet, file: StaticString = #filePath,
                        line: UInt = #line) throws -> KernelChoice {
        try XCTUnwrap(KernelRegistry.kernel(for: query, in: set), "\(set.name) has no kernel for \(query.operation)",
                      file: file, line: line)
    }

    func testTheBaselineIsAlwaysAvailableAndAutomaticIsTheWidest() {
        XCTAssertEqual(variants.first, .baseline)
        XCTAssertEqual(KernelRegistry.widestAvailable, variants.last)
        #if arch(x86_64)
        // This library is built with every x86-64 variant; each needs what the narrower ones need.
        if KernelRegistry.isAvailable(.avx512vnni) { XCTAssertTrue(KernelRegistry.isAvailable(.avx512)) }
        if KernelRegistry.isAvailable(.avx2vnni) { XCTAssertTrue(KernelRegistry.isAvailable(.avx2)) }
        if KernelRegistry.isAvailable(.avx512) { XCTAssertTrue(KernelRegistry.isAvailable(.avx2)) }
        #endif
    }

    // (batch, Cin, H, W, Cout, kernel, stride, padding)
    private static let convolutionCases: [(Int, Int, Int, Int, Int, Int, Int, Int)] = [
        (1, 1, 28, 28, 16, 3, 1, 1), (2, 3, 9, 13, 32, 3, 1, 1), (1, 5, 8, 8, 48, 3, 2, 1),
        (1, 4, 7, 20, 17, 1, 1, 0), (1, 16, 6, 6, 64, 3, 1, 0), (1, 2, 5, 30, 33, 5, 3, 2),
        (1, 3, 4, 4, 16, 7, 1, 3), (2, 8, 12, 12, 96, 1, 2, 0), (1, 1, 1, 12, 16, 1, 1, 0),
        (3, 32, 2, 2, 64, 3, 1, 1), (1, 7, 3, 5, 40, 3, 1, 4), (2, 3, 11, 11, 16, 3, 2, 0),
        // Fewer output channels than a vector: tiles over weights padded to 16 (`PaddedWeights`), pointwise
        // and rows of one input channel too; past `PaddedWeights.limit`, the reference kernel.
        (1, 3, 6, 6, 8, 3, 1, 1), (2, 20, 5, 5, 5, 3, 2, 1), (2, 30, 5, 5, 10, 1, 1, 0), (1, 1, 9, 9, 1, 3, 1, 1),
        (1, 120, 4, 4, 8, 3, 1, 1), (2, 1, 20, 20, 6, 3, 1, 1), (1, 3, 17, 17, 10, 3, 1, 1),
        // Runs of 64 channels per tap and several groups of blocks (SummationOrder).
        (1, 80, 5, 5, 32, 3, 1, 1), (2, 70, 4, 3, 16, 3, 1, 1), (1, 200, 3, 3, 48, 3, 1, 1),
        // Tiles of whole rows whose top or bottom row's windows leave out a kernel row on padding: the
        // blocks of a group that such a tile skips, the first of a group among them.
        (2, 72, 8, 8, 64, 3, 1, 1), (1, 64, 8, 16, 32, 3, 1, 1),
        // Few pixels and channels in 64s: the small wide tile of AVX-512 (two packed blocks at once).
        (1, 100, 2, 2, 128, 3, 1, 1), (2, 64, 3, 3, 64, 3, 2, 1),
        // The row kernels of AVX-512 (ConvolutionRows): 3, 16 and 32 input channels, rows that end in a
        // partial tile, strides 1 and 2, 1 × 1 shortcuts (read in place when no tile is partial), padding
        // wider than the window's reach; beside them, shapes the row kernels leave to the general tiles.
        (1, 3, 32, 32, 16, 3, 1, 1), (2, 3, 9, 20, 32, 3, 1, 1), (1, 16, 18, 18, 16, 3, 1, 1),
        (2, 16, 16, 16, 32, 3, 2, 1), (1, 16, 33, 33, 16, 1, 2, 0), (2, 16, 16, 16, 32, 1, 2, 0),
        (2, 32, 16, 16, 64, 1, 2, 0), (1, 32, 9, 35, 32, 1, 2, 0), (1, 16, 10, 20, 48, 3, 1, 2),
        (1, 16, 9, 18, 16, 7, 1, 3), (1, 3, 5, 40, 16, 3, 2, 1), (2, 1, 9, 20, 32, 3, 1, 1), (1, 1, 7, 17, 48, 3, 1, 0),
        // 1 × 1 shortcuts read in place, an image's rows of a task in one band: tasks of 8 rows and a
        // last one of 3 or 4, several images.
        (2, 16, 38, 32, 32, 1, 2, 0), (3, 32, 40, 16, 64, 1, 2, 0),
        // The 3-channel first layer's column-wise window (AVX-512): a partial last tile, a shifted block.
        (1, 3, 7, 24, 24, 3, 1, 1),
        // Two output rows per tile (AVX-512, 16 → 16 channels over rows of 8s): an odd number of rows
        // (the last one alone), two images (no pair across them), rows on padding above and below.
        (2, 16, 7, 16, 16, 3, 1, 1), (1, 16, 4, 8, 16, 3, 1, 1),
        // Padding wider than the kernel: output rows whose every kernel row lies on padding, at the top and the bottom.
        (1, 16, 6, 24, 16, 3, 1, 4),
        // AVX-512's widest tile (6 pixels × 64 channels, over 192 pixels or more a call): a last partial tile,
        // groups of six images a position each and two images after them, several blocks of the summation order.
        (1, 24, 16, 16, 64, 3, 1, 1), (8, 20, 6, 6, 128, 3, 1, 1), (1, 80, 14, 14, 64, 3, 1, 1),
        // An ImageNet stem (7 × 7, stride 2, 3 channels): row tiles whose blocks are three kernel rows each.
        (1, 3, 23, 30, 64, 7, 2, 3), (1, 3, 9, 47, 16, 7, 2, 3),
        // Pointwise (1 × 1, stride 1, no padding): the tiles of a task take each block in turn, over one
        // block and over several groups of them, with tasks of four tiles, of fewer, and a partial tile.
        (2, 40, 6, 7, 64, 1, 1, 0), (3, 24, 5, 9, 32, 1, 1, 0), (1, 600, 3, 15, 48, 1, 1, 0),
        // A MiB of weights or more over few pixels (`ConvolutionTiled.streamsWeights`): the tiles of a
        // task take each block in turn and fetch the next ahead; whole taps per block, runs of 64
        // channels per tap, several samples, a single tile.
        (2, 512, 4, 4, 64, 3, 1, 1), (1, 600, 4, 4, 64, 3, 1, 1), (1, 520, 2, 2, 128, 3, 1, 1),
        // Channels past the last whole block (a block shifted back over the one before): 3 × 3, pointwise,
        // streamed weights, many blocks.
        (1, 16, 12, 12, 24, 3, 1, 1), (2, 40, 6, 7, 72, 1, 1, 0), (1, 600, 4, 4, 72, 3, 1, 1), (2, 32, 6, 6, 100, 3, 1, 1),
        // Blocks of 48 (AVX-512's wider tiles): whole, shifted back, pointwise, streamed weights; row tiles.
        (2, 32, 6, 6, 48, 3, 1, 1), (1, 24, 5, 7, 80, 3, 1, 1), (2, 20, 6, 6, 96, 1, 1, 0), (1, 600, 4, 4, 144, 3, 1, 1),
        (2, 16, 9, 13, 48, 3, 1, 1), (1, 3, 10, 12, 80, 3, 1, 1), (1, 1, 9, 16, 96, 3, 1, 1),
        // Groups of as many images as a tile has pixels, a tile per position (`ConvolutionTiled.positionTilesEnd`),
        // and the images past the last group: small maps, a shifted block, stride 2, streamed weights.
        (11, 32, 4, 4, 64, 3, 1, 1), (9, 16, 3, 3, 40, 3, 1, 1), (10, 24, 5, 5, 32, 3, 2, 1), (9, 512, 2, 2, 64, 3, 1, 1),
        (13, 8, 3, 5, 16, 3, 1, 2),
        // Fewer images than AVX-512's wide tile has pixels, as many as its small tile's (4 × 64): groups of 4.
        (5, 24, 5, 5, 64, 3, 1, 1), (6, 16, 4, 4, 128, 3, 2, 1),
    ]

    /// One sample's geometry of a convolution case.
    private static func geometry(_ c: (Int, Int, Int, Int, Int, Int, Int, Int)) -> WindowGeometry {
        let (_, cin, h, w, cout, k, s, p) = c
        return WindowGeometry(batch: 1, inputHeight: h, inputWidth: w, inputChannels: cin,
                              outputHeight: (h + 2 * p - k) / s + 1, outputWidth: (w + 2 * p - k) / s + 1,
                              outputChannels: cout, kernelHeight: k, kernelWidth: k, strideHeight: s, strideWidth: s,
                              paddingHeight: p, paddingWidth: p)
    }

    func testLayersWideEnoughToTileGetTiledKernelsInEveryVariant() throws {
        for set in variants {
            for channels in [1, 8, 16, 17, 32, 40, 48, 64, 100] {
                let g = WindowGeometry(batch: 1, inputHeight: 8, inputWidth: 8, inputChannels: 3, outputHeight: 8,
                                       outputWidth: 8, outputChannels: channels, kernelHeight: 3, kernelWidth: 3,
                                       strideHeight: 1, strideWidth: 1, paddingHeight: 1, paddingWidth: 1)
                let layout = WeightLayout.plain(inputChannels: 3, outputChannels: channels)
                let choice = try kernel(query(.convolution, g, samples: 1, layout: layout, .fastest), set)
                let name = "\(choice.name)"
                XCTAssertTrue(name.hasPrefix("conv2d.tiled") || name.hasPrefix("conv2d.rows"),
                              "\(set.name), \(channels) channels: \(name)")
            }
        }
    }

    func testRowKernelsLeaveRowsTheirTilesWouldOverrunByMoreThanAThirdToTheTiles() throws {
        // A row's last tile computes all its pixels: tiles of 6 compute 18 for a row of 16, 12 for a row of 8.
        XCTAssertTrue(ConvolutionRows.wastesLittle(rowWidth: 16, tilePixels: 6))
        XCTAssertTrue(ConvolutionRows.wastesLittle(rowWidth: 14, tilePixels: 6))
        XCTAssertTrue(ConvolutionRows.wastesLittle(rowWidth: 24, tilePixels: 16))
        XCTAssertTrue(ConvolutionRows.wastesLittle(rowWidth: 32, tilePixels: 8))
        XCTAssertFalse(ConvolutionRows.wastesLittle(rowWidth: 8, tilePixels: 6))
        XCTAssertFalse(ConvolutionRows.wastesLittle(rowWidth: 20, tilePixels: 16))
        XCTAssertFalse(ConvolutionRows.wastesLittle(rowWidth: 5, tilePixels: 6))
        // Through the registry: ResNet-20's 1 × 1 shortcuts of stride 2, rows of 16 and of 8 output pixels.
        func shortcut(inputSize: Int, inputChannels: Int, _ set: InstructionSet) throws -> String {
            let g = Self.geometry((1, inputChannels, inputSize, inputSize, 2 * inputChannels, 1, 2, 0))
            let layout = WeightLayout.plain(inputChannels: inputChannels, outputChannels: 2 * inputChannels)
            return "\(try kernel(query(.convolution, g, samples: 1, layout: layout, .fastest), set).name)"
        }
        if variants.contains(.avx2) {
            // Tiles of 4, which divide rows of 16 and of 8.
            XCTAssertEqual(try shortcut(inputSize: 32, inputChannels: 16, .avx2), "conv2d.rows4x16")
            XCTAssertEqual(try shortcut(inputSize: 16, inputChannels: 32, .avx2), "conv2d.rows4x16")
        }
        if variants.contains(.avx512) {
            XCTAssertEqual(try shortcut(inputSize: 32, inputChannels: 16, .avx512), "conv2d.rows8x32")
            XCTAssertEqual(try shortcut(inputSize: 16, inputChannels: 32, .avx512), "conv2d.rows8x32")
        }
    }

    func testRowsEndInSmallerTilesWhereTheyCoverTheRowExactly() {
        // AVX2's rows of 6 end in tiles of 4: 32 = 4 · 6 + 2 · 4, 28 = 4 · 6 + 4, 16 = 2 · 6 + 4,
        // 20 = 2 · 6 + 2 · 4, 8 = 2 · 4; rows that tiles of 6 cover alone keep them (18, 24).
        for (width, start) in [(32, 24), (28, 24), (16, 12), (20, 12), (8, 0), (18, 18), (24, 24), (4, 0)] {
            XCTAssertEqual(ConvolutionRows.tailStart(rowWidth: width, tilePixels: 6, tailPixels: 4), start, "row of \(width)")
        }
        // No exact cover (odd rows): tiles of 6 to the end, the last partial.
        for width in [15, 13, 7, 1] {
            XCTAssertEqual(ConvolutionRows.tailStart(rowWidth: width, tilePixels: 6, tailPixels: 4), width, "row of \(width)")
        }
        // AVX-512's tiles of 16 end in tiles of 12, its tiles of 8 in tiles of 4: 28 = 16 + 12,
        // 24 = 2 · 12, 28 = 3 · 8 + 4, 20 = 2 · 8 + 4.
        XCTAssertEqual(ConvolutionRows.tailStart(rowWidth: 28, tilePixels: 16, tailPixels: 12), 16)
        XCTAssertEqual(ConvolutionRows.tailStart(rowWidth: 24, tilePixels: 16, tailPixels: 12), 0)
        XCTAssertEqual(ConvolutionRows.tailStart(rowWidth: 28, tilePixels: 8, tailPixels: 4), 24)
        XCTAssertEqual(ConvolutionRows.tailStart(rowWidth: 20, tilePixels: 8, tailPixels: 4), 16)
        // A tail no smaller than the tile (AVX2's shortcuts): no tail.
        XCTAssertEqual(ConvolutionRows.tailStart(rowWidth: 17, tilePixels: 4, tailPixels: 4), 17)
    }

    func testLinearLayersOfEveryWidthGetVectorKernelsInEveryVariant() throws {
        // Outputs that are not a multiple of 16 included (the last run or block is shifted back), and
        // fewer than 16 (a classifier's: the matrix-vector kernel's padded lanes).
        for set in variants {
            for (samples, outputs) in [(1, 10), (1, 16), (1, 40), (2, 100), (32, 10), (32, 17), (32, 100), (3, 1)] {
                let g = Linear.geometry(batch: 1, inputCount: 64, outputCount: outputs)
                let choice = try kernel(query(.linear, g, samples: samples, layout: .plain(inputChannels: 64, outputChannels: outputs),
                                              .fastest), set)
                let name = "\(choice.name)"
                XCTAssertTrue(["linear.tiled", "linear.blocked", "linear.gather", "linear.rows", "linear.samples"].contains { name.hasPrefix($0) },
                              "\(set.name), \(samples) samples, \(outputs) outputs: \(name)")
            }
        }
    }

    func testNarrowClassifiersOverManySamplesComputeRowsTogether() throws {
        // 10 outputs over 1100 inputs: weights padded to 16 would pass `PaddedWeights.limit`. Run over all
        // 32 samples, and over 2 (an exit rule stopped the others): fewer rows than a task's.
        try checkRowsTogether(batch: 32, inputs: 1100, outputs: 10, zeros: 0.4, fewerSamples: 2, seed: 37) { set, name in
            XCTAssertTrue(name.hasPrefix("linear.samples"), "\(set.name): \(name)")
        }
    }

    func testFewRowsOfWideLinearLayersComputeRowsTogether() throws {
        // 4 rows of 80 outputs, fewer than a tile's pixels on AVX2 and AVX-512, spike-like (mostly zero,
        // some inputs zero in every row); and 1 row (an exit rule stopped the others).
        try checkRowsTogether(batch: 4, inputs: 1100, outputs: 80, zeros: 0.7, fewerSamples: 1, seed: 43) { set, name in
            if set >= .avx2 { XCTAssertEqual(name, "linear.gather4x256", "\(set.name)") }
        }
    }

    /// A linear layer of `batch` rows in every variant: `checkName` on its fastest kernel's name, and
    /// that kernel against the reference, bit for bit, over `batch` rows and over `fewerSamples`.
    private func checkRowsTogether(batch: Int, inputs: Int, outputs: Int, zeros: Float, fewerSamples: Int, seed: UInt64,
                                   checkName: (InstructionSet, String) -> Void) throws {
        var random = SeededRandom(seed: seed)
        let g = Linear.geometry(batch: 1, inputCount: inputs, outputCount: outputs)
        let layout = WeightLayout.plain(inputChannels: inputs, outputChannels: outputs)
        let input = (0..<batch * inputs).map { _ in random.unit() < zeros ? 0 : random.symmetric(1) }
        let weights = (0..<inputs * outputs).map { _ in random.symmetric(0.3) }
        let bias = (0..<outputs).map { _ in random.symmetric(0.1) }
        for set in variants {
            let fastest = query(.linear, g, samples: batch, layout: layout, .fastest)
            checkName(set, "\(try kernel(fastest, set).name)")
            for samples in [batch, fewerSamples] {
                let rows = Array(input.prefix(samples * inputs))
                let ours = try run(fastest, set, samples: samples, input: rows, weights: weights, bias: bias)
                let reference = try run(query(.linear, g, samples: batch, layout: layout, .reference), set, samples: samples,
                                        input: rows, weights: weights, bias: bias)
                assertSame(ours, reference, "\(set.name), \(samples) samples")
            }
        }
    }

    func testFewRowsOfAWideLayerReadTheWeightsOfTheirNonzeroInputsAloneInTheReferenceOrder() throws {
        // Rows (samples and steps) fewer than a tile's pixels of 64 outputs or more: `linear.gather…` marks
        // the inputs nonzero in any of a task's rows (1, 2 or 4 of them) and reads their rows of weights
        // alone, or, past 6/8 of the inputs marked, streams every row (`blocked`, `rowsTogether`). Each
        // row has exactly `nonzero` nonzero inputs at random places: marked shares on both sides of that
        // line and on it (825 of 1100 in one row), none and all; 3 and 5 rows leave a last task of fewer.
        // Outputs in several slices, a last partial slice and a last run shifted back; inputs in several
        // groups of blocks.
        var random = SeededRandom(seed: 53)
        for (inputs, outputs) in [(1100, 64), (700, 300), (130, 4096), (2049, 100)] {
            let g = Linear.geometry(batch: 1, inputCount: inputs, outputCount: outputs)
            for set in variants {
                let choice = try kernel(query(.linear, g, samples: 1, layout: .plain(inputChannels: inputs, outputChannels: outputs),
                                              .fastest), set)
                XCTAssertEqual("\(choice.name)", "linear.gather1x256", "\(set.name), \(inputs) -> \(outputs)")
            }
            let weights = (0..<inputs * outputs).map { _ in random.symmetric(0.3) }
            let bias = (0..<outputs).map { _ in random.symmetric(0.1) }
            for rows in 1...5 {
                for nonzero in [0, inputs / 10, inputs / 2, 3 * inputs / 4, 3 * inputs / 4 + 1, 9 * inputs / 10, inputs] {
                    var input: [Float] = []
                    for _ in 0..<rows {
                        var row = (0..<inputs).map { $0 < nonzero ? random.symmetric(1) : 0 }
                        for index in row.indices.reversed() { row.swapAt(index, Int(random.unit() * Float(index + 1)) % (index + 1)) }
                        input += row
                    }
                    try checkProducts(.linear, g, samples: rows, input: input, weights: weights, bias: bias, taps: 1,
                                      label: "linear \(rows) x \(inputs) -> \(outputs), \(nonzero) nonzero a row")
                }
            }
        }
    }

    func testFewChannelsOverWideInputsKeepTheReferenceKernel() throws {
        // 8 channels of 3 × 3 over 120 inputs: weights padded to 16 would take 17 280 floats of scratch.
        let g = WindowGeometry(batch: 1, inputHeight: 4, inputWidth: 4, inputChannels: 120, outputHeight: 4, outputWidth: 4,
                               outputChannels: 8, kernelHeight: 3, kernelWidth: 3, strideHeight: 1, strideWidth: 1,
                               paddingHeight: 1, paddingWidth: 1)
        for set in variants {
            let choice = try kernel(query(.convolution, g, samples: 1, layout: .plain(inputChannels: 120, outputChannels: 8), .fastest), set)
            XCTAssertEqual("\(choice.name)", "conv2d.reference", "\(set.name)")
        }
    }

    func testNarrowInputsTakeTheRowKernelsOnAVX2AndAVX512() throws {
        // (Cin, stride, Cout, kernel, the kernel expected on AVX-512): ResNet's first layer, first
        // stage, strided layer and shortcuts; 3 × 3 layers of 32 input channels stay with the general
        // tiles. AVX2 takes the same shapes in row tiles of 6 × 16 (the 1 × 1 shortcuts in 4 × 16); the
        // baseline has no row kernels.
        let cases: [(Int, Int, Int, Int, String)] = [(3, 1, 16, 3, "conv2d.rows16x16"), (16, 1, 16, 3, "conv2d.rows8x16x2"),
                                                     (1, 1, 16, 3, "conv2d.rows16x16"), (1, 1, 32, 3, "conv2d.rows8x32"),
                                                     // Channels past whole blocks: padded, shifted back.
                                                     (1, 1, 8, 3, "conv2d.rows16x16"), (16, 1, 24, 3, "conv2d.rows16x16"),
                                                     (16, 1, 48, 3, "conv2d.rows8x48"), (3, 1, 80, 3, "conv2d.rows8x48"),
                                                     (1, 1, 96, 3, "conv2d.rows8x48"), (16, 1, 64, 3, "conv2d.rows8x32"),
                                                     (16, 2, 32, 3, "conv2d.rows8x32"), (16, 2, 32, 1, "conv2d.rows8x32"),
                                                     (32, 2, 64, 1, "conv2d.rows8x32"), (32, 1, 32, 3, "conv2d.tiled8x32"),
                                                     // An ImageNet stem: 7 × 7, stride 2.
                                                     (3, 2, 64, 7, "conv2d.rows8x32"),
                                                     // Widths past 32 that are not multiples of it: the wide tiles too,
                                                     // the wider ones where blocks of 48 compute no more channels.
                                                     (32, 1, 40, 3, "conv2d.tiled8x32"), (64, 1, 100, 3, "conv2d.tiled8x32"),
                                                     (32, 1, 48, 3, "conv2d.tiled8x48"), (32, 1, 80, 3, "conv2d.tiled8x48"),
                                                     (32, 1, 96, 3, "conv2d.tiled8x48"), (32, 1, 144, 3, "conv2d.tiled8x48"),
                                                     (32, 1, 64, 3, "conv2d.tiled6x64"), (32, 1, 128, 3, "conv2d.tiled6x64")]
        for set in variants {
            for (cin, stride, cout, k, widest) in cases {
                let expected = switch set {
                case .avx512, .avx512vnni: widest
                case .avx2, .avx2vnni:
                    widest.hasPrefix("conv2d.rows") ? (k == 1 ? "conv2d.rows4x16" : "conv2d.rows6x16") : "conv2d.tiled6x16"
                default: "conv2d.tiled3x16"
                }
                let padding = k / 2, size = 32
                let g = WindowGeometry(batch: 1, inputHeight: size, inputWidth: size, inputChannels: cin,
                                       outputHeight: (size + 2 * padding - k) / stride + 1,
                                       outputWidth: (size + 2 * padding - k) / stride + 1, outputChannels: cout,
                                       kernelHeight: k, kernelWidth: k, strideHeight: stride, strideWidth: stride,
                                       paddingHeight: padding, paddingWidth: padding)
                let choice = try kernel(query(.convolution, g, samples: 1, layout: .plain(inputChannels: cin, outputChannels: cout),
                                              .fastest), set)
                XCTAssertEqual("\(choice.name)", expected, "\(set.name): \(cin) -> \(cout), \(k) x \(k), stride \(stride)")
            }
        }
        // The widest tile takes calls of 192 pixels or more (8 tasks of 4 tiles per block): ResNet-20's
        // 8 × 8 layers of 64 channels keep the 8 × 32 tile at batch 1, whose tasks two threads share evenly.
        for set in variants where set >= .avx512 {
            for (samples, expected) in [(1, "conv2d.tiled8x32"), (3, "conv2d.tiled6x64")] {
                let g = Self.geometry((samples, 64, 8, 8, 64, 3, 1, 1))
                let choice = try kernel(query(.convolution, g, samples: samples, layout: .plain(inputChannels: 64, outputChannels: 64),
                                              .fastest), set)
                XCTAssertEqual("\(choice.name)", expected, "\(set.name): 64 -> 64 over 8 x 8, \(samples) sample(s)")
            }
        }
    }

    func testConvolutionVariants() throws {
        var random = SeededRandom(seed: 21)
        for (index, c) in Self.convolutionCases.enumerated() {
            let (n, cin, h, w, cout, k, _, _) = c
            let g = Self.geometry(c)
            let input = (0..<n * h * w * cin).map { _ in random.unit() < 0.3 ? 0 : random.symmetric(1) }
            let weights = (0..<k * k * cin * cout).map { _ in random.symmetric(0.5) }
            let bias = (0..<cout).map { _ in random.symmetric(0.1) }
            try checkProducts(.convolution, g, samples: n, input: input, weights: weights, bias: bias, taps: k * k,
                              label: "convolution case \(index)")
        }
    }

    func testConvolutionsComputeBandsOfRowsAsTheWholeLayer() throws {
        // A band of output rows (`KernelArguments.convolutionBand`) is what the whole layer computes in those rows,
        // bit for bit, in every variant: the bands of lean sessions, each a few rows of every image.
        var random = SeededRandom(seed: 23)
        for (index, c) in Self.convolutionCases.enumerated() {
            let (n, cin, h, w, cout, k, _, _) = c
            let g = Self.geometry(c)
            let steps = index % 2 + 1
            let input = (0..<n * steps * h * w * cin).map { _ in random.unit() < 0.3 ? 0 : random.symmetric(1) }
            let weights = (0..<k * k * cin * cout).map { _ in random.symmetric(0.5) }
            let bias = (0..<cout).map { _ in random.symmetric(0.1) }
            let layout = WeightLayout.plain(inputChannels: cin, outputChannels: cout)
            let rowElements = g.outputWidth * cout
            // Bands of one row, of two, and the rest (as many as the layer has); or every row alone.
            let cuts = index % 3 == 0 ? Array(0...g.outputHeight) : [0, min(1, g.outputHeight), min(3, g.outputHeight), g.outputHeight]
            for set in variants {
                var query = self.query(.convolution, g, samples: n, layout: layout, .fastest)
                query.steps = steps
                let whole = try run(query, set, samples: n, steps: steps, input: input, inputSteps: steps, weights: weights, bias: bias)
                var banded = [Float](repeating: .nan, count: whole.count)
                for (first, end) in zip(cuts, cuts.dropFirst()) where first < end {
                    let band = try run(query, set, samples: n, steps: steps, input: input, inputSteps: steps, weights: weights,
                                       bias: bias, rows: first..<end)
                    for image in 0..<n * steps {
                        let rows = (end - first) * rowElements
                        banded.replaceSubrange((image * g.outputHeight + first) * rowElements..<(image * g.outputHeight + end) * rowElements,
                                               with: band[image * rows..<(image + 1) * rows])
                    }
                }
                assertSame(banded, whole, "convolution case \(index), \(set.name), \(try kernel(query, set).name)")
            }
        }
    }

    func testLinearVariants() throws {
        var random = SeededRandom(seed: 31)
        // Few samples take the matrix-vector kernel, six or more the tiled one (whose tiles share each
        // block of weights: tasks of four tiles, of fewer, partial tiles).
        for (batch, inputs, outputs) in [(1, 7, 10), (3, 64, 64), (2, 100, 96), (1, 33, 160), (4, 5, 16), (2, 512, 4096),
                                         (6, 40, 64), (9, 17, 48), (7, 64, 10), (13, 70, 48), (12, 1100, 64),
                                         (1, 1100, 80), (37, 300, 64), (20, 130, 32), (45, 576, 96),
                                         (1, 50, 40), (3, 200, 20), (12, 130, 100), (2, 70, 17),
                                         // Fewer outputs than a vector, fewer inputs than the padded last rows.
                                         (1, 3, 1), (2, 20, 15), (33, 100, 7), (1, 1, 3), (4, 130, 10),
                                         // ... over inputs too many to pad: rows together (`narrowSamples`),
                                         // a last, partial task shifted back; fewer rows than a task's.
                                         (32, 1100, 10), (11, 1500, 1), (7, 1030, 15), (10, 2049, 3),
                                         // Blocks of 48 (AVX-512's wider tile).
                                         (9, 100, 48), (16, 300, 96), (12, 70, 80),
                                         // Few rows of 64 outputs or more together (`rowsTogether`): 2 or 4,
                                         // a last task and a last run shifted back.
                                         (5, 300, 130), (4, 1100, 64), (7, 70, 200), (3, 129, 100)] {
            let g = Linear.geometry(batch: 1, inputCount: inputs, outputCount: outputs)
            let input = (0..<batch * inputs).map { _ in random.unit() < 0.4 ? 0 : random.symmetric(1) }
            let weights = (0..<inputs * outputs).map { _ in random.symmetric(0.3) }
            let bias = (0..<outputs).map { _ in random.symmetric(0.1) }
            try checkProducts(.linear, g, samples: batch, input: input, weights: weights, bias: bias, taps: 1,
                              label: "linear \(batch) x \(inputs) -> \(outputs)")
        }
    }

    /// A convolution or linear layer in every variant, layout and bias: fastest against reference,
    /// variant against variant.
    private func checkProducts(_ operation: KernelOperation, _ g: WindowGeometry, samples: Int, input: [Float],
                               weights: [Float], bias: [Float], taps: Int, label: String) throws {
        var layouts = [(WeightLayout.plain(inputChannels: g.inputChannels, outputChannels: g.outputChannels), weights)]
        if let lanes = WeightLayout.packingLanes(outputChannels: g.outputChannels) {
            var packed = [Float](repeating: .nan, count: weights.count)
            WeightLayout.pack(weights, into: &packed, taps: taps, inputChannels: g.inputChannels,
                              outputChannels: g.outputChannels, lanes: lanes)
            layouts.append((WeightLayout.packed(taps: taps, inputChannels: g.inputChannels, lanes: lanes), packed))
        }
        // The scale of each output's rounding error: |bias| + Σ|x·w|, by the baseline reference.
        let magnitudes = try run(query(operation, g, samples: samples, layout: layouts[0].0, .reference), .baseline,
                                 samples: samples, input: input.map(abs), weights: weights.map(abs), bias: bias.map(abs))
        for withBias in [true, false] {
            for (layout, layoutWeights) in layouts {
                let caseLabel = "\(label), bias \(withBias), packed \(layout.isPacked)"
                var fused: [Float]? = nil
                var unfused: [Float]? = nil
                for set in variants {
                    let fastest = try run(query(operation, g, samples: samples, layout: layout, .fastest), set, samples: samples,
                                          input: input, weights: layoutWeights, bias: withBias ? bias : nil)
                    let reference = try run(query(operation, g, samples: samples, layout: layout, .reference), set,
                                            samples: samples, input: input, weights: layoutWeights, bias: withBias ? bias : nil)
                    assertSame(fastest, reference, "\(caseLabel), \(set.name): fastest against reference")
                    if set.fusesMultiplyAdd {
                        if let fused { assertSame(fastest, fused, "\(caseLabel), \(set.name) against another fused variant") }
                        fused = fastest
                    } else {
                        unfused = fastest
                    }
                }
                guard let fused, let unfused else { continue }
                let terms = Double(taps * g.inputChannels + 1)
                let gamma = terms * 0x1p-24 / (1 - terms * 0x1p-24)
                let outside = fused.indices.filter {
                    Double(abs(fused[$0] - unfused[$0])) > 2 * gamma * Double(magnitudes[$0]) * 1.001
                }
                XCTAssertTrue(outside.isEmpty, "\(caseLabel): \(outside.count) outputs of the baseline leave the bound")
            }
        }
    }

    func testKernelsWithoutProductsAreEqualInEveryVariant() throws {
        var random = SeededRandom(seed: 41)
        let (n, c, h, w) = (3, 5, 7, 6)
        let input = (0..<n * h * w * c).map { _ in random.symmetric(2) }
        let second = (0..<n * h * w * c).map { _ in random.symmetric(2) }
        func map(kernel: Int, stride: Int, padding: Int, output: (height: Int, width: Int)? = nil) -> WindowGeometry {
            WindowGeometry(batch: 1, inputHeight: h, inputWidth: w, inputChannels: c,
                           outputHeight: output?.height ?? (h + 2 * padding - kernel) / stride + 1,
                           outputWidth: output?.width ?? (w + 2 * padding - kernel) / stride + 1,
                           outputChannels: c, kernelHeight: kernel, kernelWidth: kernel, strideHeight: stride,
                           strideWidth: stride, paddingHeight: padding, paddingWidth: padding)
        }
        let global = map(kernel: 1, stride: 1, padding: 0, output: (1, 1))
        let scale = (0..<c).map { _ in random.symmetric(1) }, shift = (0..<c).map { _ in random.symmetric(1) }
        let cases: [(KernelOperation, WindowGeometry, [Float]?, [Float]?, [Float]?)] = [
            (.averagePool, map(kernel: 3, stride: 2, padding: 1), nil, nil, nil),
            (.maxPool, map(kernel: 2, stride: 2, padding: 0), nil, nil, nil),
            (.globalAveragePool, global, nil, nil, nil),
            (.add, map(kernel: 1, stride: 1, padding: 0), second, nil, nil),
            (.affine, map(kernel: 1, stride: 1, padding: 0), nil, scale, shift),
        ]
        for (operation, g, secondInput, weights, bias) in cases {
            let outputs = try variants.map { set in
                try run(query(operation, g, samples: n, layout: .plain(inputChannels: c, outputChannels: c), .fastest), set,
                        samples: n, input: input, secondInput: secondInput, weights: weights, bias: bias)
            }
            for (set, output) in zip(variants, outputs) {
                XCTAssertFalse(output.contains { $0.isNaN }, "\(operation), \(set.name): every output written")
                assertSame(output, outputs[0], "\(operation): \(set.name) against the baseline")
            }
        }
    }

    /// Every neuron kind, with and without a sum to read, over three steps with its potentials in the
    /// arena or in scratch, and over one step from rest (in scratch: `NeuronUpdate.stepFromRest`).
    func testNeuronLayersAreEqualInEveryVariant() throws {
        var random = SeededRandom(seed: 51)
        let (n, c, h, w) = (2, 19, 9, 13)   // 2 × 2223 neurons: several tasks, a partial vector
        let addend = (0..<n * h * w * c).map { _ in random.symmetric(0.5) }   // one step, serving all
        let g = WindowGeometry(batch: 1, inputHeight: h, inputWidth: w, inputChannels: c, outputHeight: h, outputWidth: w,
                               outputChannels: c, kernelHeight: 1, kernelWidth: 1, strideHeight: 1, strideWidth: 1,
                               paddingHeight: 0, paddingWidth: 0)
        for kind in NeuronKind.allCases {
            for (readsSum, steps, inScratch) in [(false, 3, false), (true, 3, false), (true, 3, true), (false, 1, true), (true, 1, true)] {
                let input = (0..<steps * n * h * w * c).map { _ in random.symmetric(1.5) }
                let neuron = NeuronParameters(threshold: 1.25, levels: 4, members: kind.members(tau: 3))
                let potentialsInScratch = inScratch && kind.isSpiking
                var outputs: [[Float]] = []
                for set in variants {
                    var q = query(.neuronLayer(kind), g, samples: n, layout: .plain(inputChannels: c, outputChannels: c), .fastest)
                    q.steps = steps
                    q.potentialsInScratch = potentialsInScratch
                    outputs.append(try run(q, set, samples: n, steps: steps, input: input, inputSteps: steps,
                                           secondInput: readsSum ? addend : nil, neuron: neuron,
                                           membrane: kind.isSpiking && !potentialsInScratch))
                }
                let name = "\(kind.name), sum \(readsSum), \(steps) steps, potentials in scratch \(potentialsInScratch)"
                for (set, output) in zip(variants, outputs) {
                    XCTAssertFalse(output.contains { $0.isNaN }, "\(name), \(set.name): every output written")
                    assertSame(output, outputs[0], "\(name): \(set.name) against the baseline")
                }
                // Against the rule applied neuron by neuron and step by step (the layer loop: steps,
                // reset, the sum read from two tensors).
                let sum = (0..<input.count).map { readsSum ? input[$0] + addend[$0 % addend.count] : input[$0] }
                let expected: [Float]
                switch kind {
                case .ann: expected = applied(QCFS.self, sum, neurons: n * h * w * c, steps: steps, neuron)
                case .groupNeuron: expected = applied(GroupNeuron.self, sum, neurons: n * h * w * c, steps: steps, neuron)
                case .integrateAndFire: expected = applied(IntegrateAndFire.self, sum, neurons: n * h * w * c, steps: steps, neuron)
                }
                assertSame(outputs[0], expected, "\(name): the layer against its rule")
            }
        }
    }

    /// `Rule` over `steps` steps of `neurons` neurons, one neuron and one step at a time.
    private func applied<Rule: NeuronUpdate>(_ rule: Rule.Type, _ input: [Float], neurons: Int, steps: Int,
                                             _ neuron: NeuronParameters) -> [Float] {
        var output = [Float](repeating: .nan, count: input.count)
        for index in 0..<neurons {
            var potential: Float = .nan
            Rule.reset(&potential, count: 1, neuron)
            for step in 0..<steps {
                var x = input[step * neurons + index]
                var y: Float = .nan
                Rule.step(&x, adding: nil, membrane: &potential, into: &y, count: 1, neuron)
                output[step * neurons + index] = y
            }
        }
        return output
    }

    // MARK: - Harness

    private func query(_ operation: KernelOperation, _ g: WindowGeometry, samples: Int, layout: WeightLayout,
                       _ preference: KernelQuery.Preference) -> KernelQuery {
        KernelQuery(operation: operation, geometry: g, weightLayout: layout, steps: 1, batch: samples, preference: preference)
    }

    /// Runs variant `set`'s answer to `query` over `samples` samples as a session does: arguments for
    /// the call, the tasks split in two ranges, each on a worker with scratch of its own (filled with
    /// NaN, so that a kernel reading scratch it did not write shows).
    private func run(_ query: KernelQuery, _ set: InstructionSet, samples: Int, steps: Int = 1, input: [Float],
                     inputSteps: Int = 1, secondInput: [Float]? = nil, weights: [Float]? = nil, bias: [Float]? = nil,
                     neuron: NeuronParameters = NeuronParameters(threshold: 1, levels: 1, members: 1),
                     membrane hasMembrane: Bool = false, rows: Range<Int>? = nil) throws -> [Float] {
        let choice = try kernel(query, set)
        var g = query.geometry
        g.batch = samples * steps
        let outputCount = rows.map { g.batch * $0.count * g.outputWidth * g.outputChannels } ?? g.outputElements
        let scratchStride = (choice.scratchFloats + 15) / 16 * 16
        var output = [Float](repeating: .nan, count: outputCount)
        var scratch = [Float](repeating: .nan, count: max(1, 2 * scratchStride))
        var membrane = [Float](repeating: .nan, count: hasMembrane ? samples * g.outputPixelsPerSample * g.outputChannels : 0)
        input.withUnsafeBufferPointer { input in
            (secondInput ?? []).withUnsafeBufferPointer { second in
                (weights ?? []).withUnsafeBufferPointer { weights in
                    (bias ?? []).withUnsafeBufferPointer { bias in
                        output.withUnsafeMutableBufferPointer { output in
                            scratch.withUnsafeMutableBufferPointer { scratch in
                                membrane.withUnsafeMutableBufferPointer { membrane in
                                    var arguments = KernelArguments(
                                        samples: samples, steps: steps, geometry: g, input: input.baseAddress!,
                                        inputSteps: inputSteps, secondInput: secondInput == nil ? nil : second.baseAddress,
                                        secondInputSteps: 1, output: output.baseAddress!,
                                        weights: weights.isEmpty ? nil : weights.baseAddress,
                                        bias: bias.isEmpty ? nil : bias.baseAddress,
                                        weightLayout: query.weightLayout, membrane: hasMembrane ? membrane.baseAddress : nil,
                                        neuron: neuron, resetsMembranes: true, scratch: scratch.baseAddress!,
                                        scratchStride: scratchStride, split: choice.split,
                                        largestInputInteger: query.largestInputInteger)
                                    arguments.potentialsInScratch = query.potentialsInScratch
                                    if let rows { arguments = arguments.convolutionBand(rows: rows, output: output.baseAddress!) }
                                    let tasks = arguments.split.tasks(samples: samples)
                                    XCTAssertGreaterThan(tasks, 0)
                                    withUnsafePointer(to: &arguments) { job in
                                        choice.function(UnsafeRawPointer(job), 1, 0, tasks / 3)
                                        choice.function(UnsafeRawPointer(job), 0, tasks / 3, tasks)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return output
    }
}
