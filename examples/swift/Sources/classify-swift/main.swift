// Runs a model with Group Neurons and prints the prediction after every time step, as the C example
// (examples/c/classify.c) does: classify-swift MODEL [--neuron ann|gn|if] [--tau N] [--T N].
import GNRuntimeC
#if canImport(Glibc)
import Glibc
#endif

/// Prints the thread's last error and exits.
func fail(_ what: String) -> Never {
    print("classify-swift: \(what): \(String(cString: gn_last_error()))")
    exit(1)
}

var arguments = CommandLine.arguments.dropFirst()
guard let path = arguments.popFirst() else {
    print("usage: classify-swift MODEL [--neuron ann|gn|if] [--tau N] [--T N]")
    exit(2)
}
var options = gn_session_options_default()
while let flag = arguments.popFirst(), let value = arguments.popFirst() {
    switch (flag, value) {
    case ("--neuron", "ann"): options.neuron = GN_NEURON_ANN
    case ("--neuron", "gn"): options.neuron = GN_NEURON_GROUP
    case ("--neuron", "if"): options.neuron = GN_NEURON_IF
    case ("--tau", _): options.tau = UInt32(value) ?? 0
    case ("--T", _): options.time_steps = UInt32(value) ?? 0
    default:
        print("classify-swift: unknown option \(flag) \(value)")
        exit(2)
    }
}

var model: OpaquePointer?
guard gn_model_load_file(path, GN_LOAD_DEFAULT, &model) == GN_STATUS_OK else { fail("loading \(path)") }
defer { gn_model_free(model) }
var inputShape = gn_shape(), outputShape = gn_shape()
gn_model_input_shape(model, &inputShape)
gn_model_output_shape(model, &outputShape)
let inputCount = Int(inputShape.channels * inputShape.height * inputShape.width)
let outputCount = Int(outputShape.channels * outputShape.height * outputShape.width)

var session: OpaquePointer?
guard gn_session_create(model, &options, &session) == GN_STATUS_OK else { fail("creating the session") }
defer { gn_session_free(session) }
var steps = 0
gn_session_step_count(session, &steps)

// The input classify.c makes when given none.
let input = (0..<inputCount).map { Float(($0 * 37) % 101) / 100 }
var output = [Float](repeating: 0, count: outputCount)
var predictions = [Int32](repeating: 0, count: steps)
guard gn_session_run(session, input, inputCount, 1, &output, outputCount) == GN_STATUS_OK,
      gn_session_predictions(session, &predictions, steps) == GN_STATUS_OK else { fail("running") }
for (step, prediction) in predictions.enumerated() { print("step \(step + 1): prediction \(prediction)") }
print("output:", output.map { String($0) }.joined(separator: " "))
