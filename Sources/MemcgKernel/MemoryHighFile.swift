import MemcgCore

/// A v2 target's memory.high and what its floor is computed from
/// (`MemoryHighLever`): read, and written with a deadline.
public struct MemoryHighFile: Sendable {
    /// The target's directory (`…/user.slice`).
    public var targetPath: String

    public init(targetPath: String) { self.targetPath = targetPath }

    public var path: String { "\(targetPath)/\(KernelFile.memoryHigh)" }

    public func read() throws(KernelError) -> CgroupLimit {
        try readParsed(path) { text throws(ParseError) in try CgroupLimit(parsing: text) }
    }

    /// The target's memory.stat (anon, file, shmem, file_mapped).
    public func stat() throws(KernelError) -> MemoryStat {
        try readParsed("\(targetPath)/\(KernelFile.stat)") { text throws(ParseError) in try MemoryStat(parsing: text) }
    }

    /// Writing a value below the target's usage makes the kernel reclaim
    /// it inside the write (memory_high_write loops until usage is under it
    /// or reclaim stops making progress), checking `signal_pending()`: the
    /// deadline bounds it as it bounds memory.reclaim. An interrupted
    /// write has still set the value: the kernel stores it first.
    public func write(_ value: CgroupLimit, deadlineMilliseconds: Int64) throws(SystemError) -> WriteOutcome {
        try DeadlineWrite.write("\(value)\n", to: path, deadlineMilliseconds: deadlineMilliseconds,
                                missingFix: "this kernel has no memory.high on the target (is it a cgroup v2 cgroup?); set memory_high = off")
    }
}
