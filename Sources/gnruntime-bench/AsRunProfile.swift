// The profile's second table: each layer's time as the session runs unobserved, timed by the session.
import GNRuntimeC
import Foundation

/// Prints each layer's time in the runs timed by the session (`Measurement.asRun`), with its rate and
/// share of the peak (`operations`: each layer's floating-point operations, `names` its kind), and the
/// conv layers' (`convolutions`) together. A convolution and the neuron layer it computes in its tasks
/// share their time as their tasks did; an add computed in its neuron layer's tasks has no time of its
/// own: its time is in that layer's.
func printAsRun(_ measurement: Measurement, names: [String], operations: [Double], convolutions: [Int]) {
    let asRun = measurement.asRun
    let seconds = asRun.medianLayerSeconds
    guard !seconds.isEmpty else { return }
    let concurrency = median(asRun.concurrency)
    print("as run, unobserved (layer by layer at T > 1, in passes of samples; else a neuron layer that a")
    print("convolution computes in its tasks is timed in them, and an add in its neuron layer's), timed by the")
    print(String(format: "session (gn_session_time_layers; %.0f thread(s) at once, an estimate: the layers' thread time over", concurrency))
    print("the run's, rounded; ms: thread time);")
    print("peak \(asRun.peakSummary):")
    for index in seconds.indices where measurement.kernels[index] != "none" {
        let name = names[index].padding(toLength: 14, withPad: " ", startingAt: 0)
        guard seconds[index] > 0 else {
            print(String(format: "  %3d %@ computed in another layer's tasks", index, name))
            continue
        }
        let rate = operations[index] > 0
            ? String(format: "%7.1f GFLOP/s %4.0f%%", operations[index] * concurrency / seconds[index] / 1e9,
                     100 * asRun.shareOfPeak(flops: operations[index], layers: [index]))
            : ""
        print(String(format: "  %3d %@ %9.4f ms %@", index, name, seconds[index] * 1000, rate))
    }
    let flops = convolutions.reduce(0) { $0 + operations[$1] }
    let convolutionSeconds = convolutions.reduce(0) { $0 + seconds[$1] }
    print(String(format: "conv2d layers together, as run: %.4f ms%@, %.0f%% of the peak",
                 convolutionSeconds * 1000, concurrency > 1 ? " of thread time" : "",
                 100 * asRun.shareOfPeak(flops: flops, layers: convolutions)))
}
