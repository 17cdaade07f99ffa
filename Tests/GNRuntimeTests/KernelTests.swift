import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder
@testable import GNKernelsBaseline
import GNKernelInterface

/// The kernels against plain NCHW loops written here, on edge sizes. Values are dyadic, so every sum
/// is exact in any order and results must agree bit for bit.
final class KernelTests: XCTestCase {
    private var random = SeededRandom(seed: 11)

    private func dyadic(_ count: Int) -> [Float] {
        (0..<count).map { _ in (random.symmetric(1) * 64).rounded() / 64 }
    }

    /// NCHW `[n][c][h][w]` → channels-last `[n][h][w][c]`.
    private func channelsLast(_ x: [Float], _ n: Int, _ c: Int, _ h: Int, _ w: Int) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        for s in 0..<n { for ch in 0..<c { for i in 0..<h { for j in 0..<w {
            out[((s * h + i) * w + j) * c + ch] = x[((s * c + ch) * h + i) * w + j]
        } } } }
        return out
    }

    private struct Case {
        var n, c, h, w, co, kh, kw, sh, sw, ph, pw: Int
    }

    private static let convCases: [Case] = [
        Case(n: 1, c: 1, h: 1, w: 1, co: 1, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0),
        Case(n: 2, c: 3, h: 5, w: 7, co: 4, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1),
        Case(n: 1, c: 2, h: 6, w: 6, co: 5, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1),
        Case(n: 1, c: 4, h: 7, w: 5, co: 3, kh: 1, kw: 1, sh: 2, sw: 3, ph: 0, pw: 0),
        Case(n: 3, c: 2, h: 4, w: 9, co: 17, kh: 2, kw: 5, sh: 1, sw: 2, ph: 0, pw: 2),
        Case(n: 1, c: 3, h: 2, w: 2, co: 2, kh: 5, kw: 5, sh: 1, sw: 1, ph: 2, pw: 2),   // kernel larger than input
        Case(n: 1, c: 1, h: 3, w: 3, co: 1, kh: 3, kw: 3, sh: 1, sw: 1, ph: 4, pw: 4),   // outputs made of padding
        Case(n: 2, c: 33, h: 3, w: 4, co: 65, kh: 3, kw: 3, sh: 3, sw: 1, ph: 1, pw: 0),
    ]

    func testConvolutionMatchesDirectLoops() {
        for (index, t) in Self.convCases.enumerated() {
            let oh = (t.h + 2 * t.ph - t.kh) / t.sh + 1
            let ow = (t.w + 2 * t.pw - t.kw) / t.sw + 1
            let x = dyadic(t.n * t.c * t.h * t.w)
            let weightsOIHW = dyadic(t.co * t.c * t.kh * t.kw)
            let bias = dyadic(t.co)
            // Direct NCHW / OIHW loops, in (ci, kh, kw) order.
            var expected = [Float](repeating: 0, count: t.n * t.co * oh * ow)
            for s in 0..<t.n { for o in 0..<t.co { for i in 0..<oh { for j in 0..<ow {
                var sum = bias[o]
                for ci in 0..<t.c { for a in 0..<t.kh { for b in 0..<t.kw {
                    let y = i * t.sh - t.ph + a, z = j * t.sw - t.pw + b
                    if y >= 0 && y < t.h && z >= 0 && z < t.w {
                        sum += x[((s * t.c + ci) * t.h + y) * t.w + z] * weightsOIHW[((o * t.c + ci) * t.kh + a) * t.kw + b]
                    }
                } } }
                expected[((s * t.co + o) * oh + i) * ow + j] = sum
            } } } }
            // The kernel: channels-last input, [kh][kw][Cin][Cout] weights.
            var weightsHWIO = [Float](repeating: 0, count: weightsOIHW.count)
            for o in 0..<t.co { for ci in 0..<t.c { for a in 0..<t.kh { for b in 0..<t.kw {
                weightsHWIO[((a * t.kw + b) * t.c + ci) * t.co + o] = weightsOIHW[((o * t.c + ci) * t.kh + a) * t.kw + b]
            } } } }
            let geometry = WindowGeometry(batch: t.n, inputHeight: t.h, inputWidth: t.w, inputChannels: t.c,
                                          outputHeight: oh, outputWidth: ow, outputChannels: t.co,
                                          kernelHeight: t.kh, kernelWidth: t.kw, strideHeight: t.sh, strideWidth: t.sw,
                                          paddingHeight: t.ph, paddingWidth: t.pw)
            var output = [Float](repeating: .nan, count: expected.count)
            var scratch = [Float](repeating: 0, count: Convolution.scratchFloats(channels: t.co))
            Convolution.reference(geometry, input: channelsLast(x, t.n, t.c, t.h, t.w), weights: weightsHWIO,
                                  bias: bias, output: &output, scratch: &scratch)
            XCTAssertEqual(output, channelsLast(expected, t.n, t.co, oh, ow), "case \(index)")
        }
    }

    func testLinearMatchesDirectLoops() {
        for (n, inputs, outputs) in [(1, 1, 1), (3, 7, 5), (2, 64, 33)] {
            let x = dyadic(n * inputs), weights = dyadic(inputs * outputs), bias = dyadic(outputs)
            var expected = [Float](repeating: 0, count: n * outputs)
            for s in 0..<n { for o in 0..<outputs {
                expected[s * outputs + o] = bias[o] + (0..<inputs).reduce(0) { $0 + x[s * inputs + $1] * weights[$1 * outputs + o] }
            } }
            var output = [Float](repeating: .nan, count: expected.count)
            var scratch = [Float](repeating: 0, count: Convolution.scratchFloats(channels: outputs))
            Linear.reference(batch: n, inputCount: inputs, outputCount: outputs, input: x, weights: weights,
                             bias: bias, output: &output, scratch: &scratch)
            XCTAssertEqual(output, expected)
            Linear.reference(batch: n, inputCount: inputs, outputCount: outputs, input: x, weights: weights,
                             bias: nil, output: &output, scratch: &scratch)
            XCTAssertEqual(output, zip(expected, (0..<n * outputs).map { bias[$0 % outputs] }).map { $0 - $1 })
        }
    }

    func testPoolingMatchesDirectLoops() {
        let cases: [Case] = [
            Case(n: 2, c: 3, h: 4, w: 4, co: 3, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0),
            Case(n: 1, c: 2, h: 5, w: 6, co: 2, kh: 2, kw: 4, sh: 1, sw: 2, ph: 1, pw: 2),   // padding counted
            Case(n: 1, c: 5, h: 7, w: 7, co: 5, kh: 4, kw: 4, sh: 2, sw: 2, ph: 2, pw: 2),
            Case(n: 2, c: 11, h: 6, w: 5, co: 11, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1),  // divisor 9
            Case(n: 1, c: 21, h: 4, w: 6, co: 21, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0),   // 16 + 4 + 1 channels
        ]
        for (index, t) in cases.enumerated() {
            let oh = (t.h + 2 * t.ph - t.kh) / t.sh + 1
            let ow = (t.w + 2 * t.pw - t.kw) / t.sw + 1
            // Values whose sums round: the kernel must add in the definition's order (from +0, row-major
            // taps) and divide as it does.
            let x = (0..<t.n * t.c * t.h * t.w).map { _ in random.symmetric(1) }
            var average = [Float](repeating: 0, count: t.n * t.c * oh * ow)
            var maximum = average
            for s in 0..<t.n { for c in 0..<t.c { for i in 0..<oh { for j in 0..<ow {
                var sum: Float = 0
                var best = -Float.infinity
                for a in 0..<t.kh { for b in 0..<t.kw {
                    let y = i * t.sh - t.ph + a, z = j * t.sw - t.pw + b
                    if y >= 0 && y < t.h && z >= 0 && z < t.w {
                        let value = x[((s * t.c + c) * t.h + y) * t.w + z]
                        sum += value
                        best = max(best, value)
                    }
                } }
                average[((s * t.c + c) * oh + i) * ow + j] = sum / Float(t.kh * t.kw)
                maximum[((s * t.c + c) * oh + i) * ow + j] = best
            } } } }
            let geometry = WindowGeometry(batch: t.n, inputHeight: t.h, inputWidth: t.w, inputChannels: t.c,
                                          outputHeight: oh, outputWidth: ow, outputChannels: t.c,
                                          kernelHeight: t.kh, kernelWidth: t.kw, strideHeight: t.sh, strideWidth: t.sw,
                                          paddingHeight: t.ph, paddingWidth: t.pw)
            var output = [Float](repeating: .nan, count: average.count)
            Pooling.average(geometry, input: channelsLast(x, t.n, t.c, t.h, t.w), output: &output)
            XCTAssertEqual(output, channelsLast(average, t.n, t.c, oh, ow), "average, case \(index)")
            Pooling.maximum(geometry, input: channelsLast(x, t.n, t.c, t.h, t.w), output: &output)
            XCTAssertEqual(output, channelsLast(maximum, t.n, t.c, oh, ow), "maximum, case \(index)")
        }
    }

    func testGlobalAveragePoolAndElementwise() {
        // Each channel's sum from +0 in pixel order, then divided: 3 channels over 16 pixels, and 37
        // (two vectors of 16, a run of 4 and one alone) over 49 (a divisor that is not a power of two).
        for (n, c, pixels) in [(2, 3, 16), (3, 37, 49)] {
            let values = dyadic(n * pixels * c)
            var output = [Float](repeating: .nan, count: n * c)
            Pooling.globalAverage(batch: n, pixels: pixels, channels: c, input: values, output: &output)
            for s in 0..<n { for ch in 0..<c {
                let sum = (0..<pixels).reduce(Float(0)) { $0 + values[(s * pixels + $1) * c + ch] }
                XCTAssertEqual(output[s * c + ch], sum / Float(pixels), "\(c) channels, \(pixels) pixels, sample \(s), channel \(ch)")
            } }
        }
        let n = 2, c = 3, pixels = 16
        let x = dyadic(n * pixels * c)
        let y = dyadic(x.count)
        // Into a new array and in place (an add layer's output is one of its inputs), of several lengths.
        for count in [1, 15, 16, 37, x.count] {
            let expected = zip(x[..<count], y[..<count]).map { $0 + $1 }
            var sum = [Float](repeating: .nan, count: count)
            Elementwise.add(x, y, into: &sum, count: count)
            XCTAssertEqual(sum, expected, "\(count) elements")
            var intoFirst = Array(x[..<count])
            intoFirst.withUnsafeMutableBufferPointer { Elementwise.add($0.baseAddress!, y, into: $0.baseAddress!, count: count) }
            XCTAssertEqual(intoFirst, expected, "\(count) elements into the first")
            var intoSecond = Array(y[..<count])
            intoSecond.withUnsafeMutableBufferPointer { Elementwise.add(x, $0.baseAddress!, into: $0.baseAddress!, count: count) }
            XCTAssertEqual(intoSecond, expected, "\(count) elements into the second")
        }
        let scale = dyadic(c), shift = dyadic(c)
        var affine = [Float](repeating: .nan, count: x.count)
        Elementwise.affine(x, scale: scale, shift: shift, into: &affine, pixels: n * pixels, channels: c)
        XCTAssertEqual(affine, x.indices.map { x[$0] * scale[$0 % c] + shift[$0 % c] })
        var affineInPlace = x
        affineInPlace.withUnsafeMutableBufferPointer {
            Elementwise.affine($0.baseAddress!, scale: scale, shift: shift, into: $0.baseAddress!, pixels: n * pixels, channels: c)
        }
        XCTAssertEqual(affineInPlace, affine, "in place")
    }

    func testTaskSplitsCoverEveryBlockOfEveryItemOnceInTheirOrder() {
        // 3 blocks of 2 samples × 10 items in tasks of 4: 5 tasks per block, the last of each partial.
        for interleaves in [false, true] {
            let split = TaskSplit(blocks: 3, itemsPerSample: 10, itemsPerTask: 4, interleavesBlocks: interleaves)
            XCTAssertEqual(split.tasks(samples: 2), 15)
            var covered = [[Int]](repeating: [Int](repeating: 0, count: 20), count: 3)
            var order: [Int] = []
            for task in 0..<split.tasks(samples: 2) {
                let (block, items) = split.work(task: task, samples: 2)
                for item in items { covered[block][item] += 1 }
                order.append(block)
            }
            XCTAssertEqual(covered, [[Int]](repeating: [Int](repeating: 1, count: 20), count: 3), "interleaves: \(interleaves)")
            // Block-major: a block's tasks follow one another; item-major: consecutive tasks take the
            // blocks of the same items in turn.
            XCTAssertEqual(order, interleaves ? (0..<15).map { $0 % 3 } : (0..<15).map { $0 / 5 }, "interleaves: \(interleaves)")
        }
    }

    func testLayoutRoundTrip() {
        // Fewer pixels than one run of the conversion, several runs with a partial last one, and many
        // channels.
        for (n, c, pixels) in [(2, 3, 5), (2, 3, 150), (1, 17, 70)] {
            let x = dyadic(n * c * pixels)
            var last = [Float](repeating: .nan, count: x.count)
            TensorLayout.channelsLast(x, into: &last, batch: n, channels: c, pixels: pixels)
            XCTAssertEqual(last, channelsLast(x, n, c, 1, pixels), "\(n) x \(c) x \(pixels)")
            var back = [Float](repeating: .nan, count: x.count)
            TensorLayout.channelsFirst(last, into: &back, batch: n, channels: c, pixels: pixels, dividedBy: 2)
            XCTAssertEqual(back, x.map { $0 / 2 }, "\(n) x \(c) x \(pixels)")
        }
    }
}
