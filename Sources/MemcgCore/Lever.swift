/// The kernel's own limit on the target that a held episode may set, one
/// per hierarchy: memory.high on cgroup v2 (`MemoryHighLever`: the kernel
/// reclaims and throttles, never kills) and memory.limit_in_bytes on
/// cgroup v1 (`MemoryLimitLever`: the only v1 limit, which can OOM-kill).
/// Both are saved in the state file before the write and put back the same
/// way (`LeverRecord`, `restore`), so every ending undoes either.
public enum Lever: String, CaseIterable, Equatable, Sendable {
    case memoryHigh
    case memoryLimit

    /// The target's file the lever writes.
    public var file: String {
        switch self {
        case .memoryHigh: "memory.high"
        case .memoryLimit: "memory.limit_in_bytes"
        }
    }

    /// The setting that turns it on (off by default, both).
    public var settingName: String {
        switch self {
        case .memoryHigh: "memory_high"
        case .memoryLimit: "memory_limit"
        }
    }

    /// Its keys in the state file: `<prefix>_target`, `_original`, `_written`.
    public var stateKeyPrefix: String { settingName }

    /// The v1 lever follows the usage down while a reclaim runs
    /// (`MemoryLimitLever.follow`): what the state file records is the
    /// highest value it wrote, and any value at or below it is its own. The
    /// v2 lever writes one value per episode.
    public var followsDown: Bool { self == .memoryLimit }

    /// The kernel keeps both limits in pages and reads them back rounded
    /// down to one; 64 KiB is a multiple of every page size Linux uses
    /// (4K, 16K, 64K), so what is written is what is read back, and a
    /// restore can tell its own value from someone else's.
    public static let alignment: Int64 = 65_536

    /// Up to the next multiple of `alignment`, so it never goes below a floor.
    public static func aligned(_ bytes: Bytes) -> Bytes {
        let a = alignment
        return Bytes((bytes.value + a - 1) / a * a)
    }

    /// What the target holds that the kernel cannot reclaim without swap:
    /// anon, shmem (counted in the file pages), mapped file pages (the
    /// tasks' code: reclaimable, but re-read at once) and kernel memory
    /// (`usage` beyond anon + file pages). Never less than anon. `usage` is
    /// what the limit is compared with: memory.current on v2,
    /// memory.usage_in_bytes on v1 (which counts kernel memory too).
    public func unreclaimable(usage: Bytes, stat: MemoryStat) throws(ParseError) -> Bytes {
        let (anonField, fileField, shmemField, mappedField): (StatField, StatField, StatField, StatField) = switch self {
        case .memoryHigh: (.anon, .file, .shmem, .fileMapped)
        case .memoryLimit: (.totalRSS, .totalCache, .totalShmem, .totalMappedFile)
        }
        let anon = try stat.bytes(anonField)
        let file = try stat.bytes(fileField)
        let shmem = (try? stat.bytes(shmemField)) ?? .zero
        let mapped = (try? stat.bytes(mappedField)) ?? .zero
        let kernel = (usage - anon - file).clampedAtZero
        // shmem and mapped pages overlap (a mapped tmpfs file is both) and
        // memory.stat does not say by how much: the larger is the part of
        // the file pages surely kept, never counted twice.
        return anon + kernel + max(shmem, mapped).clampedAtZero
    }

    /// What a restore does, from the record and the file as read now.
    public enum Restore: Equatable, Sendable {
        /// It is still what the lever wrote: write the original back.
        case write(CgroupLimit)
        /// It is the original already (the write never happened, or it was
        /// restored and the record not cleared): nothing to write.
        case alreadyOriginal
        /// Someone else changed it since: theirs stands, not ours to undo.
        case changedByOthers(CgroupLimit)
    }

    public static func restore(_ record: LeverRecord, now: CgroupLimit) -> Restore {
        if now == record.original { return .alreadyOriginal }
        if now == .bytes(record.written) { return .write(record.original) }
        // The v1 lever lowers its own value during a reclaim, never below
        // the floor and never raising it: anything up to what it recorded
        // is its own. An original at or below that is never recorded (the
        // lever does not engage over a lower limit).
        if record.lever.followsDown, case .bytes(let value) = now, value <= record.written { return .write(record.original) }
        return .changedByOthers(now)
    }

    /// The file's value when it is the lever's own by `restore`'s rule
    /// (what a restore would undo); nil when it is the original or someone
    /// else's. What the v1 lever's follow, and its let-go watch, may act on.
    public static func own(_ record: LeverRecord, now: CgroupLimit) -> Bytes? {
        guard case .write = restore(record, now: now), case .bytes(let value) = now else { return nil }
        return value
    }
}

/// `memory_high`, `memory_limit`: whether a held episode also sets the
/// target's limit (`Lever`).
public enum LeverMode: String, CaseIterable, Equatable, Sendable {
    case on
    case off
}

/// What a held episode changed on the target: saved in the state file
/// before the write, so whatever ends the daemon (recovery, a signal, a
/// failure, kill -9, a crash) the next run can put it back.
public struct LeverRecord: Equatable, Sendable {
    public var lever: Lever
    /// The target (its path under the cgroup mount) the value was written to.
    public var target: String
    /// The file as it was before the lever: what a restore writes.
    public var original: CgroupLimit
    /// The value the lever wrote (a multiple of `Lever.alignment`, so the
    /// kernel reads it back unchanged); for the v1 lever, the highest value
    /// it may write: `MemoryLimitLever.ceiling`, recorded before its first
    /// write, which is at or below it.
    public var written: Bytes

    public init(lever: Lever = .memoryHigh, target: String, original: CgroupLimit, written: Bytes) {
        (self.lever, self.target, self.original, self.written) = (lever, target, original, written)
    }
}

/// What an episode's start does with a lever.
public enum LeverEngage: Equatable, Sendable {
    /// Write `value`, never below `floor`; `atFloor` when the floor set it.
    case write(value: Bytes, floor: Bytes, atFloor: Bool)
    /// Leave the file as it is; the reason for the log.
    case skip(String)

    /// What a `.write` on `target` must leave in the state file before
    /// it is done, so that any ending can put `original` back; nil for
    /// a skip.
    public func record(_ lever: Lever, target: String, original: CgroupLimit) -> LeverRecord? {
        guard case .write(let value, _, _) = self else { return nil }
        return LeverRecord(lever: lever, target: target, original: original, written: value)
    }
}
