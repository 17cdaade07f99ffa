import Foundation
import GNRuntimeC
import XCTest
@testable import GNRuntime
@testable import GNRuntimeCore

/// Where the pool's workers start (`ThreadPool`, "Woken off the dispatching thread's CPU"): a worker
/// loses the dispatching thread's CPU from its affinity before a job wakes it (and, new and still
/// spinning, once the pool's creation ends), and gets it back when it next sees a job or goes to sleep,
/// so that no worker is left pinned. Linux only: elsewhere the pool changes no affinity.
final class ThreadPoolPlacementTests: XCTestCase {
    /// The CPUs task `task` (a thread id of this process) may run on, from its Cpus_allowed_list.
    private func allowedCPUs(ofTask task: Int) throws -> Set<Int> {
        let status = try String(contentsOfFile: "/proc/self/task/\(task)/status", encoding: .utf8)
        let line = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") })
        var cpus = Set<Int>()
        for range in line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces).split(separator: ",") {
            let bounds = range.split(separator: "-").compactMap { Int($0) }
            cpus.formUnion(bounds[0]...(bounds.count > 1 ? bounds[1] : bounds[0]))
        }
        return cpus
    }

    /// The thread ids of the session worker threads of this process (named as the pool names them).
    private func workerThreads() throws -> Set<Int> {
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
        return Set(tasks.compactMap { task in
            let name = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)
            return name?.trimmingCharacters(in: .whitespacesAndNewlines) == GN_INTERNAL_WORKER_THREAD_NAME ? Int(task) : nil
        })
    }

    /// Waits (at most 2 s) until task `task` may run on `cpus`, and returns what it may run on then.
    private func allowedCPUs(ofTask task: Int, settlingAt cpus: Set<Int>) throws -> Set<Int> {
        for _ in 0..<200 {
            if try allowedCPUs(ofTask: task) == cpus { return cpus }
            usleep(10_000)
        }
        return try allowedCPUs(ofTask: task)
    }

    private static let noTask: TaskFunction = { _, _, _, _ in }

    private func dispatch(_ pool: ThreadPool, tasks: Int) {
        let workers = pool.workers
        var job = 0
        withUnsafePointer(to: &job) { workers.dispatch(workers.context, UnsafeRawPointer($0), Self.noTask, tasks) }
    }

    #if os(Linux)
    /// Narrowing never leaves a thread without a CPU: it takes CPUs out one at a time while another is
    /// left, then refuses, and giving them back restores the whole set.
    func testAThreadKeepsAtLeastOneCPU() throws {
        let thread = Int(gn_internal_thread_id())
        let allowed = try allowedCPUs(ofTask: thread)
        var narrowed = 0
        for cpu in allowed.sorted() where gn_internal_thread_avoid_cpu(Int32(thread), Int32(cpu)) != 0 {
            narrowed += 1
        }
        let left = try allowedCPUs(ofTask: thread)
        for cpu in allowed { gn_internal_thread_allow_cpu(Int32(cpu)) }
        XCTAssertEqual(narrowed, allowed.count - 1)
        XCTAssertEqual(left.count, 1)
        XCTAssertTrue(left.isSubset(of: allowed))
        XCTAssertEqual(gn_internal_thread_avoid_cpu(Int32(thread), -1), 0, "no such CPU")
        XCTAssertEqual(try allowedCPUs(ofTask: thread), allowed)
    }

    /// A new worker still spinning when the pool's creation ends is moved off the creating thread's CPU
    /// (whether it still spins is a race: it sleeps after `ThreadPool.workerSpin`, often before the
    /// creating thread wakes from the start handshake, and is then moved when a job wakes it), and
    /// gives the CPU back by itself before it sleeps. A sleeping worker is moved off the dispatching
    /// thread's CPU before a job wakes it, and has every CPU again after the job.
    func testWorkersStartAndWakeOffTheCallersCPUAndGetItBack() throws {
        let allowed = try allowedCPUs(ofTask: Int(gn_internal_thread_id()))
        try XCTSkipIf(allowed.count < 2, "one CPU allowed: the pool has no other CPU to move a worker to")
        var wakes = 0, movedOnWaking = 0
        for creation in 0..<10 {
            let before = try workerThreads()
            let pool = try ThreadPool(count: 2)
            let worker = try XCTUnwrap(try workerThreads().subtracting(before).first, "the pool's worker")
            XCTAssertLessThanOrEqual(pool.workersMoved, 1)
            XCTAssertEqual(try allowedCPUs(ofTask: worker, settlingAt: allowed), allowed,
                           "creation \(creation): the worker has every CPU once it sleeps, with no job")
            for pause in 0..<2 {
                // Far longer than the worker spins: it sleeps, and the job wakes it.
                usleep(20_000)
                let moved = pool.workersMoved
                dispatch(pool, tasks: 2)
                wakes += 1
                movedOnWaking += pool.workersMoved - moved
                XCTAssertEqual(try allowedCPUs(ofTask: worker, settlingAt: allowed), allowed,
                               "creation \(creation), pause \(pause): the worker has every CPU after the job")
            }
        }
        // A worker that a descheduled moment kept from sleeping before a pause ended is not moved.
        XCTAssertGreaterThanOrEqual(movedOnWaking, wakes / 2, "a sleeping worker is moved off the caller's CPU before it wakes")
    }
    #endif
}
