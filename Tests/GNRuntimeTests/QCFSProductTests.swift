import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore
import GNModelBuilder
@testable import GNKernelsBaseline
@testable import GNKernelsAVX2
@testable import GNKernelsAVX512

/// QCFS's vector loop divides for the level, as the definition does, and multiplies by 1/L for the
/// output where it can prove the product equals the definition's division (`QCFS.apply`). These tests
/// give it the values where any shortcut for the level would be wrong first — every input within a
/// hundred floats of a rounding boundary — and compare each output, bit for bit, with the definition
/// written out here (a level guessed from (x·L)·(1/λ) fails them).
final class QCFSProductTests: XCTestCase {
    /// QCFS as docs/semantics.md defines it: `clamp(floor((x·L)/λ + 0.5), 0, L)`, then `(q·λ)/L`
    /// (NaN to 0).
    private func definition(_ x: Float, levels: Int, threshold: Float) -> Float {
        let levelCount = Float(levels)
        let scaled = ((x * levelCount) / threshold + 0.5).rounded(.down)
        let q = scaled >= levelCount ? levelCount : (scaled > 0 ? scaled : 0)
        return (q * threshold) / levelCount
    }

    /// The inputs around the boundaries of level `n` (where `(x·L)/λ + 0.5` reaches n), for n from −1
    /// to L + 1 (a sample of them for large L): the float nearest each, and the 100 on either side.
    private func boundaryInputs(levels: Int, threshold: Float) -> [Float] {
        let levelsToProbe = levels <= 64 ? Array(-1...(levels + 1)) : [-1, 0, 1, 2, levels / 2, levels - 1, levels, levels + 1]
        var inputs: [Float] = []
        for level in levelsToProbe {
            let center = (Float(level) - 0.5) * threshold / Float(levels)
            var below = center, above = center
            inputs.append(center)
            for _ in 0..<100 {
                below = below.nextDown
                above = above.nextUp
                inputs += [below, above]
            }
        }
        return inputs
    }

    /// Each kernel build's `QCFS.apply` that this CPU runs.
    private var builds: [(String, (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int, Float) -> Void)] {
        var builds: [(String, (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int, Float) -> Void)] = [
            ("baseline", { GNKernelsBaseline.QCFS.apply($0, into: $1, count: $2, levels: $3, threshold: $4) }),
        ]
        if KernelRegistry.isAvailable(.avx2) {
            builds.append(("avx2", { GNKernelsAVX2.QCFS.apply($0, into: $1, count: $2, levels: $3, threshold: $4) }))
        }
        if KernelRegistry.isAvailable(.avx512) {
            builds.append(("avx512", { GNKernelsAVX512.QCFS.apply($0, into: $1, count: $2, levels: $3, threshold: $4) }))
        }
        return builds
    }

    func testTheVectorLoopEqualsTheDefinitionAtEveryRoundingBoundary() {
        var random = SeededRandom(seed: 21)
        let specials: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                                 .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude]
        // Powers of two (1/L exact) and not; thresholds that are not powers of two, tiny and huge.
        let layers: [(Int, Float)] = [(1, 1), (2, 0.7), (3, 1.5), (4, 1), (5, 1.3), (7, 0.3), (8, 2.5), (10, 1 / 3),
                                      (16, 6), (255, 3.7), (65_535, 9.1), (8, 1e-30), (8, 1e30), (6, 0x1p-127)]
        for (levels, threshold) in layers {
            let values = boundaryInputs(levels: levels, threshold: threshold) + specials
                + (0..<200).map { _ in random.symmetric(2 * threshold) }
            // Each value fills a vector of its own; the call covers more vectors than levels, so that
            // outputs may go by the product.
            var inputs = values.flatMap { [Float](repeating: $0, count: 16) }
            while inputs.count / 16 <= levels && levels <= 4096 { inputs += inputs }
            let expected = inputs.map { definition($0, levels: levels, threshold: threshold).bitPattern }
            for (name, apply) in builds {
                var outputs = [Float](repeating: -1, count: inputs.count)
                apply(inputs, &outputs, inputs.count, levels, threshold)
                let mismatches = zip(outputs, expected).enumerated().filter { $0.element.0.bitPattern != $0.element.1 }
                XCTAssertTrue(mismatches.isEmpty, "\(name), L = \(levels), λ = \(threshold): \(mismatches.count) outputs differ, "
                              + "the first at input \(mismatches.first.map { inputs[$0.offset] } ?? 0)")
            }
        }
    }
}
