import MemcgCore

/// A target's lever file (`Lever`: memory.high on v2,
/// memory.limit_in_bytes on v1) and what its floor is computed from: read,
/// and written with a deadline.
public struct LeverFile: Sendable {
    public var lever: Lever
    /// The target's directory (`…/user.slice`).
    public var targetPath: String

    public init(_ lever: Lever = .memoryHigh, targetPath: String) { (self.lever, self.targetPath) = (lever, targetPath) }

    public var path: String { "\(targetPath)/\(lever.file)" }

    /// `max` or bytes. v1 has no `max`: its unlimited reads as a byte count
    /// (PAGE_COUNTER_MAX pages), which written back is unlimited again.
    public func read() throws(KernelError) -> CgroupLimit {
        try readParsed(path) { text throws(ParseError) in try CgroupLimit(parsing: text) }
    }

    /// What the limit is compared with: memory.current (v2),
    /// memory.usage_in_bytes (v1).
    public func usage() throws(KernelError) -> Bytes {
        let file = lever == .memoryHigh ? KernelFile.memoryCurrent : KernelFile.usageInBytes
        return try readParsed("\(targetPath)/\(file)") { text throws(ParseError) in try CounterFile.parse(text) }
    }

    /// The usage and what the target cannot give back without swap
    /// (`Lever.unreclaimable`), from one read of each file.
    public func unreclaimable() throws(KernelError) -> (usage: Bytes, unreclaimable: Bytes) {
        let usage = try usage()
        let stat = try stat()
        do {
            return (usage, try lever.unreclaimable(usage: usage, stat: stat))
        } catch {
            throw .malformed(path: "\(targetPath)/\(KernelFile.stat)", error)
        }
    }

    /// The target's memory.stat (the fields `Lever.unreclaimable` reads).
    public func stat() throws(KernelError) -> MemoryStat {
        try readParsed("\(targetPath)/\(KernelFile.stat)") { text throws(ParseError) in try MemoryStat(parsing: text) }
    }

    /// memory.high: a value below the target's usage makes the kernel
    /// reclaim it inside the write (memory_high_write loops until usage is
    /// under it or reclaim stops making progress), checking
    /// `signal_pending()`: the deadline bounds it as it bounds
    /// memory.reclaim. An interrupted write has still set the value: the
    /// kernel stores it first. memory.limit_in_bytes: the lever writes it
    /// at or above the usage only, which returns at once (below, the
    /// kernel reclaims first and sets it only once under: the deadline
    /// then leaves it unset, EINTR).
    public func write(_ value: CgroupLimit, deadlineMilliseconds: Int64) throws(SystemError) -> WriteOutcome {
        try DeadlineWrite.write("\(value)\n", to: path, deadlineMilliseconds: deadlineMilliseconds,
                                missingFix: "this kernel has no \(lever.file) on the target; set \(lever.settingName) = off")
    }
}
