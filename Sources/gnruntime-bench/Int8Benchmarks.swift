// int8 weights against FP32 and against ONNX Runtime's int8 ANN.
import GNModelBuilder
import GNRuntimeC
import Foundation

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
