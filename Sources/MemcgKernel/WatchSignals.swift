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
/// `Interruption` lets SIGTERM and SIGINT interrupt it: their handler records
/// the signal and starts a repeating SIGALRM aimed at this thread, so a
/// reclaim in progress returns EINTR at once and one that was about to start
/// returns within 50 ms. SIGHUP stays blocked during a check: a reload waits
/// for the check to end.
public final class WatchSignals {
    private let signalFD: FileDescriptor
    /// The signalfd for SIGTERM, SIGINT and SIGHUP.
    public var fd: Int32 { signalFD.raw }

    public init() throws(SystemError) {
        var all = sigset_t()
        sigemptyset(&all)
        sigaddset(&all, SIGTERM)
        sigaddset(&all, SIGINT)
        sigaddset(&all, SIGHUP)
        try Interruption.catchStopSignals()
        guard pthread_sigmask(SIG_BLOCK, &all, nil) == 0 else { throw SystemError("block", "SIGTERM/SIGINT/SIGHUP", errno: lastErrno()) }
        let sfd = signalfd(-1, &all, Int32(SFD_CLOEXEC) | Int32(SFD_NONBLOCK))
        guard sfd >= 0 else { throw SystemError("create a signalfd for", "SIGTERM/SIGINT/SIGHUP", errno: lastErrno()) }
        signalFD = FileDescriptor(adopting: sfd)
    }

    /// From here until `holdStop()`, SIGTERM/SIGINT interrupt blocking calls.
    /// A stop signal already pending is delivered now.
    public func allowStop() { Interruption.allowStop() }

    /// Back to reading every signal from the signalfd.
    public func holdStop() { Interruption.holdStop() }

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

    deinit { Interruption.releaseStopSignals() }
}
