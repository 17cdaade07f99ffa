// Benchmarks GNRuntime through its C API on the paper's networks with random weights (L = 8) and,
// with --peers, the PyTorch pipeline of the paper's conversion and ONNX Runtime on the QCFS ANN in
// the same run (benchmarks/peers.py), and prints ratios. See docs/benchmarks.md.
//
//     gnruntime-bench [--quick] [--peers] [--python PATH] [--reps N]
//     gnruntime-bench --case NETWORK,NEURON,TAU,T,BATCH,THREADS [--reps N]    one case's median time
//                     (NETWORK: vgg16, resnet20, or vgg16-int8, resnet20-int8 for int8 weights, or
//                     resnet18-224)
//     gnruntime-bench --profile NETWORK,NEURON,TAU,T,BATCH,THREADS             per-layer times and kernels
//     gnruntime-bench --int8 [--peers] [--reps N]     int8 weights against FP32 and ONNX Runtime int8
//
// The kernels are the widest instruction set the CPU runs; GNRUNTIME_ISA=baseline|avx2|avx512 narrows it.
import GNModelBuilder
import GNRuntimeCore
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

// MARK: - Timing and peak

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

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

// MARK: - Models

struct Network {
    var name: String
    var bytes: [UInt8]
    /// Multiply-adds of one sample's forward pass (conv2d and linear layers).
    var macs: Int
    /// The multiply-adds of the layers that depend on the input only (run once for T > 1).
    var staticMacs: Int
    /// Conv2d multiply-adds of one sample.
    var convMacs: Int
    /// Whether each tensor (the input, then each layer's output) depends on the input only: no neuron
    /// layer before it, so that a session computes it once per run, not once per step.
    var isStatic: [Bool]
}

func check(_ status: gn_status, _ what: String) {
    if status != GN_STATUS_OK {
        print("\(what): \(String(cString: gn_last_error()))")
        exit(1)
    }
}

/// Loads model bytes through the C API (exits on failure); the caller frees the model.
func loadModel(_ bytes: [UInt8]) -> OpaquePointer? {
    var model: OpaquePointer?
    check(bytes.withUnsafeBytes { gn_model_load_bytes($0.baseAddress, $0.count, 0, &model) }, "load")
    return model
}

/// Multiply-adds of one sample through a conv2d or linear layer, counted densely (every window tap,
/// padding included), as FLOP rates conventionally are; 0 for other layers.
func denseMultiplyAdds(_ info: gn_layer_info, input: gn_shape) -> Int {
    let out = info.output
    if info.kind == GN_LAYER_CONV2D {
        return Int(out.channels * out.height * out.width * info.kernel_height * info.kernel_width * input.channels)
    }
    return info.kind == GN_LAYER_LINEAR ? Int(input.channels * out.channels) : 0
}

func network(_ architecture: ReferenceNetworks.Architecture, size: Int, int8: Bool = false) -> Network {
    var configuration = ReferenceNetworks.Configuration(architecture: architecture, inputSize: size,
                                                        classes: size >= 224 ? 1000 : 10, int8: int8)
    configuration.levels = 8
    let bytes: [UInt8]
    do { bytes = try ReferenceNetworks.build(configuration).serialize() } catch { print(error.message); exit(1) }
    let model = loadModel(bytes)
    defer { gn_model_free(model) }
    var count = 0
    gn_model_layer_count(model, &count)
    var inputShape = gn_shape()
    gn_model_input_shape(model, &inputShape)
    var shapes: [gn_shape] = [inputShape]
    var macs = 0, staticMacs = 0, convMacs = 0
    var isStatic: [Bool] = [true]
    for index in 0..<count {
        var info = gn_layer_info()
        gn_model_layer(model, index, &info)
        let input = shapes[Int(info.input_a)]
        let out = info.output
        let layerMacs = denseMultiplyAdds(info, input: input)
        if info.kind == GN_LAYER_CONV2D { convMacs += layerMacs }
        let layerIsStatic = info.kind != GN_LAYER_QCFS && isStatic[Int(info.input_a)]
            && (info.input_b < 0 || isStatic[Int(info.input_b)])
        macs += layerMacs
        if layerIsStatic { staticMacs += layerMacs }
        shapes.append(out)
        isStatic.append(layerIsStatic)
    }
    return Network(name: (size >= 224 ? "\(architecture.rawValue)-224" : architecture.rawValue) + (int8 ? "-int8" : ""), bytes: bytes, macs: macs,
                   staticMacs: staticMacs, convMacs: convMacs, isStatic: isStatic)
}

// MARK: - Runs

struct Case {
    var network: String
    var neuron: gn_neuron_kind
    var tau: UInt32
    var steps: UInt32
    var batch: UInt32
    var threads: UInt32

    var label: String {
        let kind = neuron == GN_NEURON_ANN ? "ann" : neuron == GN_NEURON_GROUP ? "gn tau=\(tau) T=\(steps)" : "if T=\(steps)"
        return "\(network) \(kind) batch=\(batch) threads=\(threads)"
    }

    /// The session options of this case.
    var options: gn_session_options {
        var options = gn_session_options_default()
        options.neuron = neuron
        options.tau = tau
        options.time_steps = steps
        options.batch = batch
        options.threads = threads
        return options
    }

    /// The key the peer script reports the same configuration under.
    var peerKey: String {
        let kind = neuron == GN_NEURON_ANN ? "ann" : "gn_tau\(tau)_T\(steps)"
        return "\(network)_\(kind)_b\(batch)_t\(threads)"
    }

    /// The ANN of the same network, batch and threads: what ONNX Runtime runs. GN with τ = L at T = 1
    /// computes exactly the ANN, so it is compared with ONNX Runtime on the ANN.
    var annKey: String { "\(network)_ann_b\(batch)_t\(threads)" }

    /// The keys to ask the peer script for: this configuration's, and the ANN's when ONNX Runtime's
    /// time on it is a peer too.
    var peerKeys: [String] { comparesWithONNXRuntime && annKey != peerKey ? [peerKey, annKey] : [peerKey] }

    /// Whether ONNX Runtime's time on the ANN is the peer of this case.
    var comparesWithONNXRuntime: Bool {
        neuron == GN_NEURON_ANN || (neuron == GN_NEURON_GROUP && tau == 8 && steps == 1)
    }
}

struct Measurement {
    var seconds: Double
    /// With per-layer times: each layer's median time, and the run's start (its input checked and laid
    /// out channels-last), which layer 0's time leaves out.
    var layerSeconds: [Double]
    /// With per-layer times: each profiled run's layer times, and the FP32 peak measured right before
    /// that run (`runPeak`), so that a layer's share of the peak pairs the two: this shared machine's
    /// speed drifts by up to half within minutes, and a peak measured once, at the start, made layers
    /// look slow or fast with it.
    var layerSecondsPerRun: [[Double]]
    var runPeaks: [Double]
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

extension Measurement {
    /// The share of the FP32 peak that `flops` operations in the time of layers `layers` take, run by
    /// run against the peak measured right before that run, and the median over the runs (0 without
    /// per-layer times).
    func shareOfPeak(flops: Double, layers: [Int]) -> Double {
        let shares = zip(layerSecondsPerRun, runPeaks).map { run, peak in
            flops / layers.reduce(0) { $0 + run[$1] } / 1e9 / peak
        }
        return shares.isEmpty ? 0 : median(shares)
    }

    /// The median and the range of the peaks measured before the profiled runs.
    var peakSummary: String {
        String(format: "%.1f GFLOP/s (%.1f–%.1f, measured right before each profiled run)",
               median(runPeaks), runPeaks.min() ?? 0, runPeaks.max() ?? 0)
    }
}

/// Median seconds of a run, and with `perLayer` the time of every layer (from an observer's
/// timestamps), run by run, with the FP32 peak of the same threads and instructions measured right
/// before each run.
func measure(_ network: Network, _ benchmarkCase: Case, repetitions: Int, perLayer: Bool) -> Measurement {
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
        let start = now()
        check(gn_session_run(session, input, input.count, samples, &output, output.count), "run")
        if repetition > 0 { times.append(now() - start) }
    }
    var layerSeconds: [Double] = []
    var perRun: [[Double]] = []
    var runPeaks: [Double] = []
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
            runPeaks.append(measurePeak(threads: Int(benchmarkCase.threads), isa: instructionSet, iterations: 6_000_000, attempts: 2))
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
            perRun.append(layers)
        }
        check(gn_session_observe_input(session, 0), "observe input")
        layerSeconds = (0..<count).map { index in median(perRun.map { $0[index] }) }
        startSeconds = median(starts)
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
    return Measurement(seconds: median(times), layerSeconds: layerSeconds, layerSecondsPerRun: perRun, runPeaks: runPeaks,
                       startSeconds: startSeconds, fusedOverUnfused: fusedOverUnfused,
                       zeroShares: zeroShares, instructionSet: instructionSet, kernels: kernels)
}

// MARK: - Memory

/// The least memory a spiking session of `network` at batch 1 must hold, for its schedule: the input,
/// the output sum, the membrane potentials (step by step: one per neuron layer; layer by layer: none,
/// as each task keeps its neurons' potentials through all steps in scratch), and the largest set of
/// activations alive at one layer (an element-wise layer's output may take its dying input's place;
/// layer by layer a time-dependent activation holds all `steps` steps).
func analyticMinimum(_ network: Network, steps: Int, layerByLayer: Bool) -> Int {
    let model = loadModel(network.bytes)
    defer { gn_model_free(model) }
    var count = 0
    gn_model_layer_count(model, &count)
    var inputShape = gn_shape(), outputShape = gn_shape()
    gn_model_input_shape(model, &inputShape)
    gn_model_output_shape(model, &outputShape)
    func bytes(_ shape: gn_shape) -> Int { Int(shape.channels * shape.height * shape.width) * 4 }
    var infos: [gn_layer_info] = []
    for index in 0..<count {
        var info = gn_layer_info()
        gn_model_layer(model, index, &info)
        infos.append(info)
    }
    var lastUse = [Int](repeating: -1, count: count + 1)
    for (index, info) in infos.enumerated() {
        lastUse[Int(info.input_a)] = index
        if info.input_b >= 0 { lastUse[Int(info.input_b)] = index }
    }
    func activationBytes(_ tensor: Int) -> Int {
        bytes(infos[tensor - 1].output) * (layerByLayer && !network.isStatic[tensor] ? steps : 1)
    }
    var membranes = 0
    var peak = 0
    for (index, info) in infos.enumerated() {
        if info.kind == GN_LAYER_QCFS && !layerByLayer { membranes += bytes(info.output) }
        var live = 0
        for tensor in stride(from: 1, through: index, by: 1) where lastUse[tensor] >= index {
            live += activationBytes(tensor)
        }
        let inPlace = info.kind == GN_LAYER_QCFS || info.kind == GN_LAYER_ADD || info.kind == GN_LAYER_AFFINE
            || info.kind == GN_LAYER_FLATTEN
        let inputDies = info.input_a > 0 && lastUse[Int(info.input_a)] == index
            && activationBytes(Int(info.input_a)) == activationBytes(index + 1)
        if !(inPlace && inputDies) { live += activationBytes(index + 1) }
        peak = max(peak, live)
    }
    return bytes(inputShape) + membranes + bytes(outputShape) + peak
}

func arenaBytes(_ network: Network, _ benchmarkCase: Case, schedule: gn_schedule) -> Int {
    let model = loadModel(network.bytes)
    defer { gn_model_free(model) }
    var options = benchmarkCase.options
    options.threads = 1
    options.schedule = schedule
    var bytes = 0
    check(gn_session_arena_size(model, &options, &bytes), "arena size")
    return bytes
}

// MARK: - Peers

func runPeers(python: String, keys: [String], repetitions: Int) -> [String: Double] {
    let script = "benchmarks/peers.py"
    let keys = keys.joined(separator: ",")
    let command = "\(python) \(script) --cases \(keys) --reps \(repetitions) 2>/dev/null"
    guard let pipe = popen(command, "r") else { print("peers: cannot start \(python)"); return [:] }
    var text = ""
    var buffer = [CChar](repeating: 0, count: 4096)
    while fgets(&buffer, Int32(buffer.count), pipe) != nil { text += buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } }
    let status = pclose(pipe)
    if status != 0 { print("peers: \(script) failed (\(status))") }
    // Lines "key milliseconds".
    var result: [String: Double] = [:]
    for line in text.split(separator: "\n") {
        let fields = line.split(separator: " ")
        if fields.count == 2, let value = Double(fields[1]) { result[String(fields[0])] = value / 1000 }
    }
    return result
}

// MARK: - int8

/// The networks with int8 weights (all layers but the first) against the same networks in FP32 and,
/// with peers, against ONNX Runtime on their ANN quantised to int8; each pair measured back to back.
func runInt8Benchmarks(python: String?, repetitions: Int) {
    print("CPU: \(cpuDescription())")
    print("kernels: up to \(String(cString: gn_isa_name(gn_cpu_isa()))) (GNRUNTIME_ISA narrows it)")
    print("\ncase                                                   median ms    FP32 ms   int8 vs FP32   ort int8 ms   int8 vs ort int8")
    for architecture in [ReferenceNetworks.Architecture.resnet20, .vgg16] {
        let float = network(architecture, size: 32), integer = network(architecture, size: 32, int8: true)
        var cases: [Case] = []
        for threads: UInt32 in [1, 2] {
            cases.append(Case(network: integer.name, neuron: GN_NEURON_GROUP, tau: 8, steps: 1, batch: 1, threads: threads))
        }
        cases.append(Case(network: integer.name, neuron: GN_NEURON_GROUP, tau: 4, steps: 4, batch: 1, threads: 1))
        cases.append(Case(network: integer.name, neuron: GN_NEURON_GROUP, tau: 4, steps: 4, batch: 32, threads: 2))
        for benchmarkCase in cases {
            let reps = benchmarkCase.batch > 1 ? max(3, repetitions / 2) : repetitions
            let integerTime = measure(integer, benchmarkCase, repetitions: reps, perLayer: false)
            var floatCase = benchmarkCase
            floatCase.network = float.name
            let floatTime = measure(float, floatCase, repetitions: reps, perLayer: false)
            var line = benchmarkCase.label.padding(toLength: 54, withPad: " ", startingAt: 0)
                + String(format: "%10.3f %10.3f %11.2fx", integerTime.seconds * 1000, floatTime.seconds * 1000,
                         floatTime.seconds / integerTime.seconds)
            // GN with tau = L (8) at T = 1 computes the int8 ANN: ONNX Runtime's int8 ANN is its peer.
            if let python, benchmarkCase.tau == 8, benchmarkCase.steps == 1 {
                let key = "\(architecture.rawValue)_annq_b\(benchmarkCase.batch)_t\(benchmarkCase.threads)"
                if let ort = runPeers(python: python, keys: [key], repetitions: repetitions)["ortq_" + key] {
                    line += String(format: " %13.3f %14.2fx", ort * 1000, ort / integerTime.seconds)
                }
            }
            print(line)
        }
        let probe = Case(network: integer.name, neuron: GN_NEURON_GROUP, tau: 4, steps: 4, batch: 32, threads: 1)
        print("kernels, \(integer.name) gn batch=32: \(kernelSummary(measure(integer, probe, repetitions: 1, perLayer: false).kernels))")
    }
    print("(int8 vs FP32, vs ort int8: the other's time over GNRuntime int8's, measured right after it; > 1: int8 is faster)")
}

// MARK: - Main

/// The CPU's model name (from /proc/cpuinfo) and its logical CPUs.
func cpuDescription() -> String {
    let model = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
        .split(separator: "\n").first { $0.hasPrefix("model name") }
        .flatMap { $0.split(separator: ":", maxSplits: 1).last }
        .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
    return "\(model), \(ProcessInfo.processInfo.activeProcessorCount) logical CPUs"
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

/// The networks a case may name: the paper's CIFAR-sized ones, FP32 or with int8 weights (but in the
/// first layer), and ResNet-18 on ImageNet-sized inputs.
let caseNetworks: [String: (architecture: ReferenceNetworks.Architecture, size: Int, int8: Bool)] = [
    "vgg16": (.vgg16, 32, false), "resnet20": (.resnet20, 32, false),
    "vgg16-int8": (.vgg16, 32, true), "resnet20-int8": (.resnet20, 32, true), "resnet18-224": (.resnet18, 224, false),
]

/// A case from NETWORK,NEURON,TAU,T,BATCH,THREADS (e.g. resnet20,gn,4,4,1,2), with its network.
func parseCase(_ text: String) -> (Network, Case) {
    let fields = text.split(separator: ",").map(String.init)
    guard fields.count == 6, let tau = UInt32(fields[2]), let steps = UInt32(fields[3]), let batch = UInt32(fields[4]),
          let threads = UInt32(fields[5]), let shape = caseNetworks[fields[0]] else {
        print("a case is NETWORK,NEURON,TAU,T,BATCH,THREADS with NETWORK one of "
              + caseNetworks.keys.sorted().joined(separator: ", ") + ", e.g. resnet20,gn,4,4,1,2")
        exit(2)
    }
    let net = network(shape.architecture, size: shape.size, int8: shape.int8)
    let neuron = fields[1] == "ann" ? GN_NEURON_ANN : fields[1] == "if" ? GN_NEURON_IF : GN_NEURON_GROUP
    return (net, Case(network: net.name, neuron: neuron, tau: tau, steps: steps, batch: batch, threads: threads))
}

func runBenchmarks() {

    let arguments = Array(CommandLine.arguments.dropFirst())
    func option(_ name: String) -> String? {
        guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
        return arguments[index + 1]
    }
    let quick = arguments.contains("--quick")
    let withPeers = arguments.contains("--peers")
    let repetitions = option("--reps").flatMap(Int.init) ?? (quick ? 3 : 10)
    let python = option("--python") ?? (getenv("GN_PEER_PYTHON").map { String(cString: $0) } ?? "python3")

    if let single = option("--case") {
        // One case, no per-layer times: NETWORK,NEURON,TAU,T,BATCH,THREADS; prints its median time.
        let (net, benchmarkCase) = parseCase(single)
        let measurement = measure(net, benchmarkCase, repetitions: repetitions, perLayer: false)
        var line = String(format: "%@ isa=%@ median_ms=%.4f", benchmarkCase.label,
                          String(cString: gn_isa_name(measurement.instructionSet)), measurement.seconds * 1000)
        if withPeers {
            // The peers right after, as in the full run: the peer's time over ours.
            let peers = runPeers(python: python, keys: benchmarkCase.peerKeys, repetitions: repetitions)
            if let torch = peers["torch_" + benchmarkCase.peerKey] {
                line += String(format: " torch_ms=%.4f torch_ratio=%.2f", torch * 1000, torch / measurement.seconds)
            }
            if benchmarkCase.comparesWithONNXRuntime, let ort = peers["ort_" + benchmarkCase.annKey] {
                line += String(format: " ort_ms=%.4f ort_ratio=%.2f", ort * 1000, ort / measurement.seconds)
            }
        }
        print(line)
        return
    }

    if arguments.contains("--int8") {
        runInt8Benchmarks(python: withPeers ? python : nil, repetitions: repetitions)
        return
    }

    if let profile = option("--profile") {
        // Per-layer times of one case: NETWORK,NEURON,TAU,T,BATCH,THREADS (e.g. resnet20,gn,4,4,1,2).
        let (net, benchmarkCase) = parseCase(profile)
        let neuron = benchmarkCase.neuron
        let measurement = measure(net, benchmarkCase, repetitions: 20, perLayer: true)
        let model = loadModel(net.bytes)
        let names = [1: "conv2d", 2: "linear", 3: "avgpool2d", 4: "maxpool2d", 5: "global_avgpool", 6: "flatten",
                     7: "add", 8: "affine", 9: "qcfs"]
        print("CPU: \(cpuDescription())")
        // The peak of the same instruction set and threads, measured right before each profiled run: a
        // layer's "of peak" is its share of its own run's peak, the median over the runs.
        print(String(format: "peak: %@ on %d core(s), %@ kernels", measurement.peakSummary, Int(benchmarkCase.threads),
                     String(cString: gn_isa_name(measurement.instructionSet))))
        print("\(benchmarkCase.label): median \(measurement.seconds * 1000) ms without an observer; per layer, with one:")
        if let ratio = measurement.fusedOverUnfused {
            // With an observer every layer runs on its own; without one, convolutions compute their neuron layers.
            print(String(format: "(without an observer over with a no-op one, runs alternated: %.3f)", ratio))
        }
        var inputShapes: [gn_shape] = []
        var shape = gn_shape()
        gn_model_input_shape(model, &shape)
        inputShapes.append(shape)
        let start = measurement.startSeconds ?? 0
        print(String(format: "      %@ %4dx%3dx%3d %9.4f ms   (the input checked and laid out channels-last)",
                     "input".padding(toLength: 14, withPad: " ", startingAt: 0), shape.channels, shape.height, shape.width,
                     start * 1000))
        var convolutions: (layers: [Int], flops: Double, seconds: Double) = ([], 0, 0)
        for (index, seconds) in measurement.layerSeconds.enumerated() {
            var info = gn_layer_info()
            gn_model_layer(model, index, &info)
            inputShapes.append(info.output)
            let input = inputShapes[Int(info.input_a)]
            let out = info.output
            let macs = Double(denseMultiplyAdds(info, input: input))
            let samples = Double(benchmarkCase.batch) * Double(neuron == GN_NEURON_ANN || net.isStatic[index + 1] ? 1 : benchmarkCase.steps)
            let operations = 2 * macs * samples
            if info.kind == GN_LAYER_CONV2D {
                convolutions.layers.append(index)
                convolutions.flops += operations
                convolutions.seconds += seconds
            }
            let share = measurement.shareOfPeak(flops: operations, layers: [index])
            let rate = macs > 0 ? String(format: "%7.1f GFLOP/s %4.0f%%", operations / seconds / 1e9, 100 * share) : ""
            print(String(format: "  %3d %@ %4dx%3dx%3d %9.4f ms %@ %3.0f%% zeros  %@", index,
                         (names[Int(info.kind.rawValue)] ?? "?").padding(toLength: 14, withPad: " ", startingAt: 0),
                         out.channels, out.height, out.width, seconds * 1000, rate.padding(toLength: 21, withPad: " ", startingAt: 0),
                         100 * measurement.zeroShares[index], measurement.kernels[index]))
        }
        if !convolutions.layers.isEmpty {
            print(String(format: "conv2d layers together: %.4f ms, %.1f GFLOP/s, %.0f%% of the peak", convolutions.seconds * 1000,
                         convolutions.flops / convolutions.seconds / 1e9,
                         100 * measurement.shareOfPeak(flops: convolutions.flops, layers: convolutions.layers)))
        }
        gn_model_free(model)
        return
    }

    let networks = Dictionary(uniqueKeysWithValues: [network(.resnet20, size: 32), network(.vgg16, size: 32)]
        .map { ($0.name, $0) })
    // The instruction set as a session reports it (the CPU's widest, or what GNRUNTIME_ISA asks for).
    let probe = Case(network: "resnet20", neuron: GN_NEURON_GROUP, tau: 4, steps: 1, batch: 1, threads: 1)
    let instructionSet = measure(networks["resnet20"]!, probe, repetitions: 1, perLayer: false).instructionSet
    print("CPU: \(cpuDescription())")
    print("kernels: \(String(cString: gn_isa_name(instructionSet))) (this CPU runs up to \(String(cString: gn_isa_name(gn_cpu_isa()))); GNRUNTIME_ISA narrows it)")
    print("measuring the FP32 peak (multiply-add loop, same instruction set)…")
    let peaks = [1: measurePeak(threads: 1, isa: instructionSet), 2: measurePeak(threads: 2, isa: instructionSet)]
    print(String(format: "peak: %.1f GFLOP/s on 1 core, %.1f on 2", peaks[1]!, peaks[2]!))

    var cases: [Case] = []
    for name in ["resnet20", "vgg16"] {
        for batch: UInt32 in quick ? [1] : [1, 32] {
            for threads: UInt32 in [1, 2] {
                cases.append(Case(network: name, neuron: GN_NEURON_ANN, tau: 8, steps: 1, batch: batch, threads: threads))
                for steps: UInt32 in quick ? [4] : [1, 2, 4, 8] {
                    cases.append(Case(network: name, neuron: GN_NEURON_GROUP, tau: 4, steps: steps, batch: batch, threads: threads))
                }
                cases.append(Case(network: name, neuron: GN_NEURON_GROUP, tau: 8, steps: 1, batch: batch, threads: threads))
            }
        }
    }
    var all = networks
    if !quick {
        let resnet18 = network(.resnet18, size: 224)
        all[resnet18.name] = resnet18
        cases.append(Case(network: resnet18.name, neuron: GN_NEURON_GROUP, tau: 4, steps: 2, batch: 1, threads: 2))
    }

    // With --peers, each case's peer runs right after it, so that both see the same machine load
    // (this machine is shared and noisy).
    var results: [(Case, Measurement)] = []
    var peers: [String: Double] = [:]
    print("\ncase                                              median ms   samples/s   GFLOP/s   of peak")
    for benchmarkCase in cases {
        let net = all[benchmarkCase.network]!
        let perLayer = benchmarkCase.network == "vgg16" && benchmarkCase.batch == 32 && benchmarkCase.neuron == GN_NEURON_ANN
        let measurement = measure(net, benchmarkCase, repetitions: benchmarkCase.batch > 1 ? max(3, repetitions / 2) : repetitions,
                                  perLayer: perLayer)
        results.append((benchmarkCase, measurement))
        if withPeers && !benchmarkCase.network.hasSuffix("224") {
            peers.merge(runPeers(python: python, keys: benchmarkCase.peerKeys, repetitions: repetitions)) { $1 }
        }
        // Work as dense as the network: every step a full forward pass (the static first layer counted each
        // step, so computing it once shows up as speed).
        let flops = 2.0 * Double(net.macs) * Double(benchmarkCase.batch) * Double(benchmarkCase.neuron == GN_NEURON_ANN ? 1 : benchmarkCase.steps)
        let gflops = flops / measurement.seconds / 1e9
        let peak = peaks[Int(benchmarkCase.threads)] ?? peaks[1]!
        var line = benchmarkCase.label.padding(toLength: 50, withPad: " ", startingAt: 0)
            + String(format: "%10.3f %11.1f %9.1f %8.0f%%", measurement.seconds * 1000,
                     Double(benchmarkCase.batch) / measurement.seconds, gflops, 100 * gflops / peak)
        if let torch = peers["torch_" + benchmarkCase.peerKey] {
            line += String(format: "   torch %6.2fx", torch / measurement.seconds)
        }
        if benchmarkCase.comparesWithONNXRuntime, let ort = peers["ort_" + benchmarkCase.annKey] {
            line += String(format: "   ort %6.2fx", ort / measurement.seconds)
        }
        print(line)
    }
    if withPeers {
        print("(torch, ort: the peer's time over GNRuntime's, measured right after it; > 1: GNRuntime is faster)")
    }

    // The kernels the layers ran (the first case of each network, neuron kind and batch: threads do
    // not change the choice, only how the tasks are shared).
    print("")
    var described: Set<String> = []
    for (benchmarkCase, measurement) in results {
        let key = benchmarkCase.network + (benchmarkCase.neuron == GN_NEURON_ANN ? " ann" : " gn")
            + " batch=\(benchmarkCase.batch)"
        guard described.insert(key).inserted else { continue }
        print("kernels, \(key): \(kernelSummary(measurement.kernels))")
    }

    // Conv layers of VGG-16 at batch 32 (ANN mode): their share of the time, and their rate.
    print("")
    for (benchmarkCase, measurement) in results where !measurement.layerSeconds.isEmpty {
        let net = all[benchmarkCase.network]!
        let model = loadModel(net.bytes)
        var convSeconds = 0.0, convLayers: [Int] = []
        for (index, seconds) in measurement.layerSeconds.enumerated() {
            var info = gn_layer_info()
            gn_model_layer(model, index, &info)
            if info.kind == GN_LAYER_CONV2D {
                convSeconds += seconds
                convLayers.append(index)
            }
        }
        gn_model_free(model)
        let flops = 2.0 * Double(net.convMacs) * Double(benchmarkCase.batch)
        print(String(format: "%@: conv layers %.1f GFLOP/s = %.0f%% of the peak (%.1f of %.1f ms; peak %@)",
                     benchmarkCase.label, flops / convSeconds / 1e9, 100 * measurement.shareOfPeak(flops: flops, layers: convLayers),
                     convSeconds * 1000, measurement.seconds * 1000, measurement.peakSummary))
    }

    // Memory: VGG-16, batch 1, GN T = 4, in both schedules.
    print("")
    for (schedule, name) in [(GN_SCHEDULE_LAYER_BY_LAYER, "layer by layer"), (GN_SCHEDULE_STEP_BY_STEP, "step by step")] {
        let memoryCase = Case(network: "vgg16", neuron: GN_NEURON_GROUP, tau: 4, steps: 4, batch: 1, threads: 1)
        let arena = arenaBytes(all["vgg16"]!, memoryCase, schedule: schedule)
        let minimum = analyticMinimum(all["vgg16"]!, steps: 4, layerByLayer: schedule == GN_SCHEDULE_LAYER_BY_LAYER)
        print(String(format: "memory, vgg16 gn T=4 batch 1, %@: session arena %d bytes, analytic minimum %d bytes: %.2fx",
                     name, arena, minimum, Double(arena) / Double(minimum)))
    }


}

runBenchmarks()
