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
        let allowed = try ProcessThreads.allowedCPUs(ofThread: thread)
        var narrowed = 0
        for cpu in allowed.sorted() where gn_internal_thread_avoid_cpu(Int32(thread), Int32(cpu)) != 0 {
            narrowed += 1
        }
        let left = try ProcessThreads.allowedCPUs(ofThread: thread)
        for cpu in allowed { gn_internal_thread_allow_cpu(Int32(cpu)) }
        XCTAssertEqual(narrowed, allowed.count - 1)
        XCTAssertEqual(left.count, 1)
        XCTAssertTrue(left.isSubset(of: allowed))
        XCTAssertEqual(gn_internal_thread_avoid_cpu(Int32(thread), -1), 0, "no such CPU")
        XCTAssertEqual(try ProcessThreads.allowedCPUs(ofThread: thread), allowed)
    }

    /// A new worker still spinning when the pool's creation ends is moved off the creating thread's CPU
    /// (whether it still spins is a race: it sleeps after `ThreadPool.workerSpin`, often before the
    /// creating thread wakes from the start handshake, and is then moved when a job wakes it), and
    /// gives the CPU back by itself before it sleeps. A sleeping worker is moved off the dispatching
    /// thread's CPU before a job wakes it, and has every CPU again after the job.
    func testWorkersStartAndWakeOffTheCallersCPUAndGetItBack() throws {
        let allowed = try ProcessThreads.allowedCPUs(ofThread: Int(gn_internal_thread_id()))
        try XCTSkipIf(allowed.count < 2, "one CPU allowed: the pool has no other CPU to move a worker to")
        var wakes = 0, movedOnWaking = 0
        for creation in 0..<10 {
            let before = try ProcessThreads.workerIDs()
            let pool = try ThreadPool(count: 2)
            let worker = try XCTUnwrap(try ProcessThreads.workerIDs().subtracting(before).first, "the pool's worker")
            XCTAssertLessThanOrEqual(pool.workersMoved, 1)
            XCTAssertEqual(try settled(at: allowed) { try ProcessThreads.allowedCPUs(ofThread: worker) }, allowed,
                           "creation \(creation): the worker has every CPU once it sleeps, with no job")
            for pause in 0..<2 {
                // Far longer than the worker spins: it sleeps, and the job wakes it.
                usleep(20_000)
                let moved = pool.workersMoved
                dispatch(pool, tasks: 2)
                wakes += 1
                movedOnWaking += pool.workersMoved - moved
                XCTAssertEqual(try settled(at: allowed) { try ProcessThreads.allowedCPUs(ofThread: worker) }, allowed,
                               "creation \(creation), pause \(pause): the worker has every CPU after the job")
            }
        }
        // A worker that a descheduled moment kept from sleeping before a pause ended is not moved.
        XCTAssertGreaterThanOrEqual(movedOnWaking, wakes / 2, "a sleeping worker is moved off the caller's CPU before it wakes")
    }
    #endif
}
