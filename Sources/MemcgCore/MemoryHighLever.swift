/// The kernel's own loop for a held episode on cgroup v2: with memory.high
/// below the target's usage, the kernel reclaims the target in the
/// allocating tasks' context and throttles their growth (what oomd/senpai
/// and Kubernetes MemoryQoS use), between watch's wake-ups as well.
/// memory.high never OOM-kills: above it, allocations are slowed, not
/// refused. Pure: the floor and the value to write (the restore is `Lever`'s).
public enum MemoryHighLever {
    /// Room above what the kernel cannot reclaim without swap. A target at
    /// its floor has only this much for new anon memory and page cache
    /// before the kernel throttles its tasks: a session's editor, compiler
    /// or `less` of a log needs tens of MiB of cache to work without
    /// re-reading from disk on every access, and what a session allocates
    /// between two of watch's wake-ups is slowed, never killed. 128 MiB is
    /// a choice, not a measurement; docs/cgroup-v2.md says so.
    public static let margin = Bytes.mib(128)
    /// memory.high is never set below this: the unreclaimable part + `margin`.
    public static func floor(current: Bytes, stat: MemoryStat) throws(ParseError) -> Bytes {
        try Lever.memoryHigh.unreclaimable(usage: current, stat: stat) + margin
    }

    /// The value for a target using `current` when kubelet's available is
    /// `shortfall` below where the episode ends: the target gives that back.
    /// Never raised: a memory.high already at or below the value (set by
    /// someone else, or a lever already engaged) is left as it is.
    public static func engage(current: Bytes, stat: MemoryStat, shortfall: Bytes, now: CgroupLimit) throws(ParseError) -> LeverEngage {
        let floor = try floor(current: current, stat: stat)
        let wanted = current - shortfall.clampedAtZero
        let value = Lever.aligned(max(wanted, floor))
        guard value < current else {
            return .skip("the target's usage \(current) is within its floor \(floor) (anon and what cannot be reclaimed without swap + \(margin))")
        }
        if case .bytes(let set) = now, set <= value {
            return .skip("memory.high is \(set) already, at or below \(value)")
        }
        return .write(value: value, floor: floor, atFloor: wanted <= floor)
    }
}
