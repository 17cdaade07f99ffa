import GNRuntimeCore
import GNRuntimeC

// The C ABI: thin @_cdecl thunks that check pointers, translate C types to the Swift API and
// statuses back, and record failure messages. Declarations and docs: include/gnruntime.h.

// MARK: - Translation

/// Runs `body`; on failure records the message (for the thread, and for `session` when given) and
/// returns the status. No Swift error crosses into C.
@inline(__always)
func guarded(session: SessionHandle? = nil, model: ModelView? = nil,
             _ body: () throws(GNError) -> Void) -> gn_status {
    do {
        try body()
        return GN_STATUS_OK
    } catch {
        let thread = gn_internal_thread_message()!
        let capacity = Int(GN_INTERNAL_MESSAGE_CAPACITY)
        ErrorMessage.write(error, model: model ?? session?.session.model, into: thread, capacity: capacity)
        if let session { session.lastError.update(from: thread, count: capacity) }
        return cStatus(error.status)
    }
}

/// The C value of a status; written case by case, so the two enums cannot drift apart silently.
private func cStatus(_ status: GNStatus) -> gn_status {
    switch status {
    case .ok: return GN_STATUS_OK
    case .nullPointer: return GN_STATUS_NULL_POINTER
    case .invalidOption: return GN_STATUS_INVALID_OPTION
    case .sizeMismatch: return GN_STATUS_SIZE_MISMATCH
    case .invalidInput: return GN_STATUS_INVALID_INPUT
    case .badModel: return GN_STATUS_BAD_MODEL
    case .unsupported: return GN_STATUS_UNSUPPORTED
    case .arenaTooSmall: return GN_STATUS_ARENA_TOO_SMALL
    case .misaligned: return GN_STATUS_MISALIGNED
    case .outOfMemory: return GN_STATUS_OUT_OF_MEMORY
    case .ioError: return GN_STATUS_IO_ERROR
    case .outOfRange: return GN_STATUS_OUT_OF_RANGE
    case .noResult: return GN_STATUS_NO_RESULT
    case .invalidState: return GN_STATUS_INVALID_STATE
    }
}

func nonNull<T>(_ pointer: T?, _ what: StaticString) throws(GNError) -> T {
    guard let pointer else { throw GNError(.nullPointer, what) }
    return pointer
}

private func modelHandle(_ pointer: OpaquePointer?) throws(GNError) -> ModelHandle {
    Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer(try nonNull(pointer, "model is NULL"))).takeUnretainedValue()
}

/// For a query of one layer: the model's view, layer `index` of it and the non-NULL `out`, checked in
/// that order (NULL_POINTER for the model or `out`, whose message `outMessage` is; OUT_OF_RANGE past
/// the last layer).
private func layerQuery<Out>(_ model: OpaquePointer?, _ index: Int, _ out: UnsafeMutablePointer<Out>?,
                             _ outMessage: StaticString) throws(GNError) -> (view: ModelView, layer: Layer, out: UnsafeMutablePointer<Out>) {
    let view = try modelHandle(model).view
    let checkedOut = try nonNull(out, outMessage)
    guard index >= 0, index < view.layerCount else {
        throw GNError(.outOfRange, "layer index is past the last layer", expected: view.layerCount - 1, actual: index)
    }
    return (view, view.layer(index), checkedOut)
}

/// The model's view when `pointer` is non-NULL, for naming layers in messages.
private func modelView(_ pointer: OpaquePointer?) -> ModelView? {
    pointer.map { Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue().view }
}

private func sessionHandle(_ pointer: OpaquePointer?) -> SessionHandle? {
    pointer.map { Unmanaged<SessionHandle>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
}

/// Runs `body` with the session behind `pointer` (failing with NULL_POINTER when it is NULL), and
/// records a failure's message on the session too.
@inline(__always)
private func withSession(_ pointer: OpaquePointer?, _ body: (SessionHandle) throws(GNError) -> Void) -> gn_status {
    let handle = sessionHandle(pointer)
    return guarded(session: handle) { () throws(GNError) in try body(try nonNull(handle, "session is NULL")) }
}

private func cShape(_ shape: TensorShape) -> gn_shape {
    gn_shape(channels: UInt32(shape.channels), height: UInt32(shape.height), width: UInt32(shape.width))
}

private func loadFlags(_ flags: UInt32) throws(GNError) -> Bool {
    guard flags & ~UInt32(GN_LOAD_SKIP_CHECKSUM) == 0 else {
        throw GNError(.invalidOption, "unknown load flags", actual: Int(flags))
    }
    return flags & UInt32(GN_LOAD_SKIP_CHECKSUM) == 0
}

private func publish(_ model: ModelHandle, _ out: UnsafeMutablePointer<OpaquePointer?>) {
    out.pointee = OpaquePointer(Unmanaged.passRetained(model).toOpaque())
}

// MARK: - Library

/// The C function `gn_version`; documented in include/gnruntime.h.
@_cdecl("gn_version")
public func cVersion() -> UInt32 {
    UInt32((GN_VERSION_MAJOR << 16) | (GN_VERSION_MINOR << 8) | GN_VERSION_PATCH)
}

/// The C function `gn_status_string`; documented in include/gnruntime.h.
@_cdecl("gn_status_string")
public func cStatusString(_ status: gn_status) -> UnsafePointer<CChar> {
    guard let known = GNStatus(rawValue: Int32(bitPattern: status.rawValue)) else {
        return staticCString("unknown status")
    }
    return staticCString(known.description)
}

/// The C function `gn_struct_size`; documented in include/gnruntime.h.
@_cdecl("gn_struct_size")
public func cStructSize(_ which: gn_struct) -> Int {
    switch which {
    case GN_STRUCT_SHAPE: MemoryLayout<gn_shape>.stride
    case GN_STRUCT_LAYER_INFO: MemoryLayout<gn_layer_info>.stride
    case GN_STRUCT_SESSION_OPTIONS: MemoryLayout<gn_session_options>.stride
    case GN_STRUCT_NEURON_LAYER_INFO: MemoryLayout<gn_neuron_layer_info>.stride
    default: 0
    }
}

/// The C function `gn_last_error`; documented in include/gnruntime.h.
@_cdecl("gn_last_error")
public func cLastError() -> UnsafePointer<CChar> {
    UnsafePointer(gn_internal_thread_message()!)
}

/// A static string's bytes as a C string (static strings are NUL-terminated in the binary).
private func staticCString(_ text: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
}

/// The C function `gn_cpu_isa`; documented in include/gnruntime.h.
@_cdecl("gn_cpu_isa")
public func cCPUInstructionSet() -> gn_isa {
    gn_isa(KernelRegistry.widestAvailable.rawValue)
}

/// The C function `gn_isa_name`; documented in include/gnruntime.h.
@_cdecl("gn_isa_name")
public func cInstructionSetName(_ isa: gn_isa) -> UnsafePointer<CChar> {
    if isa == GN_ISA_AUTO { return staticCString("auto") }
    guard let set = InstructionSet(rawValue: UInt32(isa.rawValue)) else { return staticCString("unknown") }
    return staticCString(set.name)
}

// MARK: - Models

/// The C function `gn_model_load_file`; documented in include/gnruntime.h.
@_cdecl("gn_model_load_file")
public func cModelLoadFile(_ path: UnsafePointer<CChar>?, _ flags: UInt32,
                           _ modelOut: UnsafeMutablePointer<OpaquePointer?>?) -> gn_status {
    guarded { () throws(GNError) in
        let out = try nonNull(modelOut, "model_out is NULL")
        let path = try nonNull(path, "path is NULL")
        publish(try ModelHandle.loading(path: path, verifyChecksum: try loadFlags(flags)), out)
    }
}

/// The C function `gn_model_load_bytes`; documented in include/gnruntime.h.
@_cdecl("gn_model_load_bytes")
public func cModelLoadBytes(_ bytes: UnsafeRawPointer?, _ size: Int, _ flags: UInt32,
                            _ modelOut: UnsafeMutablePointer<OpaquePointer?>?) -> gn_status {
    guarded { () throws(GNError) in
        let out = try nonNull(modelOut, "model_out is NULL")
        let bytes = try nonNull(bytes, "bytes is NULL")
        let buffer = UnsafeRawBufferPointer(start: bytes, count: size)
        publish(try ModelHandle.copying(buffer, verifyChecksum: try loadFlags(flags)), out)
    }
}

/// The C function `gn_model_borrow_bytes`; documented in include/gnruntime.h.
@_cdecl("gn_model_borrow_bytes")
public func cModelBorrowBytes(_ bytes: UnsafeRawPointer?, _ size: Int, _ flags: UInt32,
                              _ modelOut: UnsafeMutablePointer<OpaquePointer?>?) -> gn_status {
    guarded { () throws(GNError) in
        let out = try nonNull(modelOut, "model_out is NULL")
        let bytes = try nonNull(bytes, "bytes is NULL")
        let buffer = UnsafeRawBufferPointer(start: bytes, count: size)
        publish(try ModelHandle.borrowing(buffer, verifyChecksum: try loadFlags(flags)), out)
    }
}

/// The C function `gn_model_free`; documented in include/gnruntime.h.
@_cdecl("gn_model_free")
public func cModelFree(_ model: OpaquePointer?) {
    guard let model else { return }
    Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer(model)).release()
}

/// The C function `gn_model_input_shape`; documented in include/gnruntime.h.
@_cdecl("gn_model_input_shape")
public func cModelInputShape(_ model: OpaquePointer?, _ shapeOut: UnsafeMutablePointer<gn_shape>?) -> gn_status {
    guarded { () throws(GNError) in
        let handle = try modelHandle(model)
        try nonNull(shapeOut, "shape_out is NULL").pointee = cShape(handle.view.inputShape)
    }
}

/// The C function `gn_model_output_shape`; documented in include/gnruntime.h.
@_cdecl("gn_model_output_shape")
public func cModelOutputShape(_ model: OpaquePointer?, _ shapeOut: UnsafeMutablePointer<gn_shape>?) -> gn_status {
    guarded { () throws(GNError) in
        let handle = try modelHandle(model)
        try nonNull(shapeOut, "shape_out is NULL").pointee = cShape(handle.view.outputShape)
    }
}

/// The C function `gn_model_layer_count`; documented in include/gnruntime.h.
@_cdecl("gn_model_layer_count")
public func cModelLayerCount(_ model: OpaquePointer?, _ countOut: UnsafeMutablePointer<Int>?) -> gn_status {
    guarded { () throws(GNError) in
        let handle = try modelHandle(model)
        try nonNull(countOut, "count_out is NULL").pointee = handle.view.layerCount
    }
}

/// The C function `gn_model_neuron_layer_count`; documented in include/gnruntime.h.
@_cdecl("gn_model_neuron_layer_count")
public func cModelNeuronLayerCount(_ model: OpaquePointer?, _ countOut: UnsafeMutablePointer<Int>?) -> gn_status {
    guarded { () throws(GNError) in
        let handle = try modelHandle(model)
        try nonNull(countOut, "count_out is NULL").pointee = handle.view.neuronLayerCount
    }
}

/// The C function `gn_model_layer`; documented in include/gnruntime.h.
@_cdecl("gn_model_layer")
public func cModelLayer(_ model: OpaquePointer?, _ index: Int,
                        _ infoOut: UnsafeMutablePointer<gn_layer_info>?) -> gn_status {
    guarded { () throws(GNError) in
        let (view, layer, out) = try layerQuery(model, index, infoOut, "info_out is NULL")
        var neuronIndex: Int32 = -1
        if layer.kind == .qcfs {
            neuronIndex = 0
            for earlier in 0..<index where view.layer(earlier).kind == .qcfs { neuronIndex += 1 }
        }
        out.pointee = gn_layer_info(
            kind: gn_layer_kind(UInt32(layer.kind.rawValue)),
            input_a: UInt32(layer.inputA), input_b: Int32(layer.inputB), output: cShape(layer.output),
            kernel_height: UInt32(layer.kernelHeight), kernel_width: UInt32(layer.kernelWidth),
            stride_height: UInt32(layer.strideHeight), stride_width: UInt32(layer.strideWidth),
            padding_height: UInt32(layer.paddingHeight), padding_width: UInt32(layer.paddingWidth),
            has_bias: (layer.kind == .conv2d || layer.kind == .linear) && layer.bias != nil ? 1 : 0,
            levels: UInt32(layer.levels), threshold: layer.threshold, neuron_index: neuronIndex)
    }
}

/// The C function `gn_model_layer_weights`; documented in include/gnruntime.h.
@_cdecl("gn_model_layer_weights")
public func cModelLayerWeights(_ model: OpaquePointer?, _ index: Int,
                               _ typeOut: UnsafeMutablePointer<gn_weight_type>?) -> gn_status {
    guarded { () throws(GNError) in
        let (_, layer, out) = try layerQuery(model, index, typeOut, "type_out is NULL")
        switch layer.kind {
        case .conv2d, .linear: out.pointee = layer.integerWeights != nil ? GN_WEIGHTS_INT8 : GN_WEIGHTS_FLOAT32
        default: out.pointee = GN_WEIGHTS_NONE
        }
    }
}

/// The C function `gn_model_mac_count`; documented in include/gnruntime.h.
@_cdecl("gn_model_mac_count")
public func cModelMacCount(_ model: OpaquePointer?, _ macsOut: UnsafeMutablePointer<UInt64>?) -> gn_status {
    guarded { () throws(GNError) in
        let view = try modelHandle(model).view
        try nonNull(macsOut, "macs_out is NULL").pointee = UInt64(OperationCount.multiplyAccumulates(model: view))
    }
}

// MARK: - Sessions

/// The C function `gn_session_arena_size`; documented in include/gnruntime.h.
@_cdecl("gn_session_arena_size")
public func cSessionArenaSize(_ model: OpaquePointer?, _ options: UnsafePointer<gn_session_options>?,
                              _ bytesOut: UnsafeMutablePointer<Int>?) -> gn_status {
    guarded(model: modelView(model)) { () throws(GNError) in
        let handle = try modelHandle(model)
        let out = try nonNull(bytesOut, "bytes_out is NULL")
        out.pointee = try SessionHandle.arenaBytes(model: handle, options: try sessionOptions(options))
    }
}

/// The C function `gn_session_create`; documented in include/gnruntime.h.
@_cdecl("gn_session_create")
public func cSessionCreate(_ model: OpaquePointer?, _ options: UnsafePointer<gn_session_options>?,
                           _ sessionOut: UnsafeMutablePointer<OpaquePointer?>?) -> gn_status {
    guarded(model: modelView(model)) { () throws(GNError) in
        let handle = try modelHandle(model)
        let out = try nonNull(sessionOut, "session_out is NULL")
        let session = try SessionHandle.create(model: handle, options: try sessionOptions(options))
        out.pointee = OpaquePointer(Unmanaged.passRetained(session).toOpaque())
    }
}

/// The C function `gn_session_create_in_arena`; documented in include/gnruntime.h.
@_cdecl("gn_session_create_in_arena")
public func cSessionCreateInArena(_ model: OpaquePointer?, _ options: UnsafePointer<gn_session_options>?,
                                  _ arena: UnsafeMutableRawPointer?, _ arenaSize: Int,
                                  _ sessionOut: UnsafeMutablePointer<OpaquePointer?>?) -> gn_status {
    guarded(model: modelView(model)) { () throws(GNError) in
        let handle = try modelHandle(model)
        let out = try nonNull(sessionOut, "session_out is NULL")
        let arena = try nonNull(arena, "arena is NULL")
        let session = try SessionHandle.create(
            model: handle, options: try sessionOptions(options),
            arena: UnsafeMutableRawBufferPointer(start: arena, count: arenaSize), owned: false)
        out.pointee = OpaquePointer(Unmanaged.passRetained(session).toOpaque())
    }
}

/// The C function `gn_session_free`; documented in include/gnruntime.h.
@_cdecl("gn_session_free")
public func cSessionFree(_ session: OpaquePointer?) {
    guard let session else { return }
    Unmanaged<SessionHandle>.fromOpaque(UnsafeRawPointer(session)).release()
}

/// The C function `gn_session_run`; documented in include/gnruntime.h.
@_cdecl("gn_session_run")
public func cSessionRun(_ session: OpaquePointer?, _ input: UnsafePointer<Float>?, _ inputCount: Int,
                        _ samples: Int, _ output: UnsafeMutablePointer<Float>?, _ outputCount: Int) -> gn_status {
    withSession(session) { (handle) throws(GNError) in
        let input = try nonNull(input, "input is NULL")
        let output = try nonNull(output, "output is NULL")
        try handle.session.run(input: UnsafeBufferPointer(start: input, count: inputCount), samples: samples,
                               output: UnsafeMutableBufferPointer(start: output, count: outputCount))
    }
}

/// The C function `gn_session_step_count`; documented in include/gnruntime.h.
@_cdecl("gn_session_step_count")
public func cSessionStepCount(_ session: OpaquePointer?, _ stepsOut: UnsafeMutablePointer<Int>?) -> gn_status {
    withSession(session) { (handle) throws(GNError) in
        try nonNull(stepsOut, "steps_out is NULL").pointee = handle.session.steps
    }
}

/// The C function `gn_session_predictions`; documented in include/gnruntime.h.
@_cdecl("gn_session_predictions")
public func cSessionPredictions(_ session: OpaquePointer?, _ predictionsOut: UnsafeMutablePointer<Int32>?,
                                _ count: Int) -> gn_status {
    withSession(session) { (handle) throws(GNError) in
        let out = try nonNull(predictionsOut, "predictions_out is NULL")
        try handle.session.predictions(into: UnsafeMutableBufferPointer(start: out, count: count))
    }
}

/// The C function `gn_session_steps_taken`; documented in include/gnruntime.h.
@_cdecl("gn_session_steps_taken")
public func cSessionStepsTaken(_ session: OpaquePointer?, _ stepsOut: UnsafeMutablePointer<Int>?) -> gn_status {
    withSession(session) { (handle) throws(GNError) in
        try nonNull(stepsOut, "steps_out is NULL").pointee = handle.session.stepsTaken
    }
}

/// The C function `gn_session_sample_steps`; documented in include/gnruntime.h.
@_cdecl("gn_session_sample_steps")
public func cSessionSampleSteps(_ session: OpaquePointer?, _ stepsOut: UnsafeMutablePointer<UInt32>?,
                                _ count: Int) -> gn_status {
    withSession(session) { (handle) throws(GNError) in
        let out = try nonNull(stepsOut, "steps_out is NULL")
        try out.withMemoryRebound(to: Int32.self, capacity: count) { (steps) throws(GNError) in
            try handle.session.sampleSteps(into: UnsafeMutableBufferPointer(start: steps, count: count))
        }
    }
}

/// The C function `gn_session_isa`; documented in include/gnruntime.h.
@_cdecl("gn_session_isa")
public func cSessionInstructionSet(_ session: OpaquePointer?, _ isaOut: UnsafeMutablePointer<gn_isa>?) -> gn_status {
    withSession(session) { (handle) throws(GNError) in
        try nonNull(isaOut, "isa_out is NULL").pointee = gn_isa(handle.session.instructionSet.rawValue)
    }
}

/// The C function `gn_session_layer_kernel`; documented in include/gnruntime.h.
@_cdecl("gn_session_layer_kernel")
public func cSessionLayerKernel(_ session: OpaquePointer?, _ layer: Int,
                                _ nameOut: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                _ isaOut: UnsafeMutablePointer<gn_isa>?) -> gn_status {
    withSession(session) { (handle) throws(GNError) in
        let name = try nonNull(nameOut, "name_out is NULL")
        let isa = try nonNull(isaOut, "isa_out is NULL")
        let kernel = try handle.session.kernel(ofLayer: layer)
        name.pointee = staticCString(kernel?.name ?? "none")
        isa.pointee = kernel.map { gn_isa($0.instructionSet.rawValue) } ?? GN_ISA_AUTO
    }
}

/// The C function `gn_session_begin_stream`; documented in include/gnruntime.h.
@_cdecl("gn_session_begin_stream")
public func cSessionBeginStream(_ session: OpaquePointer?, _ samples: Int) -> gn_status {
    withSession(session) { (handle) throws(GNError) in
        try handle.session.beginStream(samples: samples)
    }
}

/// The C function `gn_session_step`; documented in include/gnruntime.h.
@_cdecl("gn_session_step")
public func cSessionStep(_ session: OpaquePointer?, _ input: UnsafePointer<Float>?, _ inputCount: Int,
                         _ output: UnsafeMutablePointer<Float>?, _ outputCount: Int) -> gn_status {
    withSession(session) { (handle) throws(GNError) in
        let input = try nonNull(input, "input is NULL")
        let output = try nonNull(output, "output is NULL")
        try handle.session.step(input: UnsafeBufferPointer(start: input, count: inputCount),
                                output: UnsafeMutableBufferPointer(start: output, count: outputCount))
    }
}

/// The C function `gn_session_analog_mac_count`; documented in include/gnruntime.h.
@_cdecl("gn_session_analog_mac_count")
public func cSessionAnalogMacCount(_ session: OpaquePointer?, _ macsOut: UnsafeMutablePointer<UInt64>?) -> gn_status {
    withSession(session) { (handle) throws(GNError) in
        try nonNull(macsOut, "macs_out is NULL").pointee = UInt64(handle.session.analogMultiplyAccumulates)
    }
}

/// The C function `gn_session_neuron_layer`; documented in include/gnruntime.h.
@_cdecl("gn_session_neuron_layer")
public func cSessionNeuronLayer(_ session: OpaquePointer?, _ neuronLayer: Int,
                                _ infoOut: UnsafeMutablePointer<gn_neuron_layer_info>?) -> gn_status {
    withSession(session) { (handle) throws(GNError) in
        let out = try nonNull(infoOut, "info_out is NULL")
        let info = try handle.session.neuronLayer(neuronLayer)
        out.pointee = gn_neuron_layer_info(layer: info.layer, neurons: info.neurons, members: UInt32(info.members),
                                           synapses: UInt64(info.synapses))
    }
}

/// The C function `gn_session_spike_counts`; documented in include/gnruntime.h.
@_cdecl("gn_session_spike_counts")
public func cSessionSpikeCounts(_ session: OpaquePointer?, _ spikesOut: UnsafeMutablePointer<UInt64>?,
                                _ operationsOut: UnsafeMutablePointer<UInt64>?, _ count: Int) -> gn_status {
    withSession(session) { (handle) throws(GNError) in
        let spikes = try nonNull(spikesOut, "spikes_out is NULL")
        let operations = try nonNull(operationsOut, "synaptic_operations_out is NULL")
        // The core counts in Int, which is the 64-bit C type's size on the hosts this layer builds for.
        #if _pointerBitWidth(_64)
        try spikes.withMemoryRebound(to: Int.self, capacity: count) { (spikes) throws(GNError) in
            try operations.withMemoryRebound(to: Int.self, capacity: count) { (operations) throws(GNError) in
                try handle.session.spikeCounts(spikes: UnsafeMutableBufferPointer(start: spikes, count: count),
                                               synapticOperations: UnsafeMutableBufferPointer(start: operations, count: count))
            }
        }
        #else
        throw GNError(.unsupported, "spike counts through the C API need a 64-bit host")
        #endif
    }
}

/// The C function `gn_session_set_observer`; documented in include/gnruntime.h.
@_cdecl("gn_session_set_observer")
public func cSessionSetObserver(_ session: OpaquePointer?, _ observer: gn_layer_observer?,
                                _ context: UnsafeMutableRawPointer?) -> gn_status {
    withSession(session) { (handle) throws(GNError) in
        handle.session.observer = observer.map { LayerObserver(function: $0, context: context) }
    }
}

/// The C function `gn_session_observe_input`; documented in include/gnruntime.h.
@_cdecl("gn_session_observe_input")
public func cSessionObserveInput(_ session: OpaquePointer?, _ observe: UInt32) -> gn_status {
    withSession(session) { (handle) throws(GNError) in
        guard observe <= 1 else { throw GNError(.invalidOption, "observe must be 0 or 1", actual: Int(observe)) }
        handle.session.observesInput = observe == 1
    }
}

/// The C function `gn_session_time_layers`; documented in include/gnruntime.h.
@_cdecl("gn_session_time_layers")
public func cSessionTimeLayers(_ session: OpaquePointer?, _ time: UInt32) -> gn_status {
    withSession(session) { (handle) throws(GNError) in
        guard time <= 1 else { throw GNError(.invalidOption, "time must be 0 or 1", actual: Int(time)) }
        try handle.timeLayers(time == 1)
    }
}

/// The C function `gn_session_layer_time`; documented in include/gnruntime.h.
@_cdecl("gn_session_layer_time")
public func cSessionLayerTime(_ session: OpaquePointer?, _ layer: Int, _ nanosecondsOut: UnsafeMutablePointer<UInt64>?) -> gn_status {
    withSession(session) { (handle) throws(GNError) in
        let nanoseconds = try nonNull(nanosecondsOut, "nanoseconds_out is NULL")
        nanoseconds.pointee = try handle.session.layerTime(ofLayer: layer)
    }
}

/// The C function `gn_session_last_error`; documented in include/gnruntime.h.
@_cdecl("gn_session_last_error")
public func cSessionLastError(_ session: OpaquePointer?) -> UnsafePointer<CChar> {
    guard let handle = sessionHandle(session) else { return staticCString("") }
    return UnsafePointer(handle.lastError)
}
