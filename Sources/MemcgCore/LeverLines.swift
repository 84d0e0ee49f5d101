/// The lines of the levers (`Lever`: memory.high on cgroup v2 with
/// memory_high = on, memory.limit_in_bytes on v1 with memory_limit = on;
/// `watch` with hold = on). Each begins with the lever's file, so one line
/// reads the same for both. docs/log-format.md shows them.
extension LogLines {
    /// The lever engaged at the start of a held episode.
    public static func leverSet(_ lever: Lever, _ path: String, value: Bytes, was original: CgroupLimit, usage: Bytes,
                                shortfall: Bytes, floor: Bytes, atFloor: Bool) -> String {
        let sized: String
        switch (lever, atFloor) {
        case (.memoryHigh, true):
            sized = "its floor \(floor) (what the target cannot give back without swap + \(MemoryHighLever.margin)), above its usage \(usage) minus the shortfall \(shortfall)"
        case (.memoryHigh, false):
            sized = "its usage \(usage) minus the shortfall \(shortfall) below global thresh + hold_hysteresis (floor \(floor))"
        case (.memoryLimit, true):
            sized = "its floor \(floor) (what the target cannot give back without swap + \(MemoryLimitLever.margin)), above its usage \(usage) + \(MemoryLimitLever.slack)"
        case (.memoryLimit, false):
            sized = "its usage \(usage) + \(MemoryLimitLever.slack), so it stops growing while it is reclaimed (floor \(floor)); followed down as the usage falls"
        }
        return "\(lever.file) set to \(value) on \(path) (was \(original)): \(sized); restored when available is back above the line"
    }

    /// The v1 lever lowered behind the usage (during a reclaim, or at a
    /// wake-up of the same episode).
    public static func leverFollowed(_ lever: Lever, _ path: String, to value: Bytes, from limit: Bytes, writes: Int, when: String) -> String {
        "\(lever.file) followed down to \(value) on \(path) (was \(limit), \(writes) write\(writes == 1 ? "" : "s")) \(when)"
    }

    /// The v1 lever let go by its thread (`MemoryLimitFollow`), during a
    /// reclaim or between wake-ups: the original written back before the
    /// kernel would OOM-kill in the target.
    public static func leverLetGo(_ lever: Lever, _ path: String, to original: Bytes, when: String, _ why: String) -> String {
        "\(lever.file) let go on \(path), \(original) written back \(when): \(why)"
    }

    /// The lever not engaged; why.
    public static func leverNotSet(_ lever: Lever, _ path: String, _ why: String) -> String {
        "\(lever.file) not set on \(path): \(why)"
    }

    /// Put back to what it was.
    public static func leverRestored(_ lever: Lever, _ path: String, to original: CgroupLimit, from written: CgroupLimit, _ why: String) -> String {
        "\(lever.file) restored to \(original) on \(path) (was \(written), set by a held episode): \(why)"
    }

    /// Nothing could be put back (the cgroup is gone, or another run will).
    public static func leverNotRestored(_ lever: Lever, _ path: String, _ why: String) -> String {
        "\(lever.file) of \(path) not restored here: \(why)"
    }

    /// Nothing to put back: it is the original value already.
    public static func leverAlreadyOriginal(_ lever: Lever, _ path: String, _ original: CgroupLimit, _ why: String) -> String {
        "\(lever.file) restore: \(path) has \(original), its value before the held episode, already (\(why)); nothing written"
    }

    /// Someone else changed it after the lever: theirs stands.
    public static func leverLeft(_ lever: Lever, _ path: String, now: CgroupLimit, written: Bytes, original: CgroupLimit, _ why: String) -> String {
        let ours = lever.followsDown ? "above the \(written) a held episode recorded as the most it writes" : "not the \(written) a held episode wrote"
        return "\(lever.file) left at \(now) on \(path): it is \(ours), so someone else set it since; not restored to \(original) (\(why))"
    }

    /// v1: the usage grew past the recorded ceiling while the record was
    /// saved, so the clamp is below the usage and the write reclaimed.
    public static func leverOutgrewHeadroom(_ lever: Lever, _ path: String, usage: Bytes, firstUsage: Bytes, ceiling: Bytes) -> String {
        "\(lever.file) on \(path): the usage grew from \(firstUsage) to \(usage) while the state file was saved, past \(ceiling), the most the record allows (\(MemoryLimitLever.saveHeadroom) above the first clamp); set to that, so the kernel reclaimed the rest inside the write"
    }

    /// Why a restore ran.
    public enum LeverRestoreReason: Sendable {
        case recovered(available: Bytes, line: Bytes)
        case stopping(signal: String)
        case reloading
        case leftover
        /// `mon_memcg restore`: mon_memcg-watch.service's ExecStopPost=,
        /// which systemd runs once the daemon has ended, however it ended.
        case restoreCommand
        /// `watch --supervise`: the process that started the daemon, once
        /// it ended (how, in words); the DaemonSet's ExecStopPost=.
        case supervisor(ended: String)
        case checkFailed
        case leverOff(Lever)
        case targetChanged(String)
        /// The v1 lever let go (`MemoryLimitLever.letsGo`).
        case nearFloor(unreclaimable: Bytes, limit: Bytes)

        public var words: String {
            switch self {
            case .recovered(let available, let line): "available \(available) >= global thresh + hold_hysteresis \(line)"
            case .stopping(let signal): "watch stopping on \(signal)"
            case .reloading: "watch reloading its configuration"
            case .leftover: "left by a run that ended without restoring it (crash or kill -9), restored at this start"
            case .restoreCommand: "mon_memcg restore, after the run that set it ended (the unit's ExecStopPost=, or by hand)"
            case .supervisor(let ended): "watch --supervise, after the daemon it started ended (\(ended))"
            case .checkFailed: "the check failed; a daemon that cannot see the node keeps no limit on it"
            case .leverOff(let lever): "hold or \(lever.settingName) is off for this run"
            case .targetChanged(let now): "the target is now \(now)"
            case .nearFloor(let unreclaimable, let limit):
                "what the target cannot give back without swap, \(unreclaimable), is within \(MemoryLimitLever.letGoRoom) of the limit \(limit): let go before the kernel would OOM-kill in it"
            }
        }
    }
}
