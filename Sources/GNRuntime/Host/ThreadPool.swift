#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import GNCPUFeatures
import GNRuntimeC
import GNRuntimeCore
import Synchronization

/// A persistent pool of worker threads for one session: `count − 1` threads, plus the thread that
/// dispatches, run the tasks of each job. Dispatching allocates nothing; freeing the pool stops and
/// joins its threads. The workers are named `gnruntime-work` (`top -H`, debuggers). Built to stay
/// fast when other programs (or the host's own threads) take cores (docs/architecture.md, "Threads"):
///
/// - **Shared tasks, each thread's own first.** A job's tasks are cut into one contiguous share per
///   thread, each with its own claim counter that also carries the job's number. A thread claims
///   chunks of its own share first (a quarter of it, smaller as the share ends; in a job of few tasks,
///   the whole share), then of the others' in turn, so any thread takes whatever is left — the
///   dispatching thread alone can run a whole job — and a thread that arrives late (asleep, or
///   descheduled) claims nothing of a job that is done.
///   Kernels number their tasks sample by sample (or, for layers of many weights, block of output
///   channels by block), so the same thread computes the same samples layer after layer, and reads
///   from its own caches the activations it wrote: ResNet-20 at batch 32 on two threads ran 1.07×
///   as fast as with one counter for all (docs/benchmarks.md). The dispatching thread waits only
///   for chunks already claimed to finish, never for a thread to show up.
/// - **Bounded spinning, then sleeping.** Idle workers spin for `workerSpin` after a job (layers
///   follow each other within microseconds), then sleep until the next. The dispatching thread spins
///   for `dispatcherSpin` on a claimed chunk, then sleeps until it is done, which frees its core for the
///   thread it waits on.
/// - **Woken off the dispatching thread's CPU.** A scheduler that packs threads onto few CPUs (as a
///   virtual machine's guest kernel was seen to) wakes a worker, and starts a new one, on the CPU of the
///   thread that wakes or creates it, where it waits behind that thread, busy with its own share, until
///   the next tick (4 ms at 250 Hz) while another CPU idles: a run at batch 1 then takes one thread's
///   time (docs/benchmarks.md, "AMD EPYC again"). So before it wakes sleeping workers (and once new ones
///   have started, those that spin) the dispatching thread takes its own CPU out of their affinity, and
///   each gives it back when it next sees a job or goes to sleep, so that none sleeps kept off a CPU:
///   where a worker starts, not where it stays (`moveWorkersOffThisCPU`).
/// - **Backing off.** Two signs say that another program has a core the pool counts on: the dispatching
///   thread was preempted repeatedly (`preemptionsPerWindow` involuntary context switches within
///   `preemptionWindow`, read every `preemptionPeek`, so that the sign is taken when it shows: taken at
///   the window's end, each try of the workers under such a load ran 8 ms at the shared cores' pace,
///   and ResNet-20 GN τ = 4 T = 4 at batch 1 took 1.10× as long on two threads as on one over its first
///   ten runs, docs/benchmarks.md), or its waits on chunks held by workers lost more than
///   `stallThreshold` beyond what the jobs with workers saved since the last back-off (a job saves what
///   it would have taken alone, at the dispatching thread's pace, less what it took; at most
///   `savingsKept` is kept, so that a core taken for a few milliseconds now and then, as a virtual
///   machine's neighbours take it, does not cost the second thread: ResNet-20 GN τ = 8 T = 1 at batch
///   32 ran 1.37–1.43× as fast with a core busy 2 ms in 10, docs/benchmarks.md). A pool with more
///   threads than it gets cores is slower than one thread, so on either sign it runs the next
///   `firstBackoff` jobs on the dispatching thread alone (its workers go to sleep), then tries its
///   workers again: four times as many jobs alone (up to `longestBackoff`) when a sign comes before a
///   whole `preemptionWindow` with workers has passed, the first length again after such a window
///   without one. On free cores the signs are rare and isolated (the occasional preemption by the
///   system, a virtual machine's CPU paused by its host), and cost one short back-off each. Every
///   back-off also ends after a time, whichever comes first: `firstBackoffTime` for the first, eight
///   times as long for each fourfold length (16 ms, 128 ms, 1 s), so that back-offs stay short where
///   jobs are long (a layer of a large batch takes milliseconds: 64 of them are a whole run, 4096 of
///   them seconds, which kept VGG-16 at batch 32 on one thread through whole profiles), while short
///   jobs still end them by their count (time growing only as fast as the count, 128 ms at most, made
///   the pool try its workers so often under a load that stays that ResNet-20 at batch 1 ran 0.88× as
///   fast) — or after `stallsPaidBack` times the wait that started it, if longer: a worker descheduled
///   for a time slice of another program makes the dispatching thread wait 2–16 ms, which a back-off of
///   2 ms cannot pay back.
final class ThreadPool {
    /// Threads that run tasks, the dispatching thread included.
    var count: Int { shared.count }

    /// Chunks of at least this many tasks shrink as a share ends (`Shared.chunk`); a job whose chunks of
    /// a quarter of a share would be smaller goes in whole shares (`Shared.largestChunk`).
    static let shrinkingChunk = 16

    /// How long an idle worker spins before it sleeps, in nanoseconds.
    static let workerSpin = 100_000
    /// How long the dispatching thread spins on claimed chunks before it sleeps, in nanoseconds.
    static let dispatcherSpin = 20_000
    /// The shortest wait on a worker that counts as its core being taken, in nanoseconds: longer than
    /// the pauses of a virtual machine's CPUs (70–170 µs, several a second, on an idle 2-core VM; at
    /// 50 µs they kept an idle pool on one thread for hundreds of jobs), shorter than the scheduler's
    /// time slice, for which another program holds a shared core.
    static let stallThreshold = 500_000
    /// The most that jobs with workers save up against later waits on workers, in nanoseconds: a few
    /// milliseconds of another program's burst, not a scheduler's time slice after another.
    static let savingsKept = 2_000_000
    /// Jobs run on the dispatching thread alone after a first sign of a taken core, and at most.
    static let firstBackoff = 64
    static let longestBackoff = 4096
    /// The longest the first back-off lasts, in nanoseconds, however few of its jobs have run (a later
    /// one: eight times as long for each fourfold length), unless the wait on a worker that started it
    /// was longer than that time over `stallsPaidBack`: it then lasts up to `stallsPaidBack` times that
    /// wait.
    static let firstBackoffTime = 2_000_000
    static let stallsPaidBack = 4

    /// A window of jobs with workers (nanoseconds) in which `preemptionsPerWindow` involuntary
    /// context switches of the dispatching thread are a sign that its core is shared. With a busy
    /// program on one of two cores it is preempted every few milliseconds; on free cores, rarely.
    static let preemptionWindow = 8_000_000
    static let preemptionsPerWindow = 2
    /// How often the involuntary context switches are read within a window (nanoseconds), so that
    /// a window's sign is taken when it shows rather than when the window ends.
    static let preemptionPeek = 500_000

    /// What the threads share. The workers hold it, not the pool, so that the pool's owner alone
    /// decides when the pool ends.
    private let shared: Shared
    private var threads: [pthread_t] = []

    /// A pool of `count` threads (the caller's included); `count − 1` threads start now. Its first
    /// back-off ends after `firstBackoffTime` nanoseconds at the latest (the type's default unless a test
    /// says).
    init(count: Int, firstBackoffTime: Int = ThreadPool.firstBackoffTime) throws(GNError) {
        shared = Shared(count: count, backoff: Backoff(firstTime: firstBackoffTime))
        for index in 1..<max(count, 1) {
            let start = UnsafeMutablePointer<WorkerStart>.allocate(capacity: 1)
            start.initialize(to: WorkerStart(shared: Unmanaged.passRetained(shared), index: index))
            var thread = pthread_t()
            let result = pthread_create(&thread, nil, { argument in
                let start = argument!.assumingMemoryBound(to: WorkerStart.self)
                let (shared, index) = (start.pointee.shared, start.pointee.index)
                start.deinitialize(count: 1)
                start.deallocate()
                gn_internal_name_worker_thread()
                shared.takeUnretainedValue().work(index: index)
                shared.release()
                return nil
            }, start)
            guard result == 0 else {
                start.pointee.shared.release()
                start.deinitialize(count: 1)
                start.deallocate()
                stop()
                throw GNError(.outOfMemory, "could not start a worker thread", expected: count, actual: index)
            }
            threads.append(thread)
        }
        shared.waitForWorkers()
        shared.moveWorkersOffThisCPU(asleep: false)
    }

    deinit {
        stop()
    }

    /// Stops the workers and waits for them to end.
    private func stop() {
        shared.stop()
        for thread in threads { pthread_join(thread, nil) }
        threads.removeAll()
    }

    /// The `Workers` a session uses to dispatch through this pool; valid while the pool lives.
    var workers: Workers {
        Workers(count: count, context: Unmanaged.passUnretained(shared).toOpaque()) { context, job, function, tasks in
            Unmanaged<Shared>.fromOpaque(context!).takeUnretainedValue().run(job: job, function: function, tasks: tasks)
        }
    }

    /// Jobs the pool will run on the dispatching thread alone before it tries its workers again.
    var jobsLeftAlone: Int { shared.jobsLeftAlone }

    /// How many times a worker has been moved off the dispatching (or creating) thread's CPU so far.
    var workersMoved: Int { shared.workersMoved }

    private struct WorkerStart {
        var shared: Unmanaged<Shared>
        var index: Int
    }

    /// The calling thread's involuntary context switches so far.
    private static func involuntarySwitches() -> Int {
        var usage = rusage()
        // RUSAGE_THREAD (Linux; Glibc hides its name from Swift without _GNU_SOURCE).
        let thisThread = __rusage_who_t(1)
        guard getrusage(thisThread, &usage) == 0 else { return 0 }
        return usage.ru_nivcsw
    }

    /// The claim counter of one thread's share of a job (`Shared.counters`), with room after it so that
    /// two counters never share a cache line (each object is 16 bytes of header, 8 of counter and 56
    /// of room: the next one's counter lies at least 64 bytes further). A class, so that the counter
    /// is a stored `Atomic` (an `UnsafeMutablePointer<Atomic<Int>>` needs `Atomic`'s type descriptor,
    /// which the static library's users do not link).
    private final class ClaimCounter: @unchecked Sendable {
        let claims = Atomic<Int>(0)
        private let room: (Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0)
    }

    /// Where a worker runs: its thread id, written once before the pool's creation returns; whether it
    /// sleeps; and the CPU the dispatching thread took out of its affinity (−1: none), which the worker
    /// gives back when it next sees a job or goes to sleep (`Shared.moveWorkersOffThisCPU`). The worker
    /// reads it at every job, so it has room around it as a claim counter does: no line written at every
    /// job holds it.
    private final class WorkerPlacement: @unchecked Sendable {
        let avoidedCPU = Atomic<Int>(-1)
        let asleep = Atomic<Bool>(false)
        var thread: Int32 = -1
        private let room: (Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0)

        /// On the worker's own thread: its affinity whole again, if a CPU was taken out of it.
        func giveBackAvoidedCPU() {
            guard avoidedCPU.load(ordering: .relaxed) >= 0 else { return }
            let cpu = avoidedCPU.exchange(-1, ordering: .acquiring)
            if cpu >= 0 { gn_internal_thread_allow_cpu(Int32(cpu)) }
        }
    }

    /// The job, the counters and the sleeping places the threads share.
    private final class Shared: @unchecked Sendable {
        let count: Int

        /// The claim counters, one per thread's share of a job (`share`): the job's number in the high
        /// 32 bits, the share's tasks not yet claimed in the low 32 (claimed from the front: the next
        /// is the share's end less them). Workers learn of a new job from the first share's counter,
        /// opened last.
        ///
        /// A job is written over the one before only when every task of that one is done, so every
        /// share of it has none left: a thread still reading its counters can claim nothing, whatever
        /// it reads of the job, and no counter needs closing while the next job is written — which
        /// would take each counter's cache line from the core that last claimed from it, one transfer
        /// after another, on every job.
        private let counters: [ClaimCounter]

        /// Whether claim counter value `claims` is of a job numbered other than `seen`.
        private static func opensNewJob(_ claims: Int, after seen: Int) -> Bool { claims >> 32 != seen }
        // The job, written before its counters open, read after (atomics, so that a late reader of a
        // job being replaced reads whole values: it then finds nothing left to claim, or a newer job's
        // number, and claims nothing; a thread whose claim succeeds read the job it claimed from).
        private let job = Atomic<UInt>(0)
        private let function = Atomic<UInt>(0)
        private let tasks = Atomic<Int>(0)
        /// The largest chunk of the current job (`largestChunk`).
        private let chunk = Atomic<Int>(1)
        /// Tasks of the current job that the workers finished; the dispatching thread counts its own
        /// apart and only reads this, so that it never takes the line from a worker to add to it. While
        /// it sleeps, each worker's chunk wakes it to check (with more than two threads, some of those
        /// wakes find chunks still out).
        private let completed = Atomic<Int>(0)

        private let sleepers = Atomic<Int>(0)
        /// One per thread (the dispatching thread's unused); `thread` written under `mutex` as each
        /// worker starts.
        private let placements: [WorkerPlacement]
        private let dispatcherSleeps = Atomic<Bool>(false)
        private let stopping = Atomic<Bool>(false)
        private let mutex: UnsafeMutablePointer<pthread_mutex_t>
        /// Where idle workers sleep.
        private let workAvailable: UnsafeMutablePointer<pthread_cond_t>
        /// Where the dispatching thread sleeps until claimed chunks finish.
        private let jobDone: UnsafeMutablePointer<pthread_cond_t>

        // The dispatching thread's own state.
        private var jobNumber = 0
        private(set) var workersMoved = 0
        private var backoff: Backoff

        /// Jobs the pool will run on the dispatching thread alone before it tries its workers again.
        var jobsLeftAlone: Int { backoff.jobsLeftAlone }

        init(count: Int, backoff: Backoff) {
            self.count = count
            self.backoff = backoff
            counters = (0..<max(count, 1)).map { _ in ClaimCounter() }
            placements = (0..<max(count, 1)).map { _ in WorkerPlacement() }
            mutex = .allocate(capacity: 1)
            workAvailable = .allocate(capacity: 1)
            jobDone = .allocate(capacity: 1)
            pthread_mutex_init(mutex, nil)
            pthread_cond_init(workAvailable, nil)
            pthread_cond_init(jobDone, nil)
        }

        deinit {
            pthread_cond_destroy(jobDone)
            pthread_cond_destroy(workAvailable)
            pthread_mutex_destroy(mutex)
            jobDone.deallocate()
            workAvailable.deallocate()
            mutex.deallocate()
        }

        /// Tells the workers to end, and wakes the sleeping ones.
        func stop() {
            stopping.store(true, ordering: .sequentiallyConsistent)
            pthread_mutex_lock(mutex)
            pthread_cond_broadcast(workAvailable)
            pthread_mutex_unlock(mutex)
        }

        /// Runs `tasks` tasks of `job` on the pool and returns when every task is done.
        func run(job: UnsafeRawPointer, function: TaskFunction, tasks: Int) {
            if backoff.takeJobAlone(now: MonotonicClock.nanoseconds) {
                function(job, 0, 0, tasks)
                return
            }
            // Write the job under a new number, then open the counters.
            jobNumber = jobNumber == 0x7fff_ffff ? 1 : jobNumber + 1
            let opened = jobNumber << 32
            let largestChunk = Shared.largestChunk(tasks: tasks, threads: count)
            self.job.store(UInt(bitPattern: job), ordering: .relaxed)
            self.function.store(UInt(bitPattern: unsafeBitCast(function, to: UnsafeRawPointer.self)), ordering: .relaxed)
            self.tasks.store(tasks, ordering: .relaxed)
            chunk.store(largestChunk, ordering: .relaxed)
            completed.store(0, ordering: .relaxed)
            // The first share last: a worker that sees it open finds every share open. The dispatching
            // thread's first chunk is its own from the start (no claim to make).
            for share in (1..<count).reversed() {
                counters[share].claims.store(opened | Shared.share(share, of: tasks, threads: count).count, ordering: .releasing)
            }
            let firstShare = Shared.share(0, of: tasks, threads: count)
            let firstChunk = Shared.chunk(largest: largestChunk, left: firstShare.count)
            counters[0].claims.store(opened | (firstShare.count - firstChunk), ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 { wakeWorkers() }
            let start = MonotonicClock.nanoseconds()
            if firstChunk > 0 { function(job, 0, 0, firstChunk) }
            let ownTasks = firstChunk + runTasks(worker: 0, jobNumber: jobNumber)
            let ownEnd = MonotonicClock.nanoseconds()
            waitForClaimedChunks(tasks: tasks - ownTasks, since: ownEnd)
            let end = MonotonicClock.nanoseconds()
            backoff.record(end: end, ownTime: ownEnd - start, waited: end - ownEnd, ownTasks: ownTasks,
                           tasks: tasks, involuntarySwitches: ThreadPool.involuntarySwitches)
        }

        /// Wakes the sleeping workers, moved off the dispatching thread's CPU first (the type's comment,
        /// "Woken off the dispatching thread's CPU").
        private func wakeWorkers() {
            moveWorkersOffThisCPU(asleep: true)
            pthread_mutex_lock(mutex)
            pthread_cond_broadcast(workAvailable)
            pthread_mutex_unlock(mutex)
        }

        /// Takes the calling thread's current CPU out of the affinity of each worker that sleeps (`asleep`)
        /// or that spins (not), where the worker may run on another and has given back any taken before;
        /// the worker gives it back when it next sees a job or goes to sleep (`work`). Once new workers
        /// have started it moves those that spin (the kernel moves a running thread at once); one that
        /// has gone to sleep by then is moved when a job wakes it.
        func moveWorkersOffThisCPU(asleep: Bool) {
            let cpu = Int(gn_internal_current_cpu())
            guard cpu >= 0 else { return }
            for placement in placements.dropFirst()
            where placement.asleep.load(ordering: .relaxed) == asleep && placement.avoidedCPU.load(ordering: .relaxed) < 0 {
                if gn_internal_thread_avoid_cpu(placement.thread, Int32(cpu)) != 0 {
                    placement.avoidedCPU.store(cpu, ordering: .releasing)
                    workersMoved += 1
                }
            }
        }

        /// Sleeps until every worker has started (`work`) and written its thread id in `placements`.
        func waitForWorkers() {
            pthread_mutex_lock(mutex)
            while placements.dropFirst().contains(where: { $0.thread < 0 }) { pthread_cond_wait(jobDone, mutex) }
            pthread_mutex_unlock(mutex)
        }

        /// Spins, then sleeps, until the workers have finished `tasks` tasks of the current job: those
        /// the dispatching thread did not run.
        private func waitForClaimedChunks(tasks: Int, since start: Int) {
            var polls = 0
            while completed.load(ordering: .acquiring) < tasks {
                gn_internal_cpu_relax()
                polls += 1
                if polls % 64 == 0 && MonotonicClock.nanoseconds() - start > ThreadPool.dispatcherSpin {
                    pthread_mutex_lock(mutex)
                    dispatcherSleeps.store(true, ordering: .sequentiallyConsistent)
                    while completed.load(ordering: .sequentiallyConsistent) < tasks {
                        pthread_cond_wait(jobDone, mutex)
                    }
                    dispatcherSleeps.store(false, ordering: .sequentiallyConsistent)
                    pthread_mutex_unlock(mutex)
                    return
                }
            }
        }

        /// The largest chunk of a job of `tasks` tasks run by `threads` threads: a quarter of a thread's
        /// share, or in a job of few tasks (a layer at batch 1: a quarter under `shrinkingChunk`), the
        /// whole share. Each call of a kernel starts cold — a row kernel converts every input row its
        /// first output row reads, where each next output row converts one, and clears its scratch — and
        /// one call per share (three for a share of `shrinkingChunk` tasks or more, which shrinks) instead
        /// of four made ResNet-20's int8 form at batch 1 on two threads 1.03–1.07× as fast, its FP32 form
        /// 1.00–1.03× (docs/benchmarks.md).
        static func largestChunk(tasks: Int, threads: Int) -> Int {
            let quarter = tasks / (threads * 4)
            return quarter >= ThreadPool.shrinkingChunk ? quarter : max(1, (tasks + threads - 1) / threads)
        }

        /// The chunk to claim next of a share with `left` tasks left, in a job whose largest chunk is
        /// `largest`. Chunks of `shrinkingChunk` or more shrink as a share ends (half of what is left of
        /// it, down to a quarter of the largest chunk), so that threads finish together rather than one
        /// waiting on the other's last large chunk: VGG-16 at batch 32 on two threads, 0.84× the time.
        /// Smaller ones do not: there the extra claims cost more than they save.
        static func chunk(largest: Int, left: Int) -> Int {
            min(left, largest < ThreadPool.shrinkingChunk ? largest : max(largest / 4, min(largest, left / 2)))
        }

        /// Thread `index`'s share of a job of `tasks` tasks run by `threads` threads: contiguous, in order.
        static func share(_ index: Int, of tasks: Int, threads: Int) -> Range<Int> {
            tasks * index / threads..<tasks * (index + 1) / threads
        }

        /// Claims chunks of job `jobNumber` — of thread `worker`'s own share first, then of the next
        /// shares in turn — and runs them until none are left (or the job is over). A worker adds each
        /// chunk to `completed` as it ends, so that the dispatching thread stops waiting when the last
        /// one does. Returns the tasks it ran.
        @discardableResult
        private func runTasks(worker: Int, jobNumber: Int) -> Int {
            guard let job = UnsafeRawPointer(bitPattern: self.job.load(ordering: .relaxed)),
                  let functionAddress = UnsafeRawPointer(bitPattern: self.function.load(ordering: .relaxed)) else { return 0 }
            let function = unsafeBitCast(functionAddress, to: TaskFunction.self)
            let tasks = self.tasks.load(ordering: .relaxed), chunk = self.chunk.load(ordering: .relaxed)
            var ran = 0
            for step in 0..<count {
                let share = (worker + step) % count, end = Shared.share(share, of: tasks, threads: count).upperBound
                let counter = counters[share]
                var current = counter.claims.load(ordering: .acquiring)
                while true {
                    let left = current & 0xffff_ffff, begin = end - left
                    // A share of another job: this one is over.
                    guard current >> 32 == jobNumber else { return ran }
                    guard left > 0 else { break }
                    let last = begin + Shared.chunk(largest: chunk, left: left)
                    let (claimed, seen) = counter.claims.compareExchange(expected: current, desired: current - (last - begin),
                                                                         ordering: .acquiringAndReleasing)
                    guard claimed else {
                        current = seen
                        continue
                    }
                    function(job, worker, begin, last)
                    ran += last - begin
                    if worker > 0 {
                        completed.wrappingAdd(last - begin, ordering: .sequentiallyConsistent)
                        // Asleep, the dispatching thread checks whether the workers are done when woken.
                        if dispatcherSleeps.load(ordering: .sequentiallyConsistent) {
                            pthread_mutex_lock(mutex)
                            pthread_cond_signal(jobDone)
                            pthread_mutex_unlock(mutex)
                        }
                    }
                    current = counter.claims.load(ordering: .acquiring)
                }
            }
            return ran
        }

        /// Sleeps until a job numbered other than `seen` opens, or the pool stops; `placement` says
        /// meanwhile that the worker sleeps.
        private func sleepUntilJob(after seen: Int, placement: WorkerPlacement) {
            pthread_mutex_lock(mutex)
            sleepers.wrappingAdd(1, ordering: .sequentiallyConsistent)
            placement.asleep.store(true, ordering: .relaxed)
            defer { placement.asleep.store(false, ordering: .relaxed) }
            while !stopping.load(ordering: .sequentiallyConsistent)
                && !Shared.opensNewJob(counters[0].claims.load(ordering: .sequentiallyConsistent), after: seen) {
                pthread_cond_wait(workAvailable, mutex)
            }
            sleepers.wrappingSubtract(1, ordering: .sequentiallyConsistent)
            pthread_mutex_unlock(mutex)
        }

        /// The loop of worker thread `index`, until `stop`.
        func work(index: Int) {
            let placement = placements[index]
            pthread_mutex_lock(mutex)
            placement.thread = Int32(gn_internal_thread_id())
            pthread_cond_signal(jobDone)
            pthread_mutex_unlock(mutex)
            var seen = 0
            while true {
                var current = counters[0].claims.load(ordering: .acquiring)
                var polls = 0
                var spinStart = 0
                // Wait for an open job with a new number.
                while !Shared.opensNewJob(current, after: seen) {
                    if stopping.load(ordering: .relaxed) { return }
                    gn_internal_cpu_relax()
                    polls += 1
                    if polls % 64 == 0 {
                        let now = MonotonicClock.nanoseconds()
                        if spinStart == 0 { spinStart = now }
                        if now - spinStart > ThreadPool.workerSpin {
                            placement.giveBackAvoidedCPU()
                            sleepUntilJob(after: seen, placement: placement)
                            polls = 0
                            spinStart = 0
                        }
                    }
                    current = counters[0].claims.load(ordering: .acquiring)
                }
                seen = current >> 32
                placement.giveBackAvoidedCPU()
                runTasks(worker: index, jobNumber: seen)
            }
        }
    }
}
