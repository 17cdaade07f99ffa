// The machine the benchmark runs on: a monotonic clock, the FP32 peak of its cores with the
// instructions the sessions run, and its CPU's name.
import GNRuntimeC
import BenchmarkPeakBaseline
#if canImport(BenchmarkPeakAVX2)
import BenchmarkPeakAVX2
#endif
#if canImport(BenchmarkPeakAVX512)
import BenchmarkPeakAVX512
#endif
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Seconds on the monotonic clock.
func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

/// The median of `values` (the upper one of an even count).
func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

/// The peak loop compiled for instruction set `isa` (the one the sessions run, as they report it): its
/// `run` and the floating-point operations of one of its iterations, which differ by vector width.
func peakLoop(_ isa: gn_isa) -> (run: (_ iterations: Int, _ seed: Float) -> Float, flopsPerIteration: Double) {
    switch isa {
    #if canImport(BenchmarkPeakAVX512)
    // The VNNI sets' FP32 kernels are the AVX-512 and AVX2 code: the same peak.
    case GN_ISA_AVX512, GN_ISA_AVX512_VNNI:
        return (BenchmarkPeakAVX512.PeakLoop.run, BenchmarkPeakAVX512.PeakLoop.flopsPerIteration)
    #endif
    #if canImport(BenchmarkPeakAVX2)
    case GN_ISA_AVX2, GN_ISA_AVX2_VNNI:
        return (BenchmarkPeakAVX2.PeakLoop.run, BenchmarkPeakAVX2.PeakLoop.flopsPerIteration)
    #endif
    default:
        return (BenchmarkPeakBaseline.PeakLoop.run, BenchmarkPeakBaseline.PeakLoop.flopsPerIteration)
    }
}

/// FP32 peak in GFLOP/s of `threads` cores running the peak loop of `isa` at once (the best of
/// `attempts` runs of `iterations` iterations each).
func measurePeak(threads: Int, isa: gn_isa, iterations: Int = 20_000_000, attempts: Int = 3) -> Double {
    let loop = peakLoop(isa)
    var best = 0.0
    for _ in 0..<attempts {
        let start = now()
        var handles: [pthread_t] = []
        for _ in 1..<threads {
            // The instruction set and the iterations travel in the thread argument: a C thread function
            // captures nothing.
            let argument = UnsafeMutablePointer<(isa: gn_isa, iterations: Int)>.allocate(capacity: 1)
            argument.initialize(to: (isa, iterations))
            var thread = pthread_t()
            pthread_create(&thread, nil, { argument in
                let job = argument!.assumingMemoryBound(to: (isa: gn_isa, iterations: Int).self)
                _ = peakLoop(job.pointee.isa).run(job.pointee.iterations, 2)
                job.deallocate()
                return nil
            }, argument)
            handles.append(thread)
        }
        _ = loop.run(iterations, 1)
        for thread in handles { pthread_join(thread, nil) }
        let seconds = now() - start
        best = max(best, Double(threads) * Double(iterations) * loop.flopsPerIteration / seconds / 1e9)
    }
    return best
}

/// The CPU's model name (from /proc/cpuinfo) and its logical CPUs.
func cpuDescription() -> String {
    let model = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
        .split(separator: "\n").first { $0.hasPrefix("model name") }
        .flatMap { $0.split(separator: ":", maxSplits: 1).last }
        .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
    return "\(model), \(ProcessInfo.processInfo.activeProcessorCount) logical CPUs"
}
