#if canImport(Glibc)
import Glibc
#endif
import CMemcgShims
import MemcgCore

/// The v1 limit lever followed down while a reclaim runs
/// (`MemoryLimitLever.follow`): a C thread (`CMemcgShims/follow.c`) reads
/// the target's memory.usage_in_bytes every 50 ms and lowers
/// memory.limit_in_bytes behind it. A thread, because the reclaim is one
/// blocking force_empty write: what it frees would otherwise be taken again
/// by the writers before the check could look (the lab trial lowered it
/// every 50 ms, docs/efficacy.md). Started and stopped around one reclaim.
public final class MemoryLimitFollow {
    /// What the thread did.
    public struct Result: Equatable, Sendable {
        /// The limit as it last wrote it (the starting one when it wrote none).
        public var limit: Bytes
        public var writes: Int
        /// Why it stopped following early, when a write failed.
        public var failure: SystemError?
    }

    private let usage: FileDescriptor
    private let limitFile: FileDescriptor
    private let path: String
    private var handle: OpaquePointer?

    /// Starts following `file`'s limit, `limit` now, never below `floor`.
    public init(_ file: LeverFile, limit: Bytes, floor: Bytes) throws(SystemError) {
        usage = try FileDescriptor(opening: "\(file.targetPath)/\(KernelFile.usageInBytes)", flags: O_RDONLY | O_CLOEXEC)
        limitFile = try FileDescriptor(opening: file.path, flags: O_WRONLY | O_CLOEXEC)
        path = file.path
        var error: Int32 = 0
        handle = memcg_follow_start(usage.raw, limitFile.raw, limit.value, floor.value, MemoryLimitLever.slack.value,
                                    MemoryLimitLever.followStep.value, Lever.alignment,
                                    Int32(MemoryLimitLever.followPollMilliseconds), &error)
        guard handle != nil else { throw SystemError("start the thread that follows the usage down with", file.path, errno: error) }
    }

    /// Stops and joins the thread; the second call says the same as the first.
    public func stop() -> Result {
        guard let handle else { return stopped ?? Result(limit: .zero, writes: 0) }
        let r = memcg_follow_stop(handle)
        self.handle = nil
        let result = Result(limit: Bytes(r.limit), writes: Int(r.writes),
                            failure: r.write_error == 0 ? nil : SystemError("write", path, errno: r.write_error))
        stopped = result
        return result
    }

    private var stopped: Result?

    deinit { _ = stop() }
}
