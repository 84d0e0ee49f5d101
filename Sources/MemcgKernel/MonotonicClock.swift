#if canImport(Glibc)
import Glibc
#endif

/// CLOCK_MONOTONIC in milliseconds: durations that wall-clock jumps cannot
/// bend. Read by the command, passed into anything that needs a time.
public enum MonotonicClock {
    public static func nowMilliseconds() -> Int64 { milliseconds(CLOCK_MONOTONIC) }

    /// CLOCK_BOOTTIME: like CLOCK_MONOTONIC, immune to wall-clock steps, and
    /// it keeps counting while the node is suspended. For the heartbeat,
    /// which another process (`mon_memcg alive`) compares with its own clock.
    public static func bootMilliseconds() -> Int64 { milliseconds(CLOCK_BOOTTIME) }

    private static func milliseconds(_ clock: clockid_t) -> Int64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// For systemd's `MONOTONIC_USEC=` (the same clock, finer).
    public static func nowMicroseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1_000
    }
}

/// The `date(1)` default timestamp the original script's log lines start with,
/// e.g. `Sat Sep 14 02:48:45 CST 2024`, in the local time zone. strftime
/// instead of Foundation's formatters, which pull in ICU.
public enum WallClock {
    /// CLOCK_REALTIME's seconds, as date(1) reads them. Not time(2): glibc
    /// serves that from the seconds the kernel last stored at a tick, which
    /// trail the clock (by up to 7.7 ms on a loaded 250 Hz machine), so a
    /// stamp taken just after a second begins could read the second
    /// before: earlier than a clock_gettime another process made before it,
    /// which is how the tests check the drop_caches stamp.
    public static func nowSeconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec)
    }

    public static func originalTimestamp(epochSeconds: Int? = nil) -> String {
        var t = time_t(epochSeconds ?? Int(nowSeconds()))
        var parts = tm()
        localtime_r(&t, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let n = strftime(&buffer, buffer.count, "%a %b %e %H:%M:%S %Z %Y", &parts)
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
