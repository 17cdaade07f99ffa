#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import GNRuntimeCore
import Synchronization

/// A persistent pool of worker threads for one session: `count − 1` threads, plus the thread that
/// dispatches, run the tasks of each job. Between jobs the workers spin briefly (layers follow each
/// other within microseconds), then sleep on a condition variable. Dispatching allocates nothing.
/// Freeing the pool stops and joins its threads.
final class ThreadPool {
    /// Threads that run tasks, the dispatching thread included.
    var count: Int { shared.count }

    /// What the threads share. The workers hold it, not the pool, so that the pool's owner alone
    /// decides when the pool ends.
    private let shared: Shared
    private var threads: [pthread_t] = []

    /// A pool of `count` threads (the caller's included); `count − 1` threads start now.
    init(count: Int) throws(GNError) {
        shared = Shared(count: count)
        for index in 1..<max(count, 1) {
            let start = UnsafeMutablePointer<WorkerStart>.allocate(capacity: 1)
            start.initialize(to: WorkerStart(shared: Unmanaged.passRetained(shared), index: index))
            var thread = pthread_t()
            let result = pthread_create(&thread, nil, { argument in
                let start = argument!.assumingMemoryBound(to: WorkerStart.self)
                let (shared, index) = (start.pointee.shared, start.pointee.index)
                start.deinitialize(count: 1)
                start.deallocate()
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

    private struct WorkerStart {
        var shared: Unmanaged<Shared>
        var index: Int
    }

    /// The job, the counters and the sleeping place the threads share.
    private final class Shared: @unchecked Sendable {
        let count: Int

        // The current job; written before `generation` is published, read after it is observed.
        private var job: UnsafeRawPointer?
        private var function: TaskFunction?
        private var tasks = 0
        private var chunk = 1

        private let nextTask = Atomic<Int>(0)
        private let working = Atomic<Int>(0)
        private let generation = Atomic<Int>(0)
        private let sleepers = Atomic<Int>(0)
        private let stopping = Atomic<Bool>(false)
        private let mutex: UnsafeMutablePointer<pthread_mutex_t>
        private let condition: UnsafeMutablePointer<pthread_cond_t>

        /// How long an idle worker spins before it sleeps, in polls of the job counter.
        private static let spinPolls = 200_000

        init(count: Int) {
            self.count = count
            mutex = .allocate(capacity: 1)
            condition = .allocate(capacity: 1)
            pthread_mutex_init(mutex, nil)
            pthread_cond_init(condition, nil)
        }

        deinit {
            pthread_cond_destroy(condition)
            pthread_mutex_destroy(mutex)
            condition.deallocate()
            mutex.deallocate()
        }

        /// Tells the workers to end, and wakes the sleeping ones.
        func stop() {
            stopping.store(true, ordering: .sequentiallyConsistent)
            pthread_mutex_lock(mutex)
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }

        /// Runs `tasks` tasks of `job` on all threads and returns when every task is done.
        func run(job: UnsafeRawPointer, function: TaskFunction, tasks: Int) {
            self.job = job
            self.function = function
            self.tasks = tasks
            chunk = max(1, tasks / (count * 4))
            nextTask.store(0, ordering: .relaxed)
            working.store(count - 1, ordering: .relaxed)
            generation.wrappingAdd(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_broadcast(condition)
                pthread_mutex_unlock(mutex)
            }
            runTasks(worker: 0)
            while working.load(ordering: .acquiring) > 0 {}
        }

        /// Takes chunks of tasks until none are left.
        private func runTasks(worker: Int) {
            guard let job, let function else { return }
            while true {
                let begin = nextTask.wrappingAdd(chunk, ordering: .relaxed).oldValue
                if begin >= tasks { return }
                function(job, worker, begin, min(tasks, begin + chunk))
            }
        }

        /// The loop of worker thread `index`, until `stop`.
        func work(index: Int) {
            var seen = 0
            while true {
                var polls = 0
                while generation.load(ordering: .acquiring) == seen {
                    if stopping.load(ordering: .relaxed) { return }
                    polls += 1
                    if polls >= Shared.spinPolls {
                        pthread_mutex_lock(mutex)
                        sleepers.wrappingAdd(1, ordering: .sequentiallyConsistent)
                        while generation.load(ordering: .sequentiallyConsistent) == seen
                            && !stopping.load(ordering: .sequentiallyConsistent) {
                            pthread_cond_wait(condition, mutex)
                        }
                        sleepers.wrappingSubtract(1, ordering: .sequentiallyConsistent)
                        pthread_mutex_unlock(mutex)
                        polls = 0
                    }
                }
                if stopping.load(ordering: .relaxed) { return }
                seen = generation.load(ordering: .acquiring)
                runTasks(worker: index)
                working.wrappingSubtract(1, ordering: .releasing)
            }
        }
    }
}
