/// cgroup v1's only kernel lever for a held episode (`memory_limit = on`,
/// off by default): memory.limit_in_bytes on the target, clamped at its
/// usage while the node is short, so the target's writers reclaim their
/// own cgroup in their allocations (they are slowed) instead of growing
/// while a force_empty frees it; and followed down as the reclaim lowers
/// the usage (`follow`), so what is freed is not taken again.
///
/// Unlike memory.high it is a hard limit: a task that cannot be given a
/// page when reclaim in the target makes no progress is OOM-killed. So it
/// is never set below the target's usage (a write below waits, as
/// force_empty does, on writeback: 16–23 s measured, docs/efficacy.md), and
/// never below what the target cannot give back without swap + `margin`;
/// and it is let go (restored) once that part is within half the margin of
/// the limit (`letsGo`): every 50 ms while a reclaim runs and between a
/// watch's wake-ups (`MemoryLimitFollow`), and at every wake-up. A session
/// growing its anon by more than that room within one 50 ms look can
/// still be OOM-killed (docs/memory-limit.md). Pure; `LeverFile` writes it.
public enum MemoryLimitLever {
    /// Room above what the target cannot give back: the anon a session may
    /// add between two looks at it before the limit, not the reclaim,
    /// decides its fate. Twice memory.high's margin, because above this
    /// limit a task is killed rather than slowed. The lab trial's value
    /// (docs/efficacy.md), not a measurement of sessions.
    public static let margin = Bytes.mib(256)
    /// Above the usage when clamped: a write at or above usage returns at
    /// once, and the writers meet the limit within one step.
    public static let slack = Bytes.mib(16)
    /// Followed down only when the usage has fallen this far under the
    /// limit: fewer writes, each still within one 50 ms poll's fall.
    public static let followStep = Bytes.mib(80)
    /// How often the follow thread reads the usage during a reclaim.
    public static let followPollMilliseconds = 50
    /// Recorded above the clamp: the state file is saved between the
    /// episode's first reading of the usage and the write, and a save
    /// behind busy writers' data waits while they grow the target (a
    /// rename: about 100 ms at the median under scenario 3's 32 writers,
    /// docs/benchmarks.md). The clamp is sized from the usage read again
    /// after the save, up to this much above the first reading, so that
    /// the write is not below the usage: the kernel would reclaim down to
    /// it inside the write, racing the writers (7 s in one lab cell).
    public static let saveHeadroom = Bytes.gib(1)

    /// Never below this: what cannot be given back without swap + `margin`.
    public static func floor(usage: Bytes, stat: MemoryStat) throws(ParseError) -> Bytes {
        floor(unreclaimable: try Lever.memoryLimit.unreclaimable(usage: usage, stat: stat))
    }

    /// The floor from what the target cannot give back, as read already.
    public static func floor(unreclaimable: Bytes) -> Bytes { unreclaimable + margin }

    /// The value at an episode's start: the usage + `slack`, or the floor
    /// when that is higher. Never raised: a limit already at or below it
    /// (someone else's, or the lever's own from an earlier wake-up) is
    /// left as it is.
    public static func engage(usage: Bytes, stat: MemoryStat, now: CgroupLimit) throws(ParseError) -> LeverEngage {
        let floor = try floor(usage: usage, stat: stat)
        let value = sized(usage: usage, floor: floor)
        if case .bytes(let set) = now, set <= value {
            return .skip("memory.limit_in_bytes is \(set) already, at or below \(value)")
        }
        return .write(value: value, floor: floor, atFloor: usage + slack <= floor)
    }

    /// The limit a usage asks for, at the clamp, at a follow and after the
    /// save: usage + `slack`, never below `floor`, aligned up.
    public static func sized(usage: Bytes, floor: Bytes) -> Bytes {
        Lever.aligned(max(usage + slack, floor))
    }

    /// What the record holds as the highest value the episode writes
    /// (`LeverRecord.written`), saved before the write: `value` +
    /// `saveHeadroom`, or `value` alone when a limit that is set already is
    /// not above that (every value up to the recorded one counts as the
    /// lever's own at a restore, `Lever.followsDown`; someone else's limit
    /// must stay above it).
    public static func ceiling(value: Bytes, now: CgroupLimit) -> Bytes {
        let high = Lever.aligned(value + saveHeadroom)
        if case .bytes(let set) = now, set <= high { return value }
        return high
    }

    /// The value written once the record is saved: the usage as read
    /// after the save + `slack`, never below `floor`, never above
    /// `ceiling` (the record's). Only when the writers outgrew the
    /// headroom during the save is it below the usage.
    public static func clamp(usage: Bytes, floor: Bytes, ceiling: Bytes) -> Bytes {
        min(ceiling, sized(usage: usage, floor: floor))
    }

    /// A lower value once the usage has fallen `followStep` under the
    /// limit: usage + `slack`, never below `floor`; nil to leave it.
    public static func follow(usage: Bytes, floor: Bytes, limit: Bytes) -> Bytes? {
        let value = sized(usage: usage, floor: floor)
        return value + followStep <= limit ? value : nil
    }

    /// The lever is let go once what the target cannot give back has grown
    /// to within half the margin of the limit: the next allocations would
    /// find nothing to reclaim, and v1 kills rather than slows.
    public static func letsGo(unreclaimable: Bytes, limit: Bytes) -> Bool {
        unreclaimable + letGoRoom >= limit
    }

    /// Half the margin: the room left when the lever lets go.
    public static var letGoRoom: Bytes { Bytes(margin.value / 2) }
}
