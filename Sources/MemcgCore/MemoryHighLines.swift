/// The lines of the memory.high lever (`MemoryHighLever`, `watch` with
/// hold = on and memory_high = on, cgroup v2). docs/log-format.md shows them.
extension LogLines {
    /// The lever engaged at the start of a held episode.
    public static func memoryHighSet(_ path: String, value: Bytes, was original: CgroupLimit, usage: Bytes,
                                     shortfall: Bytes, floor: Bytes, atFloor: Bool) -> String {
        let sized = atFloor
            ? "its floor \(floor) (what the target cannot give back without swap + \(MemoryHighLever.margin)), above its usage \(usage) minus the shortfall \(shortfall)"
            : "its usage \(usage) minus the shortfall \(shortfall) below global thresh + hold_hysteresis (floor \(floor))"
        return "memory.high set to \(value) on \(path) (was \(original)): \(sized); restored when available is back above the line"
    }

    /// The lever not engaged; why.
    public static func memoryHighNotSet(_ path: String, _ why: String) -> String {
        "memory.high not set on \(path): \(why)"
    }

    /// Put back to what it was.
    public static func memoryHighRestored(_ path: String, to original: CgroupLimit, from written: Bytes, _ why: String) -> String {
        "memory.high restored to \(original) on \(path) (was \(written), set by a held episode): \(why)"
    }

    /// Nothing could be put back (the cgroup is gone, or another run will).
    public static func memoryHighNotRestored(_ path: String, _ why: String) -> String {
        "memory.high of \(path) not restored here: \(why)"
    }

    /// Nothing to put back: it is the original value already.
    public static func memoryHighAlreadyOriginal(_ path: String, _ original: CgroupLimit, _ why: String) -> String {
        "memory.high restore: \(path) has \(original), its value before the held episode, already (\(why)); nothing written"
    }

    /// Someone else changed it after the lever: theirs stands.
    public static func memoryHighLeft(_ path: String, now: CgroupLimit, written: Bytes, original: CgroupLimit, _ why: String) -> String {
        "memory.high left at \(now) on \(path): it is not the \(written) a held episode wrote, so someone else set it since; not restored to \(original) (\(why))"
    }

    /// Why a restore ran.
    public enum MemoryHighRestoreReason: Sendable {
        case recovered(available: Bytes, line: Bytes)
        case stopping(signal: String)
        case reloading
        case leftover
        case checkFailed
        case leverOff
        case targetChanged(String)

        public var words: String {
            switch self {
            case .recovered(let available, let line): "available \(available) >= global thresh + hold_hysteresis \(line)"
            case .stopping(let signal): "watch stopping on \(signal)"
            case .reloading: "watch reloading its configuration"
            case .leftover: "left by a run that ended without restoring it (crash or kill -9), restored at this start"
            case .checkFailed: "the check failed; a daemon that cannot see the node keeps no limit on it"
            case .leverOff: "hold or memory_high is off for this run"
            case .targetChanged(let now): "the target is now \(now)"
            }
        }
    }
}
