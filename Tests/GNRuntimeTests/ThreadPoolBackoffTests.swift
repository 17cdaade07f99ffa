import XCTest
@testable import GNRuntime

/// The thread pool's back-off policy (`ThreadPool.Backoff`) on made-up times: which waits (against what
/// jobs with workers saved) and preemptions are signs of a taken core, how many jobs the pool then runs
/// alone, and when time ends a back-off. No thread and no clock: every figure is the policy's own.
final class ThreadPoolBackoffTests: XCTestCase {
    private static let millisecond = 1_000_000

    /// Runs the jobs of the current back-off (every one of which must run alone) at time `now`, and
    /// returns how many there were.
    private func drain(_ backoff: inout ThreadPool.Backoff, now: Int = 0) -> Int {
        var jobs = 0
        while backoff.takeJobAlone(now: { now }) {
            jobs += 1
            if jobs > ThreadPool.longestBackoff { break }
        }
        return jobs
    }

    /// Records a job of two tasks with workers that ended at `end`: the dispatching thread ran
    /// `ownTasks` of them in `ownTime`, then waited `waited` on workers; its involuntary context
    /// switches are then `switches`. (With no own time, the job would have taken nothing alone: its
    /// wait is all it lost.)
    private func record(_ backoff: inout ThreadPool.Backoff, end: Int, ownTime: Int = 0, waited: Int = 0,
                        ownTasks: Int = 1, switches: Int = 0) {
        backoff.record(end: end, ownTime: ownTime, waited: waited, ownTasks: ownTasks, tasks: 2,
                       involuntarySwitches: { switches })
    }

    func testWaitsThatLoseMoreThanTheThresholdAreAStall() {
        var backoff = ThreadPool.Backoff(firstTime: 2 * Self.millisecond)
        // A job that lost the threshold: a virtual machine's pause, not a taken core.
        record(&backoff, end: 10 * Self.millisecond, waited: ThreadPool.stallThreshold)
        XCTAssertEqual(backoff.jobsLeftAlone, 0)
        XCTAssertFalse(backoff.takeJobAlone(now: { 0 }))
        // A wait of 2 ms in a job whose own task took 3 ms: alone it would have taken 6 ms, with the
        // worker 5 ms. It saved 1 ms, which a job that loses 1 ms then uses up, leaving the threshold.
        backoff = ThreadPool.Backoff(firstTime: 2 * Self.millisecond)
        record(&backoff, end: 11 * Self.millisecond, ownTime: 3 * Self.millisecond, waited: 2 * Self.millisecond)
        record(&backoff, end: 12 * Self.millisecond, waited: Self.millisecond)
        record(&backoff, end: 12 * Self.millisecond + 1, waited: ThreadPool.stallThreshold)
        XCTAssertEqual(backoff.jobsLeftAlone, 0)
        // 1 ns more lost: past the threshold, the first back-off.
        record(&backoff, end: 13 * Self.millisecond, waited: 1)
        XCTAssertEqual(backoff.jobsLeftAlone, ThreadPool.firstBackoff)
        XCTAssertEqual(drain(&backoff, now: 13 * Self.millisecond), ThreadPool.firstBackoff)
        XCTAssertEqual(backoff.jobsLeftAlone, 0)
    }

    func testSavingsAbsorbABurstUpToWhatIsKept() {
        var backoff = ThreadPool.Backoff(firstTime: 2 * Self.millisecond)
        // Jobs that saved 3 ms in all (each 1 ms: 1 ms own, no wait, 2 ms alone); 2 ms are kept.
        for job in 0..<3 { record(&backoff, end: (job + 1) * Self.millisecond, ownTime: Self.millisecond) }
        // A burst that makes the dispatching thread wait 2.5 ms: 0.5 ms lost beyond the savings.
        record(&backoff, end: 5 * Self.millisecond, waited: ThreadPool.savingsKept + ThreadPool.stallThreshold)
        XCTAssertEqual(backoff.jobsLeftAlone, 0, "a burst within the savings and the threshold is no sign")
        record(&backoff, end: 6 * Self.millisecond, waited: 1)
        XCTAssertEqual(backoff.jobsLeftAlone, ThreadPool.firstBackoff, "the savings kept are at most savingsKept")
        // A back-off starts the count again from nothing: neither saved nor lost.
        _ = drain(&backoff, now: 6 * Self.millisecond)
        record(&backoff, end: 7 * Self.millisecond, waited: ThreadPool.stallThreshold)
        XCTAssertEqual(backoff.jobsLeftAlone, 0)
        record(&backoff, end: 7 * Self.millisecond + 1, waited: 1)
        XCTAssertEqual(backoff.jobsLeftAlone, 4 * ThreadPool.firstBackoff)
    }

    func testWithoutATaskOfItsOwnTheWaitAloneDecides() {
        var backoff = ThreadPool.Backoff(firstTime: 2 * Self.millisecond)
        for job in 0..<3 { record(&backoff, end: (job + 1) * Self.millisecond, ownTime: Self.millisecond) }
        // Savings do not cover a job whose every task a worker ran: no pace to compare it with.
        record(&backoff, end: 5 * Self.millisecond, waited: ThreadPool.stallThreshold, ownTasks: 0)
        XCTAssertEqual(backoff.jobsLeftAlone, 0)
        record(&backoff, end: 6 * Self.millisecond, waited: ThreadPool.stallThreshold + 1, ownTasks: 0)
        XCTAssertEqual(backoff.jobsLeftAlone, ThreadPool.firstBackoff)
    }

    func testTimeEndsAFirstBackoffAfterFirstTimeOrFourTimesTheWaitThatStartedIt() {
        let firstTime = 2 * Self.millisecond
        // A wait of 0.6 ms: four times it, 2.4 ms, is longer than `firstTime`.
        var backoff = ThreadPool.Backoff(firstTime: firstTime)
        let end = 100 * Self.millisecond, waited = 600_000
        record(&backoff, end: end, waited: waited)
        let ends = end + ThreadPool.stallsPaidBack * waited
        XCTAssertTrue(backoff.takeJobAlone(now: { ends - 1 }))
        XCTAssertEqual(backoff.jobsLeftAlone, ThreadPool.firstBackoff - 1)
        XCTAssertFalse(backoff.takeJobAlone(now: { ends }))
        XCTAssertEqual(backoff.jobsLeftAlone, 0, "the jobs left of a first back-off are dropped when its time is over")

        // A wait of 0.6 ms again, with a `firstTime` of 5 ms: `firstTime` is the longer.
        let longerFirstTime = 5 * Self.millisecond
        backoff = ThreadPool.Backoff(firstTime: longerFirstTime)
        record(&backoff, end: end, waited: waited)
        XCTAssertTrue(backoff.takeJobAlone(now: { end + longerFirstTime - 1 }))
        XCTAssertFalse(backoff.takeJobAlone(now: { end + longerFirstTime }))
    }

    func testSignsThatKeepComingLengthenTheBackoffFourfoldUpToTheLongest() {
        var backoff = ThreadPool.Backoff(firstTime: 2 * Self.millisecond)
        var end = 0
        var lengths: [Int] = []
        for _ in 0..<6 {
            // Each job with workers after a back-off waits on a stalled worker again: the core is still
            // taken. Short jobs: the back-off ends with its jobs, before its time.
            end += Self.millisecond
            record(&backoff, end: end, waited: Self.millisecond)
            lengths.append(drain(&backoff, now: end))
        }
        XCTAssertEqual(lengths, [64, 256, 1024, 4096, 4096, 4096])
        XCTAssertEqual(ThreadPool.firstBackoff, 64)
        XCTAssertEqual(ThreadPool.longestBackoff, 4096)
    }

    func testTimeEndsEveryBackoffAfterFirstTimeEightfoldForEachFourfoldLength() {
        // Long jobs (a large batch's layers): each back-off lasts its time, 2, 16, 128, 1024, 1024 ms,
        // however many of its jobs are left — not thousands of jobs of milliseconds each.
        let firstTime = 2 * Self.millisecond
        var backoff = ThreadPool.Backoff(firstTime: firstTime)
        var end = 0
        for (lengthFactor, timeFactor) in [(1, 1), (4, 8), (16, 64), (64, 512), (64, 512)] {
            // A wait of 0.6 ms, past the threshold: four times it, 2.4 ms, outlasts the first back-off's
            // 2 ms; the later ones' own times outlast it.
            end += Self.millisecond
            record(&backoff, end: end, waited: 600_000)
            let ends = end + max(firstTime * timeFactor, ThreadPool.stallsPaidBack * 600_000)
            XCTAssertEqual(backoff.jobsLeftAlone, ThreadPool.firstBackoff * lengthFactor)
            XCTAssertTrue(backoff.takeJobAlone(now: { ends - 1 }), "\(lengthFactor)")
            XCTAssertFalse(backoff.takeJobAlone(now: { ends }), "\(lengthFactor)")
            XCTAssertEqual(backoff.jobsLeftAlone, 0, "the jobs left of a back-off are dropped when its time is over")
            end = ends
        }
    }

    func testAWholeWindowWithWorkersAndNoSignStartsAgainFromTheFirstLength() {
        var backoff = ThreadPool.Backoff(firstTime: 2 * Self.millisecond)
        record(&backoff, end: Self.millisecond, waited: Self.millisecond)
        XCTAssertEqual(drain(&backoff, now: Self.millisecond), ThreadPool.firstBackoff)
        // Jobs with workers and no sign, for a window less 1 ns: the last length is remembered.
        let windowStart = 10 * Self.millisecond
        record(&backoff, end: windowStart)
        record(&backoff, end: windowStart + ThreadPool.preemptionWindow - 1)
        record(&backoff, end: windowStart + ThreadPool.preemptionWindow, waited: Self.millisecond)
        XCTAssertEqual(drain(&backoff), 4 * ThreadPool.firstBackoff)
        // A whole window: forgotten.
        record(&backoff, end: 2 * windowStart)
        record(&backoff, end: 2 * windowStart + ThreadPool.preemptionWindow)
        record(&backoff, end: 2 * windowStart + ThreadPool.preemptionWindow + 1, waited: Self.millisecond)
        XCTAssertEqual(drain(&backoff), ThreadPool.firstBackoff)
    }

    func testRepeatedPreemptionsWithinAWindowStartABackoff() {
        let firstTime = 2 * Self.millisecond, window = ThreadPool.preemptionWindow
        var backoff = ThreadPool.Backoff(firstTime: firstTime)
        // One involuntary switch in a window: the system's, not another program's.
        record(&backoff, end: 0, switches: 5)
        record(&backoff, end: window, switches: 5 + ThreadPool.preemptionsPerWindow - 1)
        XCTAssertEqual(backoff.jobsLeftAlone, 0)
        // Two in the next: a back-off, which time ends after `firstTime` (no wait started it).
        let end = 2 * window
        record(&backoff, end: end, switches: 5 + 2 * ThreadPool.preemptionsPerWindow - 1)
        XCTAssertEqual(backoff.jobsLeftAlone, ThreadPool.firstBackoff)
        XCTAssertTrue(backoff.takeJobAlone(now: { end + firstTime - 1 }))
        XCTAssertFalse(backoff.takeJobAlone(now: { end + firstTime }))
        // Within a window the switches are read every `preemptionPeek`, and the sign is taken as soon as
        // a read shows it, not when the window ends.
        backoff = ThreadPool.Backoff(firstTime: firstTime)
        let peek = ThreadPool.preemptionPeek
        XCTAssertLessThan(4 * peek, window)
        var reads = 0
        func job(end: Int, switches: Int) {
            backoff.record(end: end, ownTime: 0, waited: 0, ownTasks: 1, tasks: 2,
                           involuntarySwitches: { reads += 1; return switches })
        }
        job(end: 0, switches: 0)
        XCTAssertEqual(reads, 1, "the switches are read when a window begins")
        job(end: peek - 1, switches: 100)
        XCTAssertEqual(reads, 1, "and not again before a peek's time has passed")
        job(end: peek, switches: ThreadPool.preemptionsPerWindow - 1)
        XCTAssertEqual(reads, 2)
        XCTAssertEqual(backoff.jobsLeftAlone, 0, "one switch so far: no sign")
        job(end: peek + 1, switches: 100)
        XCTAssertEqual(reads, 2)
        XCTAssertEqual(backoff.jobsLeftAlone, 0)
        job(end: 2 * peek, switches: ThreadPool.preemptionsPerWindow)
        XCTAssertEqual(reads, 3)
        XCTAssertEqual(backoff.jobsLeftAlone, ThreadPool.firstBackoff, "two switches in a quarter of a window: a back-off then")
    }
}
