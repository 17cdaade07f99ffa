// Benchmarks GNRuntime through its C API on the paper's networks with random weights (L = 8) and,
// with --peers, the PyTorch pipeline of the paper's conversion and ONNX Runtime on the QCFS ANN in
// the same run (benchmarks/peers.py), and prints ratios. See docs/benchmarks.md.
//
//     gnruntime-bench [--quick] [--peers] [--python PATH] [--reps N]
//     gnruntime-bench --case NETWORK,NEURON,TAU,T,BATCH,THREADS [--reps N] [--pause MS]
//                     one case's median time (with --pause, of runs that each follow a pause of MS ms)
//                     (NETWORK: vgg16, resnet20, or vgg16-int8, resnet20-int8 for int8 weights, or
//                     resnet18-224, or fashion-mnist: the examples' network on 28 × 28 grey images)
//     gnruntime-bench --profile NETWORK,NEURON,TAU,T,BATCH,THREADS             per-layer times and kernels
//     gnruntime-bench --int8 [--peers] [--reps N]     int8 weights against FP32 and ONNX Runtime int8
//
// The kernels are the widest instruction set the CPU runs; GNRUNTIME_ISA=baseline|avx2|avx512 narrows it.
import GNRuntimeC
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Reads the command line (above) and runs what it asks for.
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
        let pause = option("--pause").map { Double($0) ?? -1 } ?? 0
        guard pause >= 0 && pause <= 1000 else {
            print("gnruntime-bench: --pause takes milliseconds, 0 to 1000")
            exit(2)
        }
        let measurement = measure(net, benchmarkCase, repetitions: repetitions, perLayer: false,
                                  pauseMicroseconds: UInt32(pause * 1000))
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
        print(String(format: "peak: %@ on %d core(s), %@ kernels", measurement.observed.peakSummary, Int(benchmarkCase.threads),
                     String(cString: gn_isa_name(measurement.instructionSet))))
        print("\(benchmarkCase.label): median \(measurement.seconds * 1000) ms without an observer; per layer, with one")
        print("(GFLOP/s: 2 × the multiply-adds of window taps inside the input, taps on padding not counted;")
        print(" floor: the time a convolution's data alone takes to move — the input values its windows read, its")
        print(" weights, its output written — from beyond the second level of cache, no arithmetic; time / floor):")
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
        var operationsOfLayers: [Double] = [], kindsOfLayers: [String] = []
        for (index, seconds) in measurement.observed.medianLayerSeconds.enumerated() {
            var info = gn_layer_info()
            gn_model_layer(model, index, &info)
            inputShapes.append(info.output)
            let input = inputShapes[Int(info.input_a)]
            let out = info.output
            let macs = Double(multiplyAdds(info, input: input))
            let samples = Double(benchmarkCase.batch) * Double(neuron == GN_NEURON_ANN || net.isStatic[index + 1] ? 1 : benchmarkCase.steps)
            let operations = 2 * macs * samples
            operationsOfLayers.append(operations)
            kindsOfLayers.append(names[Int(info.kind.rawValue)] ?? "?")
            if info.kind == GN_LAYER_CONV2D {
                convolutions.layers.append(index)
                convolutions.flops += operations
                convolutions.seconds += seconds
            }
            let share = measurement.observed.shareOfPeak(flops: operations, layers: [index])
            let rate = macs > 0 ? String(format: "%7.1f GFLOP/s %4.0f%%", operations / seconds / 1e9, 100 * share) : ""
            var floor = ""
            if info.kind == GN_LAYER_CONV2D {
                let floorSeconds = memoryFloorSeconds(convolutionGeometry(info, input: input, batch: Int(samples)),
                                                      weightBytes: net.weightBytes[index])
                floor = String(format: "  floor %.4f ms (%.2fx)", floorSeconds * 1000, seconds / floorSeconds)
            }
            print(String(format: "  %3d %@ %4dx%3dx%3d %9.4f ms %@ %3.0f%% zeros  %@%@", index,
                         (names[Int(info.kind.rawValue)] ?? "?").padding(toLength: 14, withPad: " ", startingAt: 0),
                         out.channels, out.height, out.width, seconds * 1000, rate.padding(toLength: 21, withPad: " ", startingAt: 0),
                         100 * measurement.zeroShares[index], measurement.kernels[index], floor))
        }
        if !convolutions.layers.isEmpty {
            print(String(format: "conv2d layers together: %.4f ms, %.1f GFLOP/s, %.0f%% of the peak", convolutions.seconds * 1000,
                         convolutions.flops / convolutions.seconds / 1e9,
                         100 * measurement.observed.shareOfPeak(flops: convolutions.flops, layers: convolutions.layers)))
        }
        printAsRun(measurement, names: kindsOfLayers, operations: operationsOfLayers, convolutions: convolutions.layers)
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
        // Every step a full forward pass (the static first layer counted each step, so computing it once
        // shows up as speed); a convolution's taps on padding are not counted (`multiplyAdds`).
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
    for (benchmarkCase, measurement) in results where !measurement.observed.layerSeconds.isEmpty {
        let net = all[benchmarkCase.network]!
        let model = loadModel(net.bytes)
        var convSeconds = 0.0, convLayers: [Int] = []
        for (index, seconds) in measurement.observed.medianLayerSeconds.enumerated() {
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
                     benchmarkCase.label, flops / convSeconds / 1e9, 100 * measurement.observed.shareOfPeak(flops: flops, layers: convLayers),
                     convSeconds * 1000, measurement.seconds * 1000, measurement.observed.peakSummary))
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
