// A session's arena against the least memory its network needs.
import GNRuntimeC

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

/// The arena of a one-thread session of `benchmarkCase` with `schedule`, in bytes.
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
