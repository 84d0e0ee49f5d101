import MemcgCore

/// CLOCK_BOOTTIME and the boot it counts in, for the drop_caches rate limit,
/// which must hold across runs (each run is a new process) whatever the wall
/// clock does.
public enum BootClock {
    /// The name of the test-only override: when set to a number of
    /// milliseconds, it replaces CLOCK_BOOTTIME for the rate limit, so the
    /// fault tests can let real time pass (or not) independently of the wall
    /// clock they step with `EpochClock.overrideVariable`. Read once, and
    /// only when set; unset (as in the units), the kernel's clock is used.
    /// The heartbeat keeps the real clock: `alive` compares it with its own.
    public static let overrideVariable = "MON_MEMCG_TEST_BOOT_MILLISECONDS"

    private static let override: Int64? = CurrentProcess.environment(overrideVariable).flatMap { Int64($0) }

    public static func nowMilliseconds() -> Int64 { override ?? MonotonicClock.bootMilliseconds() }

    /// `<proc_root>/sys/kernel/random/boot_id`. Fixture trees hold their own
    /// (the proc_root seam), so no override is needed for it.
    public static func bootID(procRoot: String) throws(KernelError) -> BootID {
        try readParsed("\(procRoot)/\(KernelFile.bootID)") { text throws(ParseError) in try BootID(parsing: text) }
    }

    /// Both clocks now. `bootID` is read once per run by the caller (it
    /// cannot change within a boot); nil leaves the boot clock out, and the
    /// rate limit falls back to the wall clock.
    public static func now(bootID: BootID?) -> ClockStamp {
        ClockStamp(epochSeconds: EpochClock.nowSeconds(),
                   boot: bootID.map { BootTime(bootID: $0, milliseconds: nowMilliseconds()) })
    }
}
