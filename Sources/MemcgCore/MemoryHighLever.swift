/// `memory_high`: whether a held episode on cgroup v2 also sets the
/// target's memory.high (`MemoryHighLever`).
public enum MemoryHighMode: String, CaseIterable, Equatable, Sendable {
    case on
    case off
}

/// What a held episode changed on the target: saved in the state file
/// before the write, so whatever ends the daemon (recovery, a signal, a
/// failure, kill -9, a crash) the next run can put it back.
public struct MemoryHighRecord: Equatable, Sendable {
    /// The target (its path under the cgroup mount) the value was written to.
    public var target: String
    /// memory.high as it was before the lever: what a restore writes.
    public var original: CgroupLimit
    /// The value the lever wrote (a multiple of `MemoryHighLever.alignment`,
    /// so the kernel reads it back unchanged).
    public var written: Bytes
}

/// The kernel's own loop for a held episode on cgroup v2: with memory.high
/// below the target's usage, the kernel reclaims the target in the
/// allocating tasks' context and throttles their growth (what oomd/senpai
/// and Kubernetes MemoryQoS use), between watch's wake-ups as well.
/// memory.high never OOM-kills: above it, allocations are slowed, not
/// refused. Pure: the floor, the value to write, and what to do at a restore.
public enum MemoryHighLever {
    /// Room above what the kernel cannot reclaim without swap. A target at
    /// its floor has only this much for new anon memory and page cache
    /// before the kernel throttles its tasks: a session's editor, compiler
    /// or `less` of a log needs tens of MiB of cache to work without
    /// re-reading from disk on every access, and what a session allocates
    /// between two of watch's wake-ups is slowed, never killed. 128 MiB is
    /// a choice, not a measurement; docs/cgroup-v2.md says so.
    public static let margin = Bytes.mib(128)
    /// The kernel keeps memory.high in pages and reads it back rounded
    /// down to one; 64 KiB is a multiple of every page size Linux uses
    /// (4K, 16K, 64K), so what is written is what is read back, and a
    /// restore can tell its own value from someone else's.
    public static let alignment: Int64 = 65_536

    /// What the target holds that the kernel cannot reclaim without swap:
    /// anon, shmem (counted in `file`), mapped file pages (the tasks'
    /// code: reclaimable, but re-read at once) and kernel memory
    /// (memory.current beyond anon + file). Never less than anon.
    public static func unreclaimable(current: Bytes, stat: MemoryStat) throws(ParseError) -> Bytes {
        let anon = try stat.bytes(.anon)
        let file = try stat.bytes(.file)
        let shmem = (try? stat.bytes(.shmem)) ?? .zero
        let mapped = (try? stat.bytes(.fileMapped)) ?? .zero
        let kernel = (current - anon - file).clampedAtZero
        // shmem and mapped pages overlap (a mapped tmpfs file is both) and
        // memory.stat does not say by how much: the larger is the part of
        // `file` surely kept, never counted twice.
        return anon + kernel + max(shmem, mapped).clampedAtZero
    }

    /// memory.high is never set below this: the unreclaimable part + `margin`.
    public static func floor(current: Bytes, stat: MemoryStat) throws(ParseError) -> Bytes {
        try unreclaimable(current: current, stat: stat) + margin
    }

    /// What an episode's start does with the lever.
    public enum Engage: Equatable, Sendable {
        /// Write `value`: the target's usage minus the shortfall, aligned,
        /// or `floor` when that is higher.
        case write(value: Bytes, floor: Bytes, atFloor: Bool)
        /// Leave memory.high as it is; the reason for the log.
        case skip(String)

        /// What a `.write` on `target` must leave in the state file before
        /// it is done, so that any ending can put `original` back; nil for
        /// a skip.
        public func record(target: String, original: CgroupLimit) -> MemoryHighRecord? {
            guard case .write(let value, _, _) = self else { return nil }
            return MemoryHighRecord(target: target, original: original, written: value)
        }
    }

    /// The value for a target using `current` when kubelet's available is
    /// `shortfall` below where the episode ends: the target gives that back.
    /// Never raised: a memory.high already at or below the value (set by
    /// someone else, or a lever already engaged) is left as it is.
    public static func engage(current: Bytes, stat: MemoryStat, shortfall: Bytes, now: CgroupLimit) throws(ParseError) -> Engage {
        let floor = try floor(current: current, stat: stat)
        let wanted = current - shortfall.clampedAtZero
        let value = aligned(max(wanted, floor))
        guard value < current else {
            return .skip("the target's usage \(current) is within its floor \(floor) (anon and what cannot be reclaimed without swap + \(margin))")
        }
        if case .bytes(let set) = now, set <= value {
            return .skip("memory.high is \(set) already, at or below \(value)")
        }
        return .write(value: value, floor: floor, atFloor: wanted <= floor)
    }

    /// Up to the next multiple of `alignment`, so it never goes below the floor.
    static func aligned(_ bytes: Bytes) -> Bytes {
        let a = alignment
        let up = (bytes.value + a - 1) / a * a
        return Bytes(up)
    }

    /// What a restore does, from the record and memory.high as read now.
    public enum Restore: Equatable, Sendable {
        /// It is still what the lever wrote: write the original back.
        case write(CgroupLimit)
        /// It is the original already (the write never happened, or it was
        /// restored and the record not cleared): nothing to write.
        case alreadyOriginal
        /// Someone else changed it since: theirs stands, not ours to undo.
        case changedByOthers(CgroupLimit)
    }

    public static func restore(_ record: MemoryHighRecord, now: CgroupLimit) -> Restore {
        if now == .bytes(record.written) { return .write(record.original) }
        if now == record.original { return .alreadyOriginal }
        return .changedByOthers(now)
    }
}
