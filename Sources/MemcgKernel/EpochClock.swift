#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock seconds since the epoch, for the drop_caches rate limit that
/// must hold across runs (each run is a new process).
public enum EpochClock {
    /// The name of the test-only override: when set to a number of epoch
    /// seconds, it replaces the wall clock, so the fault tests can step the
    /// clock by hours around drop_caches_interval without setting the host's
    /// clock. Read once, and only when set; unset (as in the units), the
    /// wall clock is used.
    public static let overrideVariable = "MON_MEMCG_TEST_EPOCH_SECONDS"

    private static let override: Int64? = getenv(overrideVariable).flatMap { Int64(String(cString: $0)) }

    public static func nowSeconds() -> Int64 { override ?? WallClock.nowSeconds() }
}
