#if canImport(Glibc)
import Glibc
#endif

/// How one deadline-bounded write ended, with how long it took.
public enum WriteOutcome: Equatable, Sendable {
    /// The kernel returned: it did all it would.
    case completed(milliseconds: Int64)
    /// The deadline passed or a stop signal came, and the write returned
    /// EINTR (the kernel's reclaim loops check `signal_pending()`).
    case interrupted(milliseconds: Int64)
    /// EAGAIN: memory.reclaim reclaimed less than it was asked.
    case partial(milliseconds: Int64)

    public var milliseconds: Int64 {
        switch self {
        case .completed(let ms), .interrupted(let ms), .partial(let ms): ms
        }
    }

    public var wasInterrupted: Bool {
        if case .interrupted = self { return true }
        return false
    }
}

/// `echo TEXT > FILE` under a `DeadlineAlarm`, the one write behind every
/// reclaim: memory.force_empty, memory.reclaim, and the escalation knobs.
/// EINTR from the open or the write is the deadline (or a stop signal), an
/// outcome rather than an error; so is EAGAIN.
public enum DeadlineWrite {
    public static func write(_ text: String, to path: String, deadlineMilliseconds: Int64,
                             followSymlinks: Bool = true, missingFix: String? = nil) throws(SystemError) -> WriteOutcome {
        let start = MonotonicClock.nowMilliseconds()
        func elapsed() -> Int64 { MonotonicClock.nowMilliseconds() - start }
        guard deadlineMilliseconds > 0 else { return .interrupted(milliseconds: 0) }
        let alarm = try DeadlineAlarm(afterMilliseconds: deadlineMilliseconds, bounding: path)
        defer { alarm.cancel() }
        let fd: FileDescriptor
        do {
            // O_TRUNC as the shell's `>` does; kernel files ignore it, fixtures need it.
            fd = try FileDescriptor(opening: path, flags: O_WRONLY | O_TRUNC | (followSymlinks ? 0 : O_NOFOLLOW),
                                    fix: { $0 == ENOENT ? missingFix : nil })
        } catch where error.errno == EINTR {
            return .interrupted(milliseconds: elapsed())
        }
        do {
            try fd.writeAll(text, path: path)
        } catch where error.errno == EINTR {
            return .interrupted(milliseconds: elapsed())
        } catch where error.errno == EAGAIN {
            return .partial(milliseconds: elapsed())
        }
        return .completed(milliseconds: elapsed())
    }
}
