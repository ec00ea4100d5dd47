#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock and monotonic time for the shell; the core only ever receives numbers.
public enum LoopClock {
    /// Milliseconds since the Unix epoch (event timestamps, token expiry).
    public static func wallMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// Monotonic milliseconds (timers: immune to clock changes).
    public static func monotonicMs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
    }
}
