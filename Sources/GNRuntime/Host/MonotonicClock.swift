#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The monotonic clock (`CLOCK_MONOTONIC`), for the thread pool's waits and the sessions' layer times.
enum MonotonicClock {
    /// Monotonic time in nanoseconds.
    @inline(__always)
    static func nanoseconds() -> Int {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return time.tv_sec * 1_000_000_000 + time.tv_nsec
    }
}
