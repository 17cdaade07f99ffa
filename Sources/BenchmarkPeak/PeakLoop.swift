// The FP32 peak of one core, for the benchmark's "fraction of peak": compiled once per instruction
// set, like the kernels (Package.swift), so that each variant's peak is measured with its own
// instructions.

/// Twelve independent multiply-add chains of one vector register each.
///
/// The vector is the variant's register: 16 floats with AVX-512 (32 registers), 8 with AVX2 and 4 on
/// the baseline (16 registers each). Twelve chains then stay in registers beside the two constants on
/// every variant, and keep both multiply-add units busy through their latency. (Twelve chains of 16
/// floats need 24 registers of AVX2 and 48 of SSE: spilled to memory at every step, they measured half
/// the AVX2 peak.)
public enum PeakLoop {
    #if GN_AVX512
    typealias Vector = SIMD16<Float>
    #elseif GN_FMA
    typealias Vector = SIMD8<Float>
    #else
    typealias Vector = SIMD4<Float>
    #endif

    /// Floating-point operations of one iteration of `run`: a multiply and an add per lane of each chain.
    public static let flopsPerIteration = 12.0 * Double(Vector.scalarCount) * 2.0

    /// Runs `iterations` iterations; returns a value that depends on every chain (so that none is
    /// optimised away). With FMA (`GN_FMA`) each multiply-add is one instruction; without, two.
    @inline(never)
    public static func run(iterations: Int, seed: Float) -> Float {
        typealias V = Vector
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
