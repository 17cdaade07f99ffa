// The networks the benchmark runs: the paper's architectures built in code with random weights.
import GNModelBuilder
import GNRuntimeC
import GNRuntimeCore
import GNKernelInterface
#if canImport(Glibc)
import Glibc
#endif

/// A network to benchmark: its model file, and the work of one sample.
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
    /// The bytes of one weight of each layer: 1 for int8 weights, else 4.
    var weightBytes: [Int]
}

/// Exits with the library's message when `status` is not OK; `what` names the call.
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

/// Multiply-adds of one sample through a conv2d or linear layer, as the runtime counts them
/// (`OperationCount`): one per window tap inside the input — taps on padding, which the tiled kernels
/// leave out where a tile's windows all leave the input there, are not work a layer needs; 0 for other
/// layers.
func multiplyAdds(_ info: gn_layer_info, input: gn_shape) -> Int {
    if info.kind == GN_LAYER_CONV2D { return OperationCount.multiplyAccumulates(of: convolutionGeometry(info, input: input, batch: 1)) }
    return info.kind == GN_LAYER_LINEAR ? Int(input.channels * info.output.channels) : 0
}

/// The sizes of convolution `info` over `batch` images of shape `input`.
func convolutionGeometry(_ info: gn_layer_info, input: gn_shape, batch: Int) -> WindowGeometry {
    let out = info.output
    return WindowGeometry(batch: batch, inputHeight: Int(input.height), inputWidth: Int(input.width),
                          inputChannels: Int(input.channels), outputHeight: Int(out.height), outputWidth: Int(out.width),
                          outputChannels: Int(out.channels), kernelHeight: Int(info.kernel_height),
                          kernelWidth: Int(info.kernel_width), strideHeight: Int(info.stride_height),
                          strideWidth: Int(info.stride_width), paddingHeight: Int(info.padding_height),
                          paddingWidth: Int(info.padding_width))
}

/// `architecture` at `size` × `size` inputs of its `imageChannels` (1000 classes from 224 on, else 10),
/// L = 8, random weights; with `int8`, int8 weights in every layer but the first.
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
        let layerMacs = multiplyAdds(info, input: input)
        if info.kind == GN_LAYER_CONV2D { convMacs += layerMacs }
        let layerIsStatic = info.kind != GN_LAYER_QCFS && isStatic[Int(info.input_a)]
            && (info.input_b < 0 || isStatic[Int(info.input_b)])
        macs += layerMacs
        if layerIsStatic { staticMacs += layerMacs }
        shapes.append(out)
        isStatic.append(layerIsStatic)
    }
    // A model is read from 64-byte aligned memory, as sessions keep it.
    let aligned = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 64)
    defer { aligned.deallocate() }
    aligned.copyMemory(from: bytes, byteCount: bytes.count)
    let view: ModelView
    do throws(GNError) { view = try ModelView(validating: UnsafeRawBufferPointer(start: aligned, count: bytes.count)) } catch {
        print("\(architecture.rawValue): \(error.message)")
        exit(1)
    }
    let weightBytes = (0..<view.layerCount).map { view.layer($0).integerWeights != nil ? 1 : 4 }
    return Network(name: (size >= 224 ? "\(architecture.rawValue)-224" : architecture.rawValue) + (int8 ? "-int8" : ""), bytes: bytes, macs: macs,
                   staticMacs: staticMacs, convMacs: convMacs, isStatic: isStatic, weightBytes: weightBytes)
}
