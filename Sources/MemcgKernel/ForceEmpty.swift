#if canImport(Glibc)
import Glibc
#endif

/// The outcome of one write to `memory.force_empty`.
public enum ReclaimOutcome: Equatable, Sendable {
    /// The kernel returned: everything reclaimable was reclaimed.
    case completed(milliseconds: Int64)
    /// The deadline passed and the write was interrupted (EINTR).
    case interrupted(milliseconds: Int64)
}

/// `echo 1 > <cgroup>/memory.force_empty`, bounded by a deadline.
///
/// The kernel's force_empty loop checks `signal_pending()` and returns
/// EINTR when a signal arrives, so a SIGALRM handler installed without
/// SA_RESTART ends a write that would otherwise run until systemd kills the
/// whole run (the seed's timeout case). The timer repeats every 200 ms after
/// the deadline so a signal that lands just before the write (or the open)
/// starts cannot be lost.
public enum ForceEmpty {
    public static func reclaim(cgroupPath: String, deadlineMilliseconds: Int64) throws(SystemError) -> ReclaimOutcome {
        let path = "\(cgroupPath)/memory.force_empty"
        let start = MonotonicClock.nowMilliseconds()
        let alarm = DeadlineAlarm(afterMilliseconds: deadlineMilliseconds)
        defer { alarm.cancel() }
        // O_TRUNC as the shell's `>` does; cgroupfs ignores it, fixtures need it.
        let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        if fd < 0 {
            let e = lastErrno()
            if e == EINTR { return .interrupted(milliseconds: MonotonicClock.nowMilliseconds() - start) }
            throw SystemError("open", path, errno: e)
        }
        defer { close(fd) }
        do {
            try FileIO.writeAll(fd: fd, "1\n", path: path)
        } catch where error.errno == EINTR {
            return .interrupted(milliseconds: MonotonicClock.nowMilliseconds() - start)
        }
        return .completed(milliseconds: MonotonicClock.nowMilliseconds() - start)
    }
}

/// A SIGALRM that interrupts blocking system calls after a deadline, and
/// again every 200 ms until cancelled.
struct DeadlineAlarm {
    init(afterMilliseconds ms: Int64) {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0  // no SA_RESTART: the blocked write must return EINTR
        sigaction(SIGALRM, &action, nil)
        // A blocked signal mask is inherited across exec: a parent that
        // blocks SIGALRM (the Swift test runner's Process does) would leave
        // the write uninterruptible until systemd kills the run.
        var alarmOnly = sigset_t()
        sigemptyset(&alarmOnly)
        sigaddset(&alarmOnly, SIGALRM)
        pthread_sigmask(SIG_UNBLOCK, &alarmOnly, nil)
        let first = max(ms, 1)
        var timer = itimerval(
            it_interval: timeval(tv_sec: 0, tv_usec: 200_000),
            it_value: timeval(tv_sec: Int(first / 1000), tv_usec: Int((first % 1000) * 1000)))
        setitimer(Int32(ITIMER_REAL.rawValue), &timer, nil)
    }

    func cancel() {
        var off = itimerval()
        setitimer(Int32(ITIMER_REAL.rawValue), &off, nil)
    }
}
