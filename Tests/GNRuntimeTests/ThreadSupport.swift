import Foundation
import GNRuntimeC
import XCTest

/// This process's threads as Linux's /proc shows them: the session worker threads (named as the pool
/// names them) and the CPUs a thread may run on.
enum ProcessThreads {
    /// The thread ids of the session worker threads of this process. Other threads come and go in a
    /// test process (libdispatch's workers, which XCTest and Foundation start), so only the name tells
    /// ours apart.
    static func workerIDs() throws -> Set<Int> {
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
        return Set(tasks.compactMap { task in
            let name = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)
            return name?.trimmingCharacters(in: .whitespacesAndNewlines) == GN_INTERNAL_WORKER_THREAD_NAME ? Int(task) : nil
        })
    }

    /// The CPUs thread `thread` (a thread id of this process) may run on, from its Cpus_allowed_list.
    static func allowedCPUs(ofThread thread: Int) throws -> Set<Int> {
        let status = try String(contentsOfFile: "/proc/self/task/\(thread)/status", encoding: .utf8)
        let line = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") })
        var cpus = Set<Int>()
        for range in line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces).split(separator: ",") {
            let bounds = range.split(separator: "-").compactMap { Int($0) }
            cpus.formUnion(bounds[0]...(bounds.count > 1 ? bounds[1] : bounds[0]))
        }
        return cpus
    }
}

/// What `read` gives once it gives `expected`, or after 2 seconds: for what another thread changes a
/// moment later (a new worker takes its name when it first runs, a joined one stays listed in /proc
/// until the kernel reaps it, a worker gives a CPU back when it next runs).
func settled<Value: Equatable>(at expected: Value, _ read: () throws -> Value) rethrows -> Value {
    for _ in 0..<200 {
        if try read() == expected { return expected }
        usleep(10_000)
    }
    return try read()
}
