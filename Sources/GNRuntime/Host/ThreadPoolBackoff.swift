extension ThreadPool {
    /// When the pool runs jobs on the dispatching thread alone (the back-off of `ThreadPool`'s
    /// comment); kept by the dispatching thread only. The policy alone: the caller passes the times it
    /// measured and how to read the clock and its involuntary context switches, so that the policy runs
    /// the same on made-up times as on real ones.
    struct Backoff {
        /// The longest the first back-off lasts, in nanoseconds, after a sign other than a long wait; a
        /// later one, four times as long in jobs as the one before, lasts eight times as long.
        let firstTime: Int
        /// Jobs left to run on the dispatching thread alone.
        private(set) var jobsLeftAlone = 0
        /// When the back-off ends however many of its jobs are left (monotonic nanoseconds).
        private var ends = 0
        /// Jobs of the last back-off, while signs keep coming (0: none yet, or forgotten), and the most
        /// time it lasts (nanoseconds).
        private var length = 0
        private var lengthTime = 0
        /// When the current window of jobs with workers began (−1: with the next job), and the
        /// dispatching thread's involuntary context switches then.
        private var windowStart = -1
        private var windowSwitches = 0
        /// When the switches were last read within the window.
        private var windowPeek = 0
        /// What the jobs with workers since the last back-off saved against running on the dispatching
        /// thread alone, in nanoseconds (negative: what they lost), kept to at most `savingsKept`.
        private var savings = 0

        init(firstTime: Int) {
            self.firstTime = firstTime
        }

        /// Whether the next job runs on the dispatching thread alone (it is then counted). Reads the
        /// clock (`now`, monotonic nanoseconds) only during a back-off.
        mutating func takeJobAlone(now: () -> Int) -> Bool {
            guard jobsLeftAlone > 0 else { return false }
            if now() >= ends {
                jobsLeftAlone = 0
                return false
            }
            jobsLeftAlone -= 1
            return true
        }

        /// Records a job of `tasks` tasks run with workers that ended at `end` (nanoseconds), of which
        /// the dispatching thread ran `ownTasks` in `ownTime`, then waited `waited` for chunks workers
        /// held. `involuntarySwitches` counts the dispatching thread's involuntary context switches so
        /// far; it is read when a window of jobs with workers begins, every `preemptionPeek` within it,
        /// and when it ends.
        mutating func record(end: Int, ownTime: Int, waited: Int, ownTasks: Int, tasks: Int,
                             involuntarySwitches: () -> Int) {
            // Preempted while its workers run, again and again: another program shares the cores. The
            // switches are read when a window begins, every `preemptionPeek` within it — the sign is
            // taken as soon as it shows — and when the window is whole.
            var preempted = false, quietWindow = false
            if windowStart < 0 {
                (windowStart, windowPeek, windowSwitches) = (end, end, involuntarySwitches())
            } else {
                let whole = end - windowStart >= ThreadPool.preemptionWindow
                if whole || end - windowPeek >= ThreadPool.preemptionPeek {
                    let switches = involuntarySwitches()
                    preempted = switches - windowSwitches >= ThreadPool.preemptionsPerWindow
                    windowPeek = end
                    if whole {
                        // Without a sign the window was quiet; the next one begins.
                        quietWindow = !preempted
                        (windowStart, windowSwitches) = (end, switches)
                    }
                }
            }
            // Waits on workers that lost more than the jobs with them saved: a worker's core is taken.
            let stalled: Bool
            if ownTasks > 0 {
                // Alone, the job would have taken every task at the dispatching thread's own pace.
                let alone = ownTime / ownTasks * tasks
                savings = min(savings + alone - ownTime - waited, ThreadPool.savingsKept)
                stalled = savings < -ThreadPool.stallThreshold
            } else {
                // No task of its own, so no pace to compare with: the wait alone decides.
                stalled = waited > ThreadPool.stallThreshold
            }
            if preempted || stalled {
                // The first length, or — a sign before a whole window with workers has passed since the
                // last back-off: the core is still taken — four times as long.
                // It ends with its jobs or its time, whichever comes first: jobs of a large batch take
                // milliseconds each, and thousands of them seconds. Its time is `firstTime`, eight times
                // as long for each fourfold length, or pays back the wait that started it.
                if length == 0 {
                    (length, lengthTime) = (ThreadPool.firstBackoff, firstTime)
                } else if length < ThreadPool.longestBackoff {
                    (length, lengthTime) = (min(length * 4, ThreadPool.longestBackoff), lengthTime * 8)
                }
                jobsLeftAlone = length
                ends = end + max(lengthTime, stalled ? ThreadPool.stallsPaidBack * waited : 0)
                windowStart = -1
                savings = 0
            } else if quietWindow {
                // A whole window with workers without a sign: the cores are free (or the sign was an
                // occasional preemption by the system), and the next sign starts from the first length.
                length = 0
            }
        }
    }
}
