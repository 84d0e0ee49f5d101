#if canImport(Glibc)
import Glibc
#endif
import CMemcgShims

/// Signals for a single-threaded daemon that blocks in poll(2) between
/// checks and in a write to memory.force_empty during one.
///
/// Between checks SIGTERM, SIGINT and SIGHUP are blocked and read from a
/// signalfd that poll(2) watches with everything else, so none is lost and
/// none interrupts anything. During a check (`allowStop()` ... `holdStop()`),
/// SIGTERM and SIGINT are unblocked: their handler (C, async-signal-safe,
/// no SA_RESTART) records the signal and starts a repeating SIGALRM aimed at
/// this thread, so a reclaim in progress returns EINTR at once and one that
/// was about to start returns within 50 ms. SIGHUP stays blocked during a
/// check: a reload waits for the check to end.
public final class WatchSignals {
    /// The signalfd for SIGTERM, SIGINT and SIGHUP.
    public let fd: Int32
    private var all = sigset_t()
    private var stop = sigset_t()

    public init() throws(SystemError) {
        sigemptyset(&all)
        sigaddset(&all, SIGTERM)
        sigaddset(&all, SIGINT)
        sigaddset(&all, SIGHUP)
        sigemptyset(&stop)
        sigaddset(&stop, SIGTERM)
        sigaddset(&stop, SIGINT)
        let installed = memcg_stop_handler_install()
        guard installed == 0 else { throw SystemError("install the stop handler for", "SIGTERM/SIGINT", errno: installed) }
        guard pthread_sigmask(SIG_BLOCK, &all, nil) == 0 else { throw SystemError("block", "SIGTERM/SIGINT/SIGHUP", errno: lastErrno()) }
        let sfd = signalfd(-1, &all, Int32(SFD_CLOEXEC) | Int32(SFD_NONBLOCK))
        guard sfd >= 0 else { throw SystemError("create a signalfd for", "SIGTERM/SIGINT/SIGHUP", errno: lastErrno()) }
        fd = sfd
    }

    /// From here until `holdStop()`, SIGTERM/SIGINT interrupt blocking calls.
    /// A stop signal already pending is delivered now.
    public func allowStop() { pthread_sigmask(SIG_UNBLOCK, &stop, nil) }

    /// Back to reading every signal from the signalfd.
    public func holdStop() { pthread_sigmask(SIG_BLOCK, &stop, nil) }

    /// The signals queued on the signalfd, in arrival order.
    public func take() -> [Int32] {
        var signals: [Int32] = []
        var info = signalfd_siginfo()
        let size = MemoryLayout<signalfd_siginfo>.size
        while true {
            let n = withUnsafeMutableBytes(of: &info) { Glibc.read(fd, $0.baseAddress, size) }
            if n == size { signals.append(Int32(info.ssi_signo)); continue }
            if n < 0, lastErrno() == EINTR { continue }
            return signals
        }
    }

    deinit {
        memcg_stop_timer_disarm()
        close(fd)
    }
}

/// The stop signal seen by the handler during a check, if any.
public enum StopSignal {
    public static var received: Int32? {
        let s = memcg_stop_signal()
        return s == 0 ? nil : s
    }

    public static func name(_ signo: Int32) -> String {
        switch signo {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGHUP: "SIGHUP"
        default: "signal \(signo)"
        }
    }

    /// Ends the repeating SIGALRM once the interrupted check has unwound.
    public static func quiet() { memcg_stop_timer_disarm() }
}

/// poll(2) on a few descriptors for POLLIN.
public enum Poll {
    /// Which of `fds` are readable; all false on timeout or EINTR.
    public static func wait(_ fds: [Int32], timeoutMilliseconds: Int64) -> [Bool] {
        wait(fds.map { ($0, Int16(POLLIN)) }, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Which of `fds` are ready for their events (or failed); all false on
    /// timeout or EINTR.
    public static func wait(_ fds: [(fd: Int32, events: Int16)], timeoutMilliseconds: Int64) -> [Bool] {
        var set = fds.map { pollfd(fd: $0.fd, events: $0.events, revents: 0) }
        let timeout = Int32(clamping: max(0, timeoutMilliseconds))
        let n = set.withUnsafeMutableBufferPointer { Glibc.poll($0.baseAddress, nfds_t($0.count), timeout) }
        guard n > 0 else { return fds.map { _ in false } }
        return set.map { $0.revents & ($0.events | Int16(POLLERR | POLLHUP)) != 0 }
    }
}
