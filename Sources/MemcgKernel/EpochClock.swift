#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock seconds since the epoch, for the drop_caches rate limit that
/// must hold across runs (each run is a new process).
public enum EpochClock {
    public static func nowSeconds() -> Int64 { Int64(time(nil)) }
}
