import GNRuntimeCore
import GNRuntimeC

// The ABI of gn_session_options: reading the struct at whatever size the caller's header gave it (and
// in the 0.3 layout, which had no size), filling one with the defaults, and the 0.3 default function.
// The rules are in include/gnruntime.h, above the struct.

/// The size of the 0.4.0 layout, the first with a `size` field: every field through `exit_steps`.
/// No caller has a smaller sized struct; fields added later lie past it.
private let firstSizedLayoutBytes =
    MemoryLayout<gn_session_options>.offset(of: \gn_session_options.exit_steps)! + MemoryLayout<UInt32>.size

/// The largest size accepted: far beyond any layout this struct will grow to, and a bound on how far
/// past the fields it knows the library reads a caller's struct (as Linux bounds clone3's).
private let largestOptionsBytes = 4096

/// The largest first field of a 0.3 struct: its `neuron`, a gn_neuron_kind (0, 1 or 2). Every size is
/// larger.
private let largest03FirstField = UInt32(GN_NEURON_IF.rawValue)

/// The default options in this library's layout, `size` recorded as given.
private func defaultOptions(size: UInt32) -> gn_session_options {
    let defaults = SessionOptions()
    return gn_session_options(
        size: size, neuron: gn_neuron_kind(defaults.neuron.rawValue), tau: UInt32(defaults.tau),
        time_steps: UInt32(defaults.timeSteps), batch: UInt32(defaults.batch), threads: UInt32(defaults.threads),
        schedule: gn_schedule(defaults.schedule.rawValue), isa: GN_ISA_AUTO, layer_tau: nil, layer_tau_count: 0,
        count_spikes: defaults.countsSpikes ? 1 : 0, exit_rule: gn_exit_rule(defaults.exitRule.rawValue),
        exit_margin: defaults.exitMargin, exit_steps: UInt32(defaults.exitSteps))
}

/// The C function `gn_session_options_init`; documented in include/gnruntime.h.
@_cdecl("gn_session_options_init")
public func cSessionOptionsInit(_ options: UnsafeMutablePointer<gn_session_options>?, _ size: Int) -> gn_status {
    guarded { () throws(GNError) in
        let destination = UnsafeMutableRawPointer(try nonNull(options, "options is NULL"))
        guard size >= firstSizedLayoutBytes, size <= largestOptionsBytes else {
            throw GNError(.invalidOption, "size is not that of a gn_session_options (pass sizeof(gn_session_options))",
                          expected: MemoryLayout<gn_session_options>.size, actual: size)
        }
        destination.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        var defaults = defaultOptions(size: UInt32(size))
        withUnsafeBytes(of: &defaults) { known in
            destination.copyMemory(from: known.baseAddress!, byteCount: min(size, known.count))
        }
    }
}

/// The C function `gn_session_options_default` of GNRuntime 0.3, which returned the 0.3 layout: still
/// exported for programs built against 0.3. (This version's header makes `gn_session_options_default`
/// an inline function over gn_session_options_init.)
@_cdecl("gn_session_options_default")
public func cSessionOptionsDefault03() -> gn_session_options_0_3 {
    let defaults = defaultOptions(size: 0)
    return gn_session_options_0_3(
        neuron: defaults.neuron, tau: defaults.tau, time_steps: defaults.time_steps, batch: defaults.batch,
        threads: defaults.threads, schedule: defaults.schedule, layer_tau: nil, layer_tau_count: 0,
        count_spikes: defaults.count_spikes, exit_rule: defaults.exit_rule, exit_margin: defaults.exit_margin,
        exit_steps: defaults.exit_steps)
}

/// The caller's options in this library's layout: a 0.3 struct converted (isa GN_ISA_AUTO), a sized
/// struct read as far as both its size and this library's layout go, the rest at the defaults.
private func currentLayout(_ pointer: UnsafePointer<gn_session_options>) throws(GNError) -> gn_session_options {
    let source = UnsafeRawPointer(pointer)
    let firstField = source.load(as: UInt32.self)
    if firstField <= largest03FirstField {
        let old = source.load(as: gn_session_options_0_3.self)
        var options = defaultOptions(size: UInt32(MemoryLayout<gn_session_options>.size))
        options.neuron = old.neuron
        options.tau = old.tau
        options.time_steps = old.time_steps
        options.batch = old.batch
        options.threads = old.threads
        options.schedule = old.schedule
        options.layer_tau = old.layer_tau
        options.layer_tau_count = old.layer_tau_count
        options.count_spikes = old.count_spikes
        options.exit_rule = old.exit_rule
        options.exit_margin = old.exit_margin
        options.exit_steps = old.exit_steps
        return options
    }
    let size = Int(firstField)
    guard size >= firstSizedLayoutBytes else {
        // A 0.3 struct begins with its neuron kind: a value past the kinds is either.
        throw GNError(.invalidOption,
                      "size is smaller than any gn_session_options (set it with gn_session_options_init); or, in a struct of 0.3, neuron is not a gn_neuron_kind",
                      expected: MemoryLayout<gn_session_options>.size, actual: size)
    }
    guard size <= largestOptionsBytes else {
        throw GNError(.invalidOption, "size is larger than any gn_session_options (set it with gn_session_options_init)",
                      expected: MemoryLayout<gn_session_options>.size, actual: size)
    }
    let known = MemoryLayout<gn_session_options>.size
    // A newer header's fields past this library's layout must be at their default, 0: a field set
    // there would otherwise be ignored without a word.
    for offset in known..<max(known, size) where source.load(fromByteOffset: offset, as: UInt8.self) != 0 {
        throw GNError(.unsupported, "options set a field this library does not know (a newer header's), at byte offset",
                      actual: offset)
    }
    var options = defaultOptions(size: UInt32(size))
    withUnsafeMutableBytes(of: &options) { $0.baseAddress!.copyMemory(from: source, byteCount: min(size, known)) }
    return options
}

/// The Swift options for C options, checking what the C types allow but Swift's do not.
func sessionOptions(_ pointer: UnsafePointer<gn_session_options>?) throws(GNError) -> SessionOptions {
    let options = try currentLayout(try nonNull(pointer, "options is NULL"))
    guard let neuron = NeuronKind(rawValue: UInt32(options.neuron.rawValue)) else {
        throw GNError(.invalidOption, "neuron is not a gn_neuron_kind", actual: Int(options.neuron.rawValue))
    }
    var swiftOptions = SessionOptions()
    swiftOptions.neuron = neuron
    swiftOptions.tau = Int(options.tau)
    swiftOptions.timeSteps = Int(options.time_steps)
    swiftOptions.batch = Int(options.batch)
    swiftOptions.threads = Int(options.threads)
    guard let schedule = Schedule(rawValue: UInt32(options.schedule.rawValue)) else {
        throw GNError(.invalidOption, "schedule is not a gn_schedule", actual: Int(options.schedule.rawValue))
    }
    swiftOptions.schedule = schedule
    guard options.count_spikes <= 1 else {
        throw GNError(.invalidOption, "count_spikes must be 0 or 1", actual: Int(options.count_spikes))
    }
    swiftOptions.countsSpikes = options.count_spikes == 1
    guard let exitRule = ExitRule(rawValue: UInt32(options.exit_rule.rawValue)) else {
        throw GNError(.invalidOption, "exit_rule is not a gn_exit_rule", actual: Int(options.exit_rule.rawValue))
    }
    swiftOptions.exitRule = exitRule
    swiftOptions.exitMargin = options.exit_margin
    swiftOptions.exitSteps = Int(options.exit_steps)
    if let layerTau = options.layer_tau {
        swiftOptions.layerTau = UnsafeBufferPointer(start: layerTau, count: options.layer_tau_count)
    } else if options.layer_tau_count != 0 {
        throw GNError(.nullPointer, "layer_tau is NULL but layer_tau_count is not 0")
    }
    if options.isa != GN_ISA_AUTO {
        guard let set = InstructionSet(rawValue: UInt32(options.isa.rawValue)) else {
            throw GNError(.invalidOption, "isa is not a gn_isa", actual: Int(options.isa.rawValue))
        }
        swiftOptions.instructionSet = set
    }
    return swiftOptions
}
