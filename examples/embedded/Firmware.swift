// The firmware's application: classifies the test images in flash with the model in flash, through
// the runtime core (GNRuntimeCore, a static library built with Embedded Swift), and prints each
// prediction, whether it equals the host runtime's, the accuracy and the instructions per inference.
//
// Nothing here allocates: the model is read in place from flash (borrowed, never copied), the
// session lives in a static arena, and numbers are formatted into a buffer on the stack.
import GNRuntimeCore

/// Writes text and numbers to the host console through semihosting.
enum Console {
    /// Writes a string literal (whose bytes end in a NUL, as every literal's do).
    static func write(_ text: StaticString) {
        precondition(text.hasPointerRepresentation)
        firmware_print(UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self))
    }

    /// Writes an integer in decimal.
    static func write(_ value: Int) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var magnitude = value.magnitude
            var start = buffer.count - 1
            buffer[start] = 0
            repeat {
                start -= 1
                buffer[start] = UInt8(truncatingIfNeeded: 0x30 + magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 {
                start -= 1
                buffer[start] = 0x2D  // "-"
            }
            firmware_print(buffer.baseAddress!.assumingMemoryBound(to: CChar.self) + start)
        }
    }

    /// `numerator / denominator` as a percentage with one decimal.
    static func writePercent(_ numerator: Int, of denominator: Int) {
        let tenths = (numerator * 1000 + denominator / 2) / denominator
        write(tenths / 10)
        write(".")
        write(tenths % 10)
        write("%")
    }
}

/// Stops with a message and the error's status.
func fail(_ what: StaticString, _ error: GNError) -> Never {
    Console.write(what)
    Console.write(": ")
    Console.write(error.status.description)
    Console.write(" - ")
    Console.write(error.message)
    Console.write("\n")
    firmware_exit(1)
}

/// Timer ticks spent in each layer over all runs: the session's layer observer adds the ticks since
/// the previous layer ended (or the run began) to the layer's slot. Floats, which the Cortex-M4 adds in
/// hardware: a 32-bit Int would overflow after a few seconds of RV32 inferences, and 64-bit division
/// needs a run-time library the Cortex-M4 firmware does not link; a profile needs no more than 24 bits.
struct LayerProfile {
    /// The most layers profiled; later layers share the last slot.
    static let slots = 32
    var ticks: (Float, Float, Float, Float, Float, Float, Float, Float,
                Float, Float, Float, Float, Float, Float, Float, Float,
                Float, Float, Float, Float, Float, Float, Float, Float,
                Float, Float, Float, Float, Float, Float, Float, Float) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    /// The timer when the previous layer ended.
    var last: UInt32 = 0

    /// Adds `count` ticks to layer `index`.
    mutating func add(_ count: Int, toLayer index: Int) {
        withUnsafeMutableBytes(of: &ticks) { $0.bindMemory(to: Float.self)[min(index, Self.slots - 1)] += Float(count) }
    }

    /// Ticks of layer `index` so far.
    func ticks(ofLayer index: Int) -> Float {
        withUnsafeBytes(of: ticks) { $0.bindMemory(to: Float.self)[min(index, Self.slots - 1)] }
    }
}

/// The session's layer observer: charges the ticks since the previous event to `layer`.
let profileLayer: LayerObserverFunction = { context, layer, _, _, _ in
    let now = firmware_timer()
    let profile = context!.assumingMemoryBound(to: LayerProfile.self)
    profile.pointee.add(Int(profile.pointee.last &- now), toLayer: layer)  // the timer counts down
    profile.pointee.last = firmware_timer()  // the observer's own time is charged to no layer
}

@_cdecl("firmware_main")
func firmwareMain() {
    let model: ModelView
    do {
        model = try ModelView(validating: UnsafeRawBufferPointer(start: firmware_model, count: firmware_model_size))
    } catch {
        fail("model", error)
    }
    var options = SessionOptions()
    guard let neuron = NeuronKind(rawValue: firmware_session.neuron) else {
        Console.write("unknown neuron kind\n")
        firmware_exit(1)
    }
    options.neuron = neuron
    options.tau = Int(firmware_session.tau)
    options.timeSteps = Int(firmware_session.time_steps)
    options.schedule = .lean
    options.batch = 1

    // The static buffer holds the input and output of one sample, then the session's arena.
    let inputCount = model.inputShape.elementCount
    let outputCount = model.outputShape.elementCount
    let ioBytes = (inputCount + outputCount) * MemoryLayout<Float>.stride
    let arenaStart = (ioBytes + 63) / 64 * 64
    let memory = UnsafeMutableRawBufferPointer(start: firmware_memory, count: firmware_memory_size)
    guard arenaStart < memory.count else {
        Console.write("the static memory cannot hold one input and output\n")
        firmware_exit(1)
    }
    let input = memory.baseAddress!.bindMemory(to: Float.self, capacity: inputCount)
    let output = (memory.baseAddress! + inputCount * MemoryLayout<Float>.stride).bindMemory(to: Float.self, capacity: outputCount)
    let arena = UnsafeMutableRawBufferPointer(rebasing: memory[arenaStart...])

    var session: Session
    let arenaBytes: Int
    do {
        arenaBytes = try Session.arenaBytes(model: model, options: options, scratch: arena)
        session = try Session(model: model, options: options, arena: arena)
    } catch {
        fail("session", error)
    }
    Console.write("model: ")
    Console.write(model.byteCount)
    Console.write(" bytes in flash, ")
    Console.write(model.layerCount)
    Console.write(" layers; session: ")
    Console.write(options.neuron == .ann ? "ANN" : options.neuron == .groupNeuron ? "GN" : "IF")
    Console.write(", tau ")
    Console.write(options.tau)
    Console.write(", T ")
    Console.write(options.timeSteps)
    Console.write(", lean schedule; arena ")
    Console.write(arenaBytes)
    Console.write(" bytes\n")

    Console.write("timer: ")
    Console.write(Int(firmware_calibration_ticks()))
    Console.write(" ticks for ")
    Console.write(Int(FIRMWARE_CALIBRATION_INSTRUCTIONS))
    Console.write(" instructions\n")

    let imageCount = firmware_image_count
    let steps = session.steps
    // The running prediction after each step of one run, on the stack.
    var perStep: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                  UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    guard steps <= MemoryLayout.size(ofValue: perStep) / MemoryLayout<Int32>.stride else {
        Console.write("this firmware keeps the predictions of at most 32 steps\n")
        firmware_exit(1)
    }
    var correct = 0
    var agreeing = 0
    var profile = LayerProfile()
    for image in 0..<imageCount {
        let pixels = firmware_images + image * inputCount
        for index in 0..<inputCount {
            input[index] = Float(Int(pixels[index])) / 255  // Float(Int) is concrete; the generic init is not allocation-free
        }
        let started = firmware_timer()
        do {
            try withUnsafeMutablePointer(to: &profile) { (pointer) throws(GNError) in
                session.observer = LayerObserver(function: profileLayer, context: UnsafeMutableRawPointer(pointer))
                pointer.pointee.last = firmware_timer()
                try session.run(input: UnsafeBufferPointer(start: input, count: inputCount), samples: 1,
                            output: UnsafeMutableBufferPointer(start: output, count: outputCount))
                session.observer = nil
            }
        } catch {
            fail("run", error)
        }
        let ticks = started &- firmware_timer()  // the timer counts down
        let (prediction, sameAsHost) = withUnsafeMutableBytes(of: &perStep) { bytes in
            let predictions = UnsafeMutableBufferPointer(rebasing: bytes.bindMemory(to: Int32.self)[0..<steps])
            do throws(GNError) {
                try session.predictions(into: predictions)
            } catch {
                fail("predictions", error)
            }
            let host = firmware_host_predictions + image * steps
            var same = true
            for step in 0..<steps where predictions[step] != host[step] { same = false }
            return (Int(predictions[steps - 1]), same)
        }
        let label = Int(firmware_labels[image])
        if prediction == label { correct += 1 }
        if sameAsHost { agreeing += 1 }
        Console.write("image ")
        Console.write(image)
        Console.write(": label ")
        Console.write(label)
        Console.write(", predicted ")
        Console.write(prediction)
        Console.write(sameAsHost ? ", at every step as on the host" : ", NOT as on the host")
        Console.write("; timer ticks ")
        Console.write(Int(ticks))
        Console.write("\n")
    }
    Console.write("accuracy: ")
    Console.write(correct)
    Console.write("/")
    Console.write(imageCount)
    Console.write(" (")
    Console.writePercent(correct, of: imageCount)
    Console.write(")\nequal to the host runtime: ")
    Console.write(agreeing)
    Console.write("/")
    Console.write(imageCount)
    // Each layer's share: its ticks over all images, as thousands of instructions per inference. A
    // convolution the lean schedule computes in bands includes the neuron layer after it, which runs
    // band by band with it.
    let instructionsPerTick = Float(Int(FIRMWARE_CALIBRATION_INSTRUCTIONS)) / Float(max(1, Int(firmware_calibration_ticks())))
    for layer in 0..<model.layerCount {
        let ticks = profile.ticks(ofLayer: layer)
        Console.write("\nlayer ")
        Console.write(layer)
        Console.write(" (")
        do throws(GNError) {
            if let kernel = try session.kernel(ofLayer: layer) { Console.write(kernel.name) } else { Console.write("view") }
        } catch {
            fail("kernel", error)
        }
        Console.write("): ")
        Console.write(Int(ticks / Float(imageCount) * instructionsPerTick / 1000))
        Console.write(" thousand instructions per inference")
        if layer > 0 && session.computesInBands(layer: layer) { Console.write(" (computed with the convolution before it, band by band)") }
    }
    Console.write("\nstack: at most ")
    Console.write(Int(firmware_stack_bytes_used()))
    Console.write(" bytes used\n")
    if agreeing != imageCount { firmware_exit(1) }
}
