import GNRuntimeCore
import GNRuntimeC

/// A session as C callers hold it: the core session, the model it keeps alive, its arena (owned or
/// borrowed) and the message of its last failure.
final class SessionHandle {
    /// The model; held so that it lives as long as the session.
    let model: ModelHandle
    /// The core session.
    var session: Session
    /// The arena, when the handle allocated it.
    private let ownedArena: UnsafeMutableRawPointer?
    /// The worker threads, when the session uses more than one thread.
    private let pool: ThreadPool?
    /// The last failure's message, NUL-terminated; allocated once, at creation.
    let lastError: UnsafeMutablePointer<CChar>
    /// The counters of the session's layer times while it times layers (`timeLayers`), else nil.
    private var layerTimeCounters: UnsafeMutableRawPointer?

    private init(model: ModelHandle, session: Session, ownedArena: UnsafeMutableRawPointer?, pool: ThreadPool?,
                 lastError: UnsafeMutablePointer<CChar>) {
        self.model = model
        self.session = session
        self.ownedArena = ownedArena
        self.pool = pool
        self.lastError = lastError
    }

    deinit {
        if let ownedArena { AlignedMemory.release(ownedArena) }
        if let layerTimeCounters { AlignedMemory.release(layerTimeCounters) }
        lastError.deallocate()
    }

    /// Times the session's layers in later runs (`Session.setLayerTimes`, on the monotonic clock), or
    /// no longer: counters allocated on the first call with `time` true and kept, with the times of the
    /// last run, over later such calls; freed with false. OUT_OF_MEMORY leaves the session as it was.
    func timeLayers(_ time: Bool) throws(GNError) {
        guard time else {
            try session.setLayerTimes(nil)
            if let layerTimeCounters { AlignedMemory.release(layerTimeCounters) }
            layerTimeCounters = nil
            return
        }
        guard layerTimeCounters == nil else { return }
        let count = session.threads * model.view.layerCount
        let counters = try AlignedMemory.allocate(byteCount: count * MemoryLayout<UInt64>.stride)
        let nanoseconds = counters.bindMemory(to: UInt64.self, capacity: count)
        nanoseconds.initialize(repeating: 0, count: count)
        do {
            try session.setLayerTimes(LayerTimes(clock: { UInt64(truncatingIfNeeded: MonotonicClock.nanoseconds()) },
                                                 nanoseconds: nanoseconds, layerCount: model.view.layerCount,
                                                 threads: session.threads))
        } catch {
            AlignedMemory.release(counters)
            throw error
        }
        layerTimeCounters = counters
    }

    /// The arena bytes a session needs, planned in temporary memory.
    static func arenaBytes(model: ModelHandle, options: SessionOptions) throws(GNError) -> Int {
        try plannedBytes(model: model, options: try resolved(options))
    }

    /// A session in an arena it allocates.
    static func create(model: ModelHandle, options: SessionOptions) throws(GNError) -> SessionHandle {
        let options = try resolved(options)
        let bytes = try plannedBytes(model: model, options: options)
        let arena = try AlignedMemory.allocate(byteCount: bytes)
        do {
            return try make(model: model, options: options,
                            arena: UnsafeMutableRawBufferPointer(start: arena, count: bytes), owned: true)
        } catch {
            AlignedMemory.release(arena)
            throw error
        }
    }

    /// A session in the caller's arena (`owned: false`) or in one the handle frees (`owned: true`).
    static func create(model: ModelHandle, options: SessionOptions, arena: UnsafeMutableRawBufferPointer,
                       owned: Bool) throws(GNError) -> SessionHandle {
        try make(model: model, options: try resolved(options), arena: arena, owned: owned)
    }

    /// `options` as this library runs them: with no instruction set asked for, `GNRUNTIME_ISA`'s
    /// (`Environment`), else the CPU's widest (the core's default).
    private static func resolved(_ options: SessionOptions) throws(GNError) -> SessionOptions {
        guard options.instructionSet == nil else { return options }
        var resolved = options
        resolved.instructionSet = try Environment.instructionSet()
        return resolved
    }

    private static func plannedBytes(model: ModelHandle, options: SessionOptions) throws(GNError) -> Int {
        let bytes = Session.scratchBytes(for: model.view)
        let scratch = try AlignedMemory.allocate(byteCount: bytes)
        defer { AlignedMemory.release(scratch) }
        return try Session.arenaBytes(model: model.view, options: options,
                                      scratch: UnsafeMutableRawBufferPointer(start: scratch, count: bytes))
    }

    private static func make(model: ModelHandle, options: SessionOptions, arena: UnsafeMutableRawBufferPointer,
                             owned: Bool) throws(GNError) -> SessionHandle {
        var session = try Session(model: model.view, options: options, arena: arena)
        let pool = options.threads > 1 ? try ThreadPool(count: options.threads) : nil
        if let pool { try session.setWorkers(pool.workers) }
        let message = UnsafeMutablePointer<CChar>.allocate(capacity: Int(GN_INTERNAL_MESSAGE_CAPACITY))
        message[0] = 0
        return SessionHandle(model: model, session: session, ownedArena: owned ? arena.baseAddress : nil, pool: pool,
                             lastError: message)
    }
}
