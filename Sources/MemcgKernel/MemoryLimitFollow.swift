#if canImport(Glibc)
import Glibc
#endif
import CMemcgShims
import MemcgCore

/// The v1 limit lever followed down while a reclaim runs
/// (`MemoryLimitLever`'s rules): a C thread (`CMemcgShims/follow.c`) reads
/// the target's memory.usage_in_bytes and memory.stat every 50 ms, lowers
/// memory.limit_in_bytes behind the usage, and lets go (writes the
/// original back) once what the target cannot give back nears the limit.
/// A thread, because the reclaim is one blocking force_empty write (44 s
/// in one lab cell): what it frees would otherwise be taken again by the
/// writers, and a session's anon growing meanwhile would meet the limit,
/// before the check could look. Started and stopped around one reclaim.
public final class MemoryLimitFollow {
    /// What the thread did.
    public struct Result: Sendable {
        /// The limit as it last wrote it (the starting one when it wrote
        /// none, the original after a let-go).
        public var limit: Bytes
        public var writes: Int
        /// What the target could not give back when the thread let go, and
        /// the lever's limit it replaced; nil when it did not.
        public var letGo: (unreclaimable: Bytes, limit: Bytes)?
        /// Why it stopped following early, when a write failed.
        public var failure: SystemError?
    }

    private let files: [FileDescriptor]
    private let path: String
    private var handle: OpaquePointer?
    private var stopped: Result?

    /// Starts following `file`'s limit, `limit` now; a let-go writes `original`.
    public init(_ file: LeverFile, limit: Bytes, original: Bytes) throws(SystemError) {
        let usage = try FileDescriptor(opening: "\(file.targetPath)/\(KernelFile.usageInBytes)", flags: O_RDONLY | O_CLOEXEC)
        let stat = try FileDescriptor(opening: "\(file.targetPath)/\(KernelFile.stat)", flags: O_RDONLY | O_CLOEXEC)
        let limitFile = try FileDescriptor(opening: file.path, flags: O_WRONLY | O_CLOEXEC)
        files = [usage, stat, limitFile]
        path = file.path
        let params = memcg_follow_params(usage_fd: usage.raw, stat_fd: stat.raw, limit_fd: limitFile.raw, limit: limit.value,
                                         original: original.value, margin: MemoryLimitLever.margin.value,
                                         slack: MemoryLimitLever.slack.value, step: MemoryLimitLever.followStep.value,
                                         align: Lever.alignment, poll_ms: Int32(MemoryLimitLever.followPollMilliseconds))
        var error: Int32 = 0
        handle = memcg_follow_start(params, &error)
        guard handle != nil else { throw SystemError("start the thread that follows the usage down with", file.path, errno: error) }
    }

    /// Stops and joins the thread; a second call says the same as the first.
    public func stop() -> Result {
        guard let handle else { return stopped ?? Result(limit: .zero, writes: 0) }
        let r = memcg_follow_stop(handle)
        self.handle = nil
        let result = Result(limit: Bytes(r.limit), writes: Int(r.writes), letGo: r.let_go == 0 ? nil : (Bytes(r.unreclaimable), Bytes(r.let_go_limit)),
                            failure: r.write_error == 0 ? nil : SystemError("write", path, errno: r.write_error))
        stopped = result
        // The thread read and wrote them until the stop joined it.
        withExtendedLifetime(files) {}
        return result
    }

    deinit { _ = stop() }
}
