#if canImport(Glibc)
import Glibc
#endif
import MemcgCore

/// One write to a cgroup v2 `memory.reclaim` (Linux 5.19+), bounded by a
/// deadline.
///
/// The kernel reclaims from the cgroup until it has the amount written, and
/// returns EAGAIN when it gave up after its retries with less; like
/// force_empty's loop it checks `signal_pending()` and returns EINTR, so the
/// same SIGALRM deadline bounds it.
public enum MemoryReclaim {
    public enum Outcome: Equatable, Sendable {
        /// The whole amount was reclaimed.
        case completed
        /// EAGAIN: less than the amount was reclaimed.
        case partial
        /// The deadline passed and the write was interrupted (EINTR).
        case interrupted
    }

    /// False on kernels before 5.19, which have no `memory.reclaim`.
    public static func isAvailable(cgroupPath: String) -> Bool {
        FileIO.exists("\(cgroupPath)/\(KernelFile.reclaim)")
    }

    public static func write(cgroupPath: String, bytes: Bytes, deadlineMilliseconds: Int64) throws(SystemError) -> Outcome {
        let path = "\(cgroupPath)/\(KernelFile.reclaim)"
        guard deadlineMilliseconds > 0 else { return .interrupted }
        let alarm = try DeadlineAlarm(afterMilliseconds: deadlineMilliseconds)
        defer { alarm.cancel() }
        // O_TRUNC as the shell's `>` does; cgroupfs ignores it, fixtures need it.
        let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        if fd < 0 {
            let e = lastErrno()
            if e == EINTR { return .interrupted }
            throw SystemError("open", path, errno: e,
                              fix: e == ENOENT ? "this kernel has no memory.reclaim: Linux 5.19 or later is needed; nothing was reclaimed" : nil)
        }
        defer { close(fd) }
        do {
            try FileIO.writeAll(fd: fd, "\(bytes.value)\n", path: path)
        } catch where error.errno == EINTR {
            return .interrupted
        } catch where error.errno == EAGAIN {
            return .partial
        }
        return .completed
    }
}
