#if canImport(Glibc)
import Glibc
#endif

/// The outcome of one deadline-bounded write: `memory.force_empty`, or an
/// escalation knob (the memcg reaper, `drop_caches`).
public enum ReclaimOutcome: Equatable, Sendable {
    /// The kernel returned: it did all it would.
    case completed(milliseconds: Int64)
    /// The deadline passed and the write was interrupted (EINTR).
    case interrupted(milliseconds: Int64)
}

/// `echo 1 > <file>` under a `DeadlineAlarm`: the open and the write return
/// EINTR once the deadline passes, and that is an outcome, not an error.
public enum DeadlineWrite {
    public static func one(_ path: String, deadlineMilliseconds: Int64, followSymlinks: Bool = true) throws(SystemError) -> ReclaimOutcome {
        let start = MonotonicClock.nowMilliseconds()
        func elapsed() -> Int64 { MonotonicClock.nowMilliseconds() - start }
        let alarm = try DeadlineAlarm(afterMilliseconds: deadlineMilliseconds)
        defer { alarm.cancel() }
        // O_TRUNC as the shell's `>` does; kernel files ignore it, fixtures need it.
        let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | (followSymlinks ? 0 : O_NOFOLLOW))
        if fd < 0 {
            let e = lastErrno()
            if e == EINTR { return .interrupted(milliseconds: elapsed()) }
            throw SystemError("open", path, errno: e)
        }
        defer { close(fd) }
        do {
            try FileIO.writeAll(fd: fd, "1\n", path: path)
        } catch where error.errno == EINTR {
            return .interrupted(milliseconds: elapsed())
        }
        return .completed(milliseconds: elapsed())
    }
}
