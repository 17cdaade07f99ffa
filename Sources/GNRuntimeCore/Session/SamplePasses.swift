import GNKernelInterface

/// Where a pass of samples runs (`Session.runInPasses`): on thread `worker`, which computes its every
/// task with its own scratch, in that thread's activation region (`ArenaLayout.passRegionBytes`); its
/// samples start at `firstSample`, where its input lies in the arena.
struct PassPlace {
    var worker: Int
    var firstSample: Int
}

/// Passes of samples: a layer-by-layer run takes its samples through the network a pass at a time
/// (`ArenaLayout.samplesPerPass`), so that a pass's activations, all T steps, stay in cache; with
/// several threads, each thread takes passes of its own, with no wait between layers.
extension Session {
    #if !hasFeature(Embedded)  // microcontrollers take one pass (`Planner.samplesPerPass`)
    /// Runs `samples` samples, whose input (NCHW) is at `input`, layer by layer: in passes, on the
    /// calling thread or — when each of several threads gets two passes or more — on every thread, a
    /// pass each in turn; else (few samples, or an observer set, which sees each layer's output for all
    /// samples at once) in one pass, each layer's tasks spread over the workers.
    func runInPasses(input: UnsafePointer<Float>, samples: Int) {
        let passes = layout.passes(samples: samples)
        guard observer == nil, passes > 1,
              workers.map({ layout.passesInParallel(samples: samples, threads: $0.count) }) ?? true else {
            loadInput(input, samples: samples)
            runLayerByLayer(slots: 0..<samples, place: nil)
            return
        }
        var job = PassJob(session: self, input: input, samples: samples)
        withUnsafePointer(to: &job) { job in
            if let workers {
                workers.dispatch(workers.context, UnsafeRawPointer(job), PassJob.run, passes)
            } else {
                PassJob.run(UnsafeRawPointer(job), 0, 0, passes)
            }
        }
    }

    /// Runs pass `index` of a run of `samples` samples whose input is at `input`, on thread `worker`.
    fileprivate func runPass(_ index: Int, input: UnsafePointer<Float>, samples: Int, worker: Int) {
        let first = index * layout.samplesPerPass
        let slots = first..<min(samples, first + layout.samplesPerPass)
        loadInput(input + first * inputElements, samples: slots.count, firstSample: first)
        runLayerByLayer(slots: slots, place: PassPlace(worker: worker, firstSample: first))
    }
    #endif

    /// The arena offset of a tensor that lies at `offset` for the batch and at `passOffset` for a pass
    /// (−1: no tensor), in the run of `place` (nil: the batch's). A pass's model input lies at its first
    /// sample; its other tensors in its thread's region.
    @inline(__always)
    func tensorOffset(_ offset: Int, pass passOffset: Int, _ place: PassPlace?) -> Int {
        #if hasFeature(Embedded)
        return offset   // one pass, the batch's (`Planner.samplesPerPass`)
        #else
        guard let place, offset >= 0 else { return offset }
        if passOffset == layout.inputOffset { return passOffset + place.firstSample * inputElements * MemoryLayout<Float>.stride }
        return passOffset + place.worker * layout.passRegionBytes
        #endif
    }
}

#if !hasFeature(Embedded)
/// The passes of one run, a task each (`Session.runInPasses`).
private struct PassJob {
    var session: Session
    var input: UnsafePointer<Float>
    var samples: Int

    static var run: TaskFunction {
        { job, worker, begin, end in
            let passes = job.assumingMemoryBound(to: PassJob.self)
            for index in begin..<end {
                passes.pointee.session.runPass(index, input: passes.pointee.input, samples: passes.pointee.samples, worker: worker)
            }
        }
    }
}
#endif
