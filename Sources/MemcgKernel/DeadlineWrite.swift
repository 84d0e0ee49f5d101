#if canImport(Glibc)
import Glibc
#endif

/// How one deadline-bounded write ended, with how long it took.
public enum WriteOutcome: Equatable, Sendable {
    /// The kernel returned: it did all it would.
    case completed(milliseconds: Int64)
    /// The write returned EINTR (the kernel's reclaim loops check
    /// `signal_pending()`): `cause` says what sent the signal.
    case interrupted(milliseconds: Int64, cause: Interruption.Cause)
    /// EAGAIN: memory.reclaim reclaimed less than it was asked.
    case partial(milliseconds: Int64)

    public var milliseconds: Int64 {
        switch self {
        case .completed(let ms), .interrupted(let ms, _), .partial(let ms): ms
        }
    }

    public var wasInterrupted: Bool { cause != nil }

    /// Why the write was interrupted; nil when it was not.
    public var cause: Interruption.Cause? {
        if case .interrupted(_, let cause) = self { return cause }
        return nil
    }
}

/// `echo TEXT > FILE` bounded by `Interruption`, the one write behind every
/// reclaim: memory.force_empty, memory.reclaim, and the escalation knobs.
/// EINTR from the open or the write is an outcome rather than an error (the
/// deadline, a stop signal or the usage stop, said in it); so is EAGAIN.
public enum DeadlineWrite {
    public static func write(_ text: String, to path: String, deadlineMilliseconds: Int64,
                             followSymlinks: Bool = true, missingFix: String? = nil,
                             usageStop: UsageFallStop? = nil) throws(SystemError) -> WriteOutcome {
        let start = MonotonicClock.nowMilliseconds()
        guard deadlineMilliseconds > 0 else { return .interrupted(milliseconds: 0, cause: .deadline) }
        let (ended, cause) = try Interruption.bounding(path, deadlineMilliseconds: deadlineMilliseconds, usageStop: usageStop) {
            let ended = attempt(text, to: path, followSymlinks: followSymlinks, missingFix: missingFix)
            return (ended, MonotonicClock.nowMilliseconds() - start)
        }
        switch ended.0 {
        case .completed: return .completed(milliseconds: ended.1)
        // EINTR with nothing of ours fired: no other signal has a handler here; counted as the deadline, as ever.
        case .interrupted: return .interrupted(milliseconds: ended.1, cause: cause ?? .deadline)
        case .partial: return .partial(milliseconds: ended.1)
        case .failed(let error): throw error
        }
    }

    private enum Ended {
        case completed, interrupted, partial
        case failed(SystemError)
    }

    private static func attempt(_ text: String, to path: String, followSymlinks: Bool, missingFix: String?) -> Ended {
        let fd: FileDescriptor
        do {
            // O_TRUNC as the shell's `>` does; kernel files ignore it, fixtures need it.
            fd = try FileDescriptor(opening: path, flags: O_WRONLY | O_TRUNC | (followSymlinks ? 0 : O_NOFOLLOW),
                                    fix: { $0 == ENOENT ? missingFix : nil })
        } catch {
            return error.errno == EINTR ? .interrupted : .failed(error)
        }
        do {
            try fd.writeAll(text, path: path)
        } catch {
            switch error.errno {
            case EINTR: return .interrupted
            case EAGAIN: return .partial
            default: return .failed(error)
            }
        }
        return .completed
    }
}
