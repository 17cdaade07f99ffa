import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder

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
            Convolution.reference(geometry, input: channelsLast(x, t.n, t.c, t.h, t.w), weights: weightsHWIO,
                                  bias: bias, output: &output)
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
            Linear.reference(batch: n, inputCount: inputs, outputCount: outputs, input: x, weights: weights,
                             bias: bias, output: &output)
            XCTAssertEqual(output, expected)
            Linear.reference(batch: n, inputCount: inputs, outputCount: outputs, input: x, weights: weights,
                             bias: nil, output: &output)
            XCTAssertEqual(output, zip(expected, (0..<n * outputs).map { bias[$0 % outputs] }).map { $0 - $1 })
        }
    }

    func testPoolingMatchesDirectLoops() {
        let cases: [Case] = [
            Case(n: 2, c: 3, h: 4, w: 4, co: 3, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0),
            Case(n: 1, c: 2, h: 5, w: 6, co: 2, kh: 2, kw: 4, sh: 1, sw: 2, ph: 1, pw: 2),   // padding counted
            Case(n: 1, c: 5, h: 7, w: 7, co: 5, kh: 4, kw: 4, sh: 2, sw: 2, ph: 2, pw: 2),
        ]
        for (index, t) in cases.enumerated() {
            let oh = (t.h + 2 * t.ph - t.kh) / t.sh + 1
            let ow = (t.w + 2 * t.pw - t.kw) / t.sw + 1
            let x = dyadic(t.n * t.c * t.h * t.w)
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
        let n = 2, c = 3, pixels = 16
        let x = dyadic(n * pixels * c)
        var output = [Float](repeating: .nan, count: n * c)
        Pooling.globalAverage(batch: n, pixels: pixels, channels: c, input: x, output: &output)
        for s in 0..<n { for ch in 0..<c {
            let sum = (0..<pixels).reduce(Float(0)) { $0 + x[(s * pixels + $1) * c + ch] }
            XCTAssertEqual(output[s * c + ch], sum / 16)
        } }
        let y = dyadic(x.count)
        var sum = [Float](repeating: .nan, count: x.count)
        Elementwise.add(x, y, into: &sum, count: x.count)
        XCTAssertEqual(sum, zip(x, y).map { $0 + $1 })
        let scale = dyadic(c), shift = dyadic(c)
        var affine = [Float](repeating: .nan, count: x.count)
        Elementwise.affine(x, scale: scale, shift: shift, into: &affine, pixels: n * pixels, channels: c)
        XCTAssertEqual(affine, x.indices.map { x[$0] * scale[$0 % c] + shift[$0 % c] })
    }

    func testLayoutRoundTrip() {
        let n = 2, c = 3, pixels = 5
        let x = dyadic(n * c * pixels)
        var last = [Float](repeating: .nan, count: x.count)
        Layout.channelsLast(x, into: &last, batch: n, channels: c, pixels: pixels)
        XCTAssertEqual(last, channelsLast(x, n, c, 1, pixels))
        var back = [Float](repeating: .nan, count: x.count)
        Layout.channelsFirst(last, into: &back, batch: n, channels: c, pixels: pixels, dividedBy: 2)
        XCTAssertEqual(back, x.map { $0 / 2 })
    }
}

/// The register-blocked convolution against the reference kernel, bit for bit, on random
/// (non-dyadic) values: both sum `bias + Σ (kh, kw, cin)` in the same order with separate
/// multiplications and additions.
final class TiledConvolutionTests: XCTestCase {
    func testTiledEqualsReferenceOnEdgeSizes() {
        var random = SeededRandom(seed: 21)
        // (batch, Cin, H, W, Cout, kernel, stride, padding)
        let cases: [(Int, Int, Int, Int, Int, Int, Int, Int)] = [
            (1, 1, 28, 28, 16, 3, 1, 1), (2, 3, 9, 13, 32, 3, 1, 1), (1, 5, 8, 8, 48, 3, 2, 1),
            (1, 4, 7, 20, 17, 1, 1, 0), (1, 16, 6, 6, 64, 3, 1, 0), (1, 2, 5, 30, 33, 5, 3, 2),
            (1, 3, 4, 4, 16, 7, 1, 3), (2, 8, 12, 12, 96, 1, 2, 0), (1, 1, 1, 12, 16, 1, 1, 0),
            (3, 32, 2, 2, 64, 3, 1, 1), (1, 7, 3, 5, 40, 3, 1, 4), (2, 3, 11, 11, 16, 3, 2, 0),
        ]
        for (index, c) in cases.enumerated() {
            let (n, cin, h, w, cout, k, s, p) = c
            let oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1
            let input = (0..<n * h * w * cin).map { _ in random.unit() < 0.3 ? 0 : random.symmetric(1) }
            let weights = (0..<k * k * cin * cout).map { _ in random.symmetric(0.5) }
            let bias = (0..<cout).map { _ in random.symmetric(0.1) }
            let g = WindowGeometry(batch: n, inputHeight: h, inputWidth: w, inputChannels: cin, outputHeight: oh,
                                   outputWidth: ow, outputChannels: cout, kernelHeight: k, kernelWidth: k,
                                   strideHeight: s, strideWidth: s, paddingHeight: p, paddingWidth: p)
            var expected = [Float](repeating: .nan, count: n * oh * ow * cout)
            Convolution.reference(g, input: input, weights: weights, bias: bias, output: &expected)
            for wide in [false, true] where !wide || cout >= 32 {
                for withBias in [true, false] {
                    var reference = expected
                    if !withBias { Convolution.reference(g, input: input, weights: weights, bias: nil, output: &reference) }
                    // The file's layout, and the packed one where the channels come in whole blocks.
                    let lanes = wide ? 32 : 16
                    var layouts = [(WeightLayout.plain(inputChannels: cin, outputChannels: cout), weights)]
                    if cout % lanes == 0 {
                        var packed = [Float](repeating: .nan, count: weights.count)
                        WeightLayout.pack(weights, into: &packed, taps: k * k, inputChannels: cin, outputChannels: cout, lanes: lanes)
                        layouts.append((WeightLayout.packed(taps: k * k, inputChannels: cin, lanes: lanes), packed))
                    }
                    for (layout, layoutWeights) in layouts {
                        var output = [Float](repeating: .nan, count: expected.count)
                        var scratch = [Float](repeating: .nan, count: ConvolutionTiled.scratchFloats(g))
                        // In two task ranges, as two threads would run them.
                        let tasks = ConvolutionTiled.taskCount(g, wide: wide)
                        for range in [0..<(tasks / 3), (tasks / 3)..<tasks] {
                            ConvolutionTiled.run(g, wide: wide, tasks: range, input: input, weights: layoutWeights, layout: layout,
                                                 bias: withBias ? bias : nil, output: &output, scratch: &scratch)
                        }
                        // Equal as floats: bit for bit but for the sign of zero.
                        assertSame(output, reference, "case \(index), wide \(wide), bias \(withBias), packed \(layout.blockStride > 0)")
                    }
                }
            }
        }
    }
}

/// The matrix-vector kernel of linear layers against the reference, in the file's layout and packed.
final class LinearKernelTests: XCTestCase {
    func testBlockedEqualsReference() {
        var random = SeededRandom(seed: 31)
        for (batch, inputs, outputs) in [(1, 7, 10), (3, 64, 64), (2, 100, 96), (1, 33, 160), (4, 5, 16), (2, 512, 4096)] {
            let input = (0..<batch * inputs).map { _ in random.unit() < 0.4 ? 0 : random.symmetric(1) }
            let weights = (0..<inputs * outputs).map { _ in random.symmetric(0.3) }
            let bias = (0..<outputs).map { _ in random.symmetric(0.1) }
            var expected = [Float](repeating: .nan, count: batch * outputs)
            Linear.reference(batch: batch, inputCount: inputs, outputCount: outputs, input: input, weights: weights,
                             bias: bias, output: &expected)
            var layouts = [(WeightLayout.plain(inputChannels: inputs, outputChannels: outputs), weights)]
            if let lanes = WeightLayout.packingLanes(outputChannels: outputs) {
                var packed = [Float](repeating: .nan, count: weights.count)
                WeightLayout.pack(weights, into: &packed, taps: 1, inputChannels: inputs, outputChannels: outputs, lanes: lanes)
                layouts.append((WeightLayout.packed(taps: 1, inputChannels: inputs, lanes: lanes), packed))
            }
            for (layout, layoutWeights) in layouts {
                var output = [Float](repeating: .nan, count: expected.count)
                let tasks = Linear.taskCount(batch: batch, outputCount: outputs)
                Linear.blocked(batch: batch, inputCount: inputs, outputCount: outputs, tasks: 0..<tasks, input: input,
                               weights: layoutWeights, layout: layout, bias: bias, output: &output)
                assertSame(output, expected, "batch \(batch), \(inputs) → \(outputs), packed \(layout.blockStride > 0)")
            }
        }
    }
}
