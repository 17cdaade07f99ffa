// A libFuzzer target over the C API: model loading, session planning and creation, and runs.
// scripts/fuzz.sh builds it with -sanitize=fuzzer,address and runs it on fuzz/corpus.
//
// An input is 4 control bytes, then the bytes of a model file. The control bytes choose the neuron
// kind, τ, T, the schedule, the threads and whether the checksum is checked (mostly not: a mutated
// file rarely keeps a valid CRC, and the structural checks are what matter), and whether the session
// counts spikes, stops samples early (by margin or stable prediction) and streams, and which kernel
// variant (instruction set) it runs.

import GNRuntimeC

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModel(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size >= 4 else { return 0 }
    let neuron = gn_neuron_kind(UInt32(data[0] % 3))
    let tau = UInt32(1 + data[1] % 8)
    let steps = UInt32(1 + data[2] % 4)
    let flags = data[3]
    var model: OpaquePointer?
    let loadFlags = flags & 1 == 0 ? UInt32(GN_LOAD_SKIP_CHECKSUM) : UInt32(GN_LOAD_DEFAULT)
    guard gn_model_load_bytes(data + 4, size - 4, loadFlags, &model) == GN_STATUS_OK else { return 0 }
    defer { gn_model_free(model) }

    var count = 0, neurons = 0
    _ = gn_model_layer_count(model, &count)
    _ = gn_model_neuron_layer_count(model, &neurons)
    for index in 0...count {   // one past the end, too
        var info = gn_layer_info()
        _ = gn_model_layer(model, index, &info)
        var weights = GN_WEIGHTS_NONE
        _ = gn_model_layer_weights(model, index, &weights)
    }
    var inputShape = gn_shape(), outputShape = gn_shape()
    _ = gn_model_input_shape(model, &inputShape)
    _ = gn_model_output_shape(model, &outputShape)

    var options = gn_session_options_default()
    options.neuron = neuron
    options.tau = tau
    options.time_steps = steps
    options.batch = 2
    options.schedule = flags & 2 == 0 ? GN_SCHEDULE_LAYER_BY_LAYER : GN_SCHEDULE_STEP_BY_STEP
    options.threads = flags & 4 == 0 ? 1 : 2
    options.count_spikes = neuron != GN_NEURON_ANN && data[2] & 4 != 0 ? 1 : 0
    options.exit_rule = gn_exit_rule(UInt32(data[2] >> 3 & 3) % 3)
    options.exit_margin = Float(data[1] >> 3) / 16
    options.exit_steps = UInt32(1 + (data[1] >> 3) % 4)
    options.isa = gn_isa(UInt32(data[2] >> 6))   // auto, or a kernel variant (the CPU may lack it)
    let streams = data[2] & 32 != 0
    var layerTau = [UInt32](repeating: UInt32(flags >> 4), count: neurons)
    var bytes = 0
    let status = layerTau.withUnsafeMutableBufferPointer { buffer -> gn_status in
        if flags & 8 != 0 {
            options.layer_tau = UnsafePointer(buffer.baseAddress)
            options.layer_tau_count = buffer.count
        }
        return gn_session_arena_size(model, &options, &bytes)
    }
    let inputCount = Int(inputShape.channels) * Int(inputShape.height) * Int(inputShape.width)
    let outputCount = Int(outputShape.channels) * Int(outputShape.height) * Int(outputShape.width)
    // Models whose sessions would need too much memory or time are planned, not run.
    guard status == GN_STATUS_OK, bytes < 1 << 24, inputCount <= 1 << 16, outputCount <= 1 << 16 else { return 0 }
    options.layer_tau = nil
    options.layer_tau_count = 0
    var session: OpaquePointer?
    guard gn_session_create(model, &options, &session) == GN_STATUS_OK else { return 0 }
    defer { gn_session_free(session) }

    var input = (0..<2 * inputCount).map { Float(($0 * 37) % 17) / 8 - 0.5 }
    var output = [Float](repeating: 0, count: 2 * outputCount)
    _ = gn_session_run(session, input, input.count, 2, &output, output.count)
    var stepCount = 0
    _ = gn_session_step_count(session, &stepCount)
    var predictions = [Int32](repeating: 0, count: 2 * stepCount)
    _ = gn_session_predictions(session, &predictions, predictions.count)
    // Error paths: a NaN, and a wrong size; then the session must still run.
    if !input.isEmpty { input[0] = .nan }
    _ = gn_session_run(session, input, input.count, 2, &output, output.count)
    _ = gn_session_run(session, input, input.count - 1, 1, &output, outputCount)
    input[0] = 0
    _ = gn_session_run(session, input, inputCount, 1, &output, outputCount)
    var sampleSteps: [UInt32] = [0]
    _ = gn_session_sample_steps(session, &sampleSteps, 1)
    if streams {
        _ = gn_session_begin_stream(session, 2)
        for _ in 0...stepCount {   // one step past T, too
            _ = gn_session_step(session, input, input.count, &output, output.count)
        }
    }
    var macs: UInt64 = 0
    _ = gn_model_mac_count(model, &macs)
    _ = gn_session_analog_mac_count(session, &macs)
    if options.count_spikes == 1 {
        var taken = 0
        _ = gn_session_steps_taken(session, &taken)
        var spikes = [UInt64](repeating: 0, count: taken * neurons * 2)
        var operations = spikes
        _ = gn_session_spike_counts(session, &spikes, &operations, spikes.count)
        for index in 0...neurons {   // one past the end, too
            var info = gn_neuron_layer_info()
            _ = gn_session_neuron_layer(session, index, &info)
        }
    }
    return 0
}

#if !GN_FUZZING
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Without libFuzzer (a plain build): runs the target on each file named on the command line, to
/// reproduce a crash the fuzzer saved (`gnruntime-fuzz .build/fuzz/artifacts/crash-…`).
@main
enum Replay {
    static func main() {
        for path in CommandLine.arguments.dropFirst() {
            guard let file = fopen(path, "rb") else {
                print("cannot open \(path)")
                exit(2)
            }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = fread(&chunk, 1, chunk.count, file)
                if count <= 0 { break }
                bytes += chunk[0..<count]
            }
            fclose(file)
            _ = bytes.withUnsafeBufferPointer { fuzzModel($0.baseAddress, $0.count) }
            print("\(path): \(bytes.count) bytes, no crash")
        }
    }
}
#endif
