// The FP32 peak of one core, for the benchmark's "fraction of peak": compiled once per instruction
// set, like the kernels (Package.swift), so that each variant's peak is measured with its own
// instructions.

/// Twelve independent multiply-add chains of 16 floats.
public enum PeakLoop {
    /// Floating-point operations of one iteration of `run`.
    public static let flopsPerIteration = 12.0 * 16.0 * 2.0

    /// Runs `iterations` iterations; returns a value that depends on every chain (so that none is
    /// optimised away). With FMA (`GN_FMA`) each multiply-add is one instruction; without, two.
    @inline(never)
    public static func run(iterations: Int, seed: Float) -> Float {
        typealias V = SIMD16<Float>
        var a0 = V(repeating: seed), a1 = a0 + 1, a2 = a0 + 2, a3 = a0 + 3, a4 = a0 + 4, a5 = a0 + 5
        var a6 = a0 + 6, a7 = a0 + 7, a8 = a0 + 8, a9 = a0 + 9, a10 = a0 + 10, a11 = a0 + 11
        let m = V(repeating: 0.999_999), c = V(repeating: 1e-7)
        @inline(__always) func step(_ a: V) -> V {
            #if GN_FMA
            c.addingProduct(a, m)
            #else
            c + a * m
            #endif
        }
        for _ in 0..<iterations {
            a0 = step(a0); a1 = step(a1); a2 = step(a2); a3 = step(a3); a4 = step(a4); a5 = step(a5)
            a6 = step(a6); a7 = step(a7); a8 = step(a8); a9 = step(a9); a10 = step(a10); a11 = step(a11)
        }
        let sum = (a0 + a1 + a2 + a3) + (a4 + a5 + a6 + a7) + (a8 + a9 + a10 + a11)
        return sum.sum()
    }
}
