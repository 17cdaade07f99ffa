// Timing a case: its median run, and with per-layer times each layer's, beside the peak.
import GNModelBuilder
import GNRuntimeCore
import GNRuntimeC
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// What timing a case measured (`measure`).
struct Measurement {
    var seconds: Double
    /// With per-layer times: each layer's time in runs with an observer (every layer on its own, over
    /// the whole batch), from the observer's timestamps.
    var observed: ProfiledRuns
    /// With per-layer times: each layer's time in runs as they run unobserved (layer by layer at T > 1
    /// in passes of samples; else with neuron layers computed in their convolutions' tasks), timed by
    /// the session
    /// (`gn_session_time_layers`).
    var asRun: ProfiledRuns
    /// With per-layer times: the run's start (its input checked and laid out channels-last), which
    /// layer 0's observed time leaves out.
    var startSeconds: Double?
    /// With per-layer times: the median, over pairs of runs alternated with and without a no-op
    /// observer, of the run's time without it over its time with it. An observer makes every layer run
    /// on its own, so this is what the convolutions that compute their neuron layers save (`LayerPlan.fusedNeuron`).
    var fusedOverUnfused: Double?
    /// With per-layer times: the share of each layer's output values that are zero, over one run (a
    /// neuron layer's silent neurons, whose weights the next linear layer skips).
    var zeroShares: [Double]
    /// The widest instruction set the session's kernels used, and each layer's kernel ("name (isa)").
    var instructionSet: gn_isa
    var kernels: [String]
}

/// Profiled runs: each run's layer times, and the FP32 peak measured right before that run, so that a
/// layer's share of the peak pairs the two: this shared machine's speed drifts by up to half within
/// minutes, and a peak measured once, at the start, made layers look slow or fast with it.
struct ProfiledRuns {
    var layerSeconds: [[Double]] = []
    var peaks: [Double] = []
    /// How many threads computed at once in each run's layer times: 1 where one thread timed each layer
    /// while any others shared its tasks; where threads took passes of samples at once, each timing
    /// its own, as many as took them (their times add up: a layer's time is thread time).
    var concurrency: [Double] = []

    /// Each layer's median time over the runs.
    var medianLayerSeconds: [Double] {
        guard let first = layerSeconds.first else { return [] }
        return first.indices.map { index in median(layerSeconds.map { $0[index] }) }
    }

    /// The share of the FP32 peak that `flops` operations in the time of layers `layers` take, run by
    /// run against the peak measured right before that run, and the median over the runs (0 without
    /// runs).
    func shareOfPeak(flops: Double, layers: [Int]) -> Double {
        let shares = layerSeconds.indices.map { run in
            flops * concurrency[run] / layers.reduce(0) { $0 + layerSeconds[run][$1] } / 1e9 / peaks[run]
        }
        return shares.isEmpty ? 0 : median(shares)
    }

    /// The median and the range of the peaks measured before the profiled runs.
    var peakSummary: String {
        String(format: "%.1f GFLOP/s (%.1f–%.1f, measured right before each profiled run)",
               median(peaks), peaks.min() ?? 0, peaks.max() ?? 0)
    }
}

/// Median seconds of a run, and with `perLayer` the time of every layer (from an observer's
/// timestamps), run by run, with the FP32 peak of the same threads and instructions measured right
/// before each run. With `pauseMicroseconds`, each run follows a pause that long, as the frames of a
/// stream do (a session's workers may then sleep between runs).
func measure(_ network: Network, _ benchmarkCase: Case, repetitions: Int, perLayer: Bool,
             pauseMicroseconds: UInt32 = 0) -> Measurement {
    let model = loadModel(network.bytes)
    defer { gn_model_free(model) }
    var options = benchmarkCase.options
    var session: OpaquePointer?
    check(gn_session_create(model, &options, &session), benchmarkCase.label)
    defer { gn_session_free(session) }
    var instructionSet = GN_ISA_AUTO
    check(gn_session_isa(session, &instructionSet), "isa")
    var layerCount = 0
    gn_model_layer_count(model, &layerCount)
    let kernels = (0..<layerCount).map { index -> String in
        var name: UnsafePointer<CChar>?
        var kernelSet = GN_ISA_AUTO
        check(gn_session_layer_kernel(session, index, &name, &kernelSet), "kernel")
        return String(cString: name!) + (kernelSet == GN_ISA_AUTO ? "" : " (" + String(cString: gn_isa_name(kernelSet)) + ")")
    }
    var shape = gn_shape(), outputShape = gn_shape()
    gn_model_input_shape(model, &shape)
    gn_model_output_shape(model, &outputShape)
    let samples = Int(benchmarkCase.batch)
    var random = SeededRandom(seed: 3)
    let input = (0..<samples * Int(shape.channels * shape.height * shape.width)).map { _ in random.unit() }
    var output = [Float](repeating: 0, count: samples * Int(outputShape.channels * outputShape.height * outputShape.width))
    var times: [Double] = []
    for repetition in 0...repetitions {
        if pauseMicroseconds > 0 { usleep(pauseMicroseconds) }
        let start = now()
        check(gn_session_run(session, input, input.count, samples, &output, output.count), "run")
        if repetition > 0 { times.append(now() - start) }
    }
    var observed = ProfiledRuns(), asRun = ProfiledRuns()
    /// With per-layer times: the run's start (its input checked and laid out channels-last), which
    /// layer 0's observed time leaves out.
    var startSeconds: Double? = nil
    var fusedOverUnfused: Double? = nil
    var zeroShares: [Double] = []
    if perLayer {
        // The observer is called right after each layer (layer by layer: once per step, one after
        // another), on the running thread: the gap before a layer's first call is its time. It sees the
        // input first, once laid out channels-last, so that layer 0's gap holds layer 0 alone. (Layer 0
        // was once timed less a start measured in a model of one flatten: in a session of its own, warm,
        // that start was shorter than within ResNet-20 at batch 32, which added about 12% to its first
        // layer's time; docs/benchmarks.md.)
        final class Stamps { var calls: [(layer: Int, time: Double)] = [] }
        let stamps = Stamps()
        stamps.calls.reserveCapacity(4096)
        let stamp: gn_layer_observer = { context, layer, _, _, _ in
            Unmanaged<Stamps>.fromOpaque(context!).takeUnretainedValue().calls.append((layer, now()))
        }
        check(gn_session_observe_input(session, 1), "observe input")
        var count = 0
        gn_model_layer_count(model, &count)
        var starts: [Double] = []
        for _ in 0..<max(5, repetitions / 2) {
            // A short peak (about 10 ms on one core), the best of two; then a run unobserved, so that the
            // observed run starts as a run after a run does, not right after the peak loop.
            observed.peaks.append(measurePeak(threads: Int(benchmarkCase.threads), isa: instructionSet, iterations: 6_000_000, attempts: 2))
            check(gn_session_set_observer(session, nil, nil), "observer")
            check(gn_session_run(session, input, input.count, samples, &output, output.count), "run")
            check(gn_session_set_observer(session, stamp, Unmanaged.passUnretained(stamps).toOpaque()), "observer")
            stamps.calls.removeAll(keepingCapacity: true)
            var previous = now()
            check(gn_session_run(session, input, input.count, samples, &output, output.count), "run")
            var layers = [Double](repeating: 0, count: count)
            for call in stamps.calls {
                // The input's call (GN_OBSERVED_INPUT, SIZE_MAX: -1 as Swift reads a size_t).
                if call.layer == LayerObserver.inputLayer {
                    starts.append(call.time - previous)
                } else {
                    layers[call.layer] += call.time - previous
                }
                previous = call.time
            }
            observed.layerSeconds.append(layers)
            observed.concurrency.append(1)
        }
        check(gn_session_observe_input(session, 0), "observe input")
        check(gn_session_set_observer(session, nil, nil), "observer")
        startSeconds = median(starts)
        // The same, as the session runs unobserved, timed by the session itself.
        check(gn_session_time_layers(session, 1), "time layers")
        for _ in 0..<max(5, repetitions / 2) {
            asRun.peaks.append(measurePeak(threads: Int(benchmarkCase.threads), isa: instructionSet, iterations: 6_000_000, attempts: 2))
            check(gn_session_run(session, input, input.count, samples, &output, output.count), "run")
            let start = now()
            check(gn_session_run(session, input, input.count, samples, &output, output.count), "run")
            let runSeconds = now() - start
            let layers = (0..<count).map { index -> Double in
                var nanoseconds: UInt64 = 0
                check(gn_session_layer_time(session, index, &nanoseconds), "layer time")
                return Double(nanoseconds) / 1e9
            }
            asRun.layerSeconds.append(layers)
            // Thread time over the run's time, to the nearest whole thread (one thread's layers take
            // a little less than its run).
            asRun.concurrency.append(min(Double(benchmarkCase.threads), max(1, (layers.reduce(0, +) / runSeconds).rounded())))
        }
        check(gn_session_time_layers(session, 0), "time layers")
        // Runs with and without a no-op observer, alternated (each pair in turn in either order).
        var ratios: [Double] = []
        for pair in 0..<max(10, repetitions) {
            var pairTimes = [0.0, 0.0]
            for observed in pair % 2 == 0 ? [false, true] : [true, false] {
                check(gn_session_set_observer(session, observed ? { _, _, _, _, _ in } : nil, nil), "observer")
                let start = now()
                check(gn_session_run(session, input, input.count, samples, &output, output.count), "run")
                pairTimes[observed ? 1 : 0] = now() - start
            }
            ratios.append(pairTimes[0] / pairTimes[1])
        }
        fusedOverUnfused = median(ratios)
        // One more run, untimed, counting the zeros each layer writes.
        final class Zeros { var zeros: [Int]; var values: [Int]; init(_ count: Int) { zeros = .init(repeating: 0, count: count); values = zeros } }
        let counts = Zeros(count)
        check(gn_session_set_observer(session, { context, layer, _, output, count in
            let counts = Unmanaged<Zeros>.fromOpaque(context!).takeUnretainedValue()
            counts.zeros[layer] += UnsafeBufferPointer(start: output, count: count).reduce(0) { $1 == 0 ? $0 + 1 : $0 }
            counts.values[layer] += count
        }, Unmanaged.passUnretained(counts).toOpaque()), "observer")
        check(gn_session_run(session, input, input.count, samples, &output, output.count), "run")
        check(gn_session_set_observer(session, nil, nil), "observer")
        zeroShares = zip(counts.zeros, counts.values).map { Double($0) / Double(max($1, 1)) }
    }
    return Measurement(seconds: median(times), observed: observed, asRun: asRun,
                       startSeconds: startSeconds, fusedOverUnfused: fusedOverUnfused,
                       zeroShares: zeroShares, instructionSet: instructionSet, kernels: kernels)
}

/// Each kernel a case's layers ran, with how many layers ran it, in order of first use.
func kernelSummary(_ kernels: [String]) -> String {
    var order: [String] = []
    var counts: [String: Int] = [:]
    for kernel in kernels where kernel != "none" {
        if counts[kernel] == nil { order.append(kernel) }
        counts[kernel, default: 0] += 1
    }
    return order.map { "\($0) ×\(counts[$0]!)" }.joined(separator: ", ")
}
