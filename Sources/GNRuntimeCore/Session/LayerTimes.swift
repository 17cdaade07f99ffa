#if !hasFeature(Embedded)  // microcontrollers time their layers from outside, with their own timers
/// Where a session adds up the time each layer takes as it runs (`Session.setLayerTimes`): a clock read
/// before and after each layer, and one counter of nanoseconds per layer and thread, so that threads
/// taking passes of samples at once each add to their own.
///
/// The times are those of the run as the session runs it — unobserved, layer by layer at T > 1 in
/// passes of samples, step by step or at T = 1 with the neuron layers that convolutions compute in their
/// tasks — unlike an observer's timestamps, whose observer makes every layer run on its own over the
/// whole batch (with one set, layers are timed so, its calls left out). A convolution and the neuron
/// layer it computes in its tasks share the time they took together as their tasks did (each part of
/// each group of tasks timed, `FusedNeuron`); an add computed in another layer's tasks (the neuron
/// layer's after it) and a convolution computed in bands in its neuron layer's take 0: their time is
/// in that layer's.
public struct LayerTimes {
    /// A monotonic clock, in nanoseconds.
    public typealias Clock = @convention(c) () -> UInt64

    /// The clock read before and after each layer.
    public let clock: Clock
    /// `threads × layerCount` counters: thread `t`'s time in layer `l` at `t · layerCount + l`.
    /// Borrowed: the caller allocates and frees them, and keeps them while the session has them.
    public let nanoseconds: UnsafeMutablePointer<UInt64>
    /// The model's layers.
    public let layerCount: Int
    /// The threads counted apart: at least the session's `threads`.
    public let threads: Int
    /// Whether a run or a stream has started since the times were set: before one, they hold nothing.
    public internal(set) var hasTimes = false

    /// Times over `nanoseconds` (`threads × layerCount` counters, borrowed), read with `clock`.
    public init(clock: Clock, nanoseconds: UnsafeMutablePointer<UInt64>, layerCount: Int, threads: Int) {
        self.clock = clock
        self.nanoseconds = nanoseconds
        self.layerCount = layerCount
        self.threads = threads
    }

    /// Layer `layer`'s time in the last run (or the stream's steps so far), summed over the threads:
    /// where several threads took passes at once, more than the time the run took in it.
    public func nanoseconds(ofLayer layer: Int) -> UInt64 {
        (0..<threads).reduce(0) { $0 &+ nanoseconds[$1 * layerCount + layer] }
    }

    /// Sets every counter to 0, as a run or stream starts.
    mutating func start() {
        nanoseconds.update(repeating: 0, count: threads * layerCount)
        hasTimes = true
    }

    /// Adds the time since `start` (a reading of `clock`) to layer `layer`'s counter of thread `thread`.
    @inline(__always)
    func add(since start: UInt64, layer: Int, thread: Int) {
        nanoseconds[thread * layerCount + layer] &+= clock() &- start
    }

    /// Adds the time since `start`, that of convolution `convolution` and the neuron layer `neuron` it
    /// computed in its tasks, to thread `thread`'s counters of the two: to the neuron layer's the share
    /// its tasks took of the job's thread time, the rest to the convolution's. `partTimes` holds, for
    /// each of `threads` workers, the time its convolution's tasks took, then its neuron layer's
    /// (`FusedNeuron.timing`).
    func add(since start: UInt64, convolution: Int, neuron: Int, partTimes: UnsafePointer<UInt64>, thread: Int) {
        let time = clock() &- start
        var convolutionPart: UInt64 = 0, neuronPart: UInt64 = 0
        for worker in 0..<threads {
            convolutionPart &+= partTimes[2 * worker]
            neuronPart &+= partTimes[2 * worker + 1]
        }
        let (total, overflow) = convolutionPart.addingReportingOverflow(neuronPart)
        // time × neuron / total, exact and within range: the quotient is at most `time`.
        let neuronTime = overflow || total == 0 ? 0 : total.dividingFullWidth(time.multipliedFullWidth(by: neuronPart)).quotient
        nanoseconds[thread * layerCount + neuron] &+= neuronTime
        nanoseconds[thread * layerCount + convolution] &+= time &- neuronTime
    }
}
#endif
