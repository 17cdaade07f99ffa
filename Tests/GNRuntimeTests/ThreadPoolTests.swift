import Synchronization
import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore

/// The session thread pool (`ThreadPool`) on real threads: every task of every job runs exactly once,
/// whichever thread gets to it, a job of few tasks runs each share in one call, and a worker that holds
/// up a job makes the pool run the next jobs on the dispatching thread alone, then try its workers again.
final class ThreadPoolTests: XCTestCase {
    /// What the test jobs share with their task function (a C function pointer captures nothing).
    private final class Record: @unchecked Sendable {
        /// How many times each task ran, and on which worker it last ran (each task writes only its own
        /// slots, so threads never write the same memory).
        let runs: UnsafeMutableBufferPointer<Int>
        let workers: UnsafeMutableBufferPointer<Int>
        /// For each call of the task function, at its first task: the end of the call's tasks (-1 where
        /// no call began). Calls never share a first task.
        let callEnds: UnsafeMutableBufferPointer<Int>
        /// Tasks worker 1 has started in the current job.
        let startedOnWorker = Atomic<Int>(0)
        /// When set, worker 1 sleeps this long in each task it runs, and worker 0 waits (at most a
        /// second) for worker 1 to start one before it goes on: a worker whose core is taken.
        var stallNanoseconds = 0

        init(tasks: Int) {
            runs = .allocate(capacity: tasks)
            workers = .allocate(capacity: tasks)
            callEnds = .allocate(capacity: tasks)
            reset()
        }

        deinit {
            runs.deallocate()
            workers.deallocate()
            callEnds.deallocate()
        }

        /// The ranges of tasks of the last job's calls, in order, of a job of `tasks` tasks.
        func calls(tasks: Int) -> [Range<Int>] {
            (0..<tasks).filter { callEnds[$0] >= 0 }.map { $0..<callEnds[$0] }
        }

        func reset() {
            for index in runs.indices {
                runs[index] = 0
                workers[index] = -1
                callEnds[index] = -1
            }
            startedOnWorker.store(0, ordering: .sequentiallyConsistent)
        }
    }

    private static let task: TaskFunction = { job, worker, begin, end in
        let record = Unmanaged<Record>.fromOpaque(job).takeUnretainedValue()
        if begin < end { record.callEnds[begin] = end }
        for task in begin..<end {
            if worker == 1 {
                record.startedOnWorker.wrappingAdd(1, ordering: .sequentiallyConsistent)
                if record.stallNanoseconds > 0 {
                    var pause = timespec(tv_sec: 0, tv_nsec: record.stallNanoseconds)
                    nanosleep(&pause, nil)
                }
            } else if record.stallNanoseconds > 0 {
                var waited = 0
                while record.startedOnWorker.load(ordering: .sequentiallyConsistent) == 0 && waited < 1_000_000 {
                    var pause = timespec(tv_sec: 0, tv_nsec: 1_000)
                    nanosleep(&pause, nil)
                    waited += 1
                }
            }
            // A task run twice, or not at all, shows as a count other than 1.
            record.runs[task] += 1
            record.workers[task] = worker
        }
    }

    private func dispatch(_ pool: ThreadPool, _ record: Record, tasks: Int) {
        record.reset()
        let workers = pool.workers
        workers.dispatch(workers.context, UnsafeRawPointer(Unmanaged.passUnretained(record).toOpaque()), Self.task, tasks)
    }

    func testAJobOfFewTasksRunsEachShareInOneCall() throws {
        // A call of a kernel starts cold (a row kernel converts the rows its first output row reads), so a
        // job of few tasks goes to each thread as its whole share, one call, whichever thread takes it; a
        // job run on the dispatching thread alone (a back-off) is one call of every task. A job of many
        // tasks goes in chunks of at most a quarter of a share, so that a thread that finishes first can
        // take part of another's.
        for (threads, tasks) in [(2, 16), (2, 5), (3, 17), (4, 40)] {
            let pool = try ThreadPool(count: threads)
            let record = Record(tasks: tasks)
            let shares = (0..<threads).map { tasks * $0 / threads..<tasks * ($0 + 1) / threads }.filter { !$0.isEmpty }
            for job in 0..<200 {
                dispatch(pool, record, tasks: tasks)
                let calls = record.calls(tasks: tasks)
                XCTAssertTrue(calls == shares || calls == [0..<tasks], "\(threads) threads, \(tasks) tasks, job \(job): calls \(calls)")
            }
        }
        let pool = try ThreadPool(count: 2)
        let record = Record(tasks: 1000)
        for job in 0..<50 {
            dispatch(pool, record, tasks: 1000)
            let calls = record.calls(tasks: 1000)
            XCTAssertTrue(calls == [0..<1000] || (calls.count >= 8 && calls.allSatisfy { $0.count <= 125 }),
                          "2 threads, 1000 tasks, job \(job): calls of \(calls.map(\.count)) tasks")
        }
    }

    func testEveryTaskRunsExactlyOnce() throws {
        // Each thread claims its own share of a job first, then the others' in turn: with more threads
        // than this machine has cores, and with fewer tasks than threads (shares of none), too.
        for threads in 1...4 {
            let pool = try ThreadPool(count: threads)
            let record = Record(tasks: 1000)
            for job in 0..<(threads == 2 ? 2000 : 500) {
                let tasks = [1, 2, 3, 17, 64, 1000][job % 6]
                dispatch(pool, record, tasks: tasks)
                XCTAssertEqual(record.runs[..<tasks].filter { $0 != 1 }.count, 0, "\(threads) threads, job \(job): tasks not run exactly once")
                XCTAssertEqual(record.runs[tasks...].filter { $0 != 0 }.count, 0, "\(threads) threads, job \(job): tasks outside the job ran")
            }
        }
    }

    /// The pool's own measurements, on real threads, start a back-off: when worker 1 sleeps 20 ms in
    /// each task of its chunk, the dispatching thread waits on it far longer than its own share took.
    /// The policy's timing is tested on made-up times (`ThreadPoolBackoffTests`), not here.
    func testAStalledWorkerMakesThePoolRunAloneForAWhileThenTryAgain() throws {
        let record = Record(tasks: 64)
        // A first back-off of up to 100 s: its 64 jobs, not its time, end it here.
        let pool = try ThreadPool(count: 2, firstBackoffTime: 100_000_000_000)
        record.stallNanoseconds = 20_000_000
        dispatch(pool, record, tasks: 64)
        record.stallNanoseconds = 0
        try XCTSkipIf(!record.workers.contains(1), "worker 1 never got to run (the machine is too busy to stage a stall)")
        XCTAssertEqual(record.runs.filter { $0 != 1 }.count, 0)
        XCTAssertEqual(pool.jobsLeftAlone, ThreadPool.firstBackoff)
        // The next jobs run on the dispatching thread alone.
        for job in 0..<ThreadPool.firstBackoff {
            dispatch(pool, record, tasks: 64)
            XCTAssertEqual(record.runs.filter { $0 != 1 }.count, 0)
            XCTAssertEqual(Set(record.workers), [0], "job \(job) of the backoff ran on a worker")
        }
        XCTAssertEqual(pool.jobsLeftAlone, 0)
        // Then the workers take part again (a woken worker may miss the first job or two).
        var workerTookPart = false
        for _ in 0..<1000 where !workerTookPart {
            record.reset()
            record.stallNanoseconds = 0
            let workers = pool.workers
            workers.dispatch(workers.context, UnsafeRawPointer(Unmanaged.passUnretained(record).toOpaque()),
                             Self.slowTask, 64)
            XCTAssertEqual(record.runs.filter { $0 != 1 }.count, 0)
            workerTookPart = record.workers.contains(1)
        }
        XCTAssertTrue(workerTookPart, "the pool never tried its worker again")
    }

    /// Tasks of about 20 µs each, so that a worker that wakes up finds some left.
    private static let slowTask: TaskFunction = { job, worker, begin, end in
        let record = Unmanaged<Record>.fromOpaque(job).takeUnretainedValue()
        for task in begin..<end {
            var pause = timespec(tv_sec: 0, tv_nsec: 20_000)
            nanosleep(&pause, nil)
            record.runs[task] += 1
            record.workers[task] = worker
        }
    }
}
