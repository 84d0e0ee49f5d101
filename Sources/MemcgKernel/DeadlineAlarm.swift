#if canImport(Glibc)
import Glibc
#endif
import CMemcgShims

/// A SIGALRM aimed at the calling thread that interrupts its blocking
/// system calls after a deadline, and again every 200 ms until cancelled
/// (so a signal that lands just before the call starts cannot be lost).
///
/// A POSIX timer with SIGEV_THREAD_ID rather than setitimer(2): a process
/// signal goes to any thread that does not block it, and in a process with
/// more than one thread (the daemon, the test runner) that is often not the
/// one stuck in write(2).
final class DeadlineAlarm {
    /// timer_t is a small integer in a pointer, and the first timer of a
    /// process is 0, i.e. nil here: whether it is armed is kept apart.
    private var timer: timer_t?
    private var armed = false
    private var savedMask = sigset_t()

    /// `path` names the write the alarm bounds, for the error.
    init(afterMilliseconds ms: Int64, bounding path: String) throws(SystemError) {
        // Dispatch's worker threads block SIGALRM; a thread-directed signal
        // to such a thread would stay pending and the call would never end.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGALRM)
        pthread_sigmask(SIG_UNBLOCK, &unblock, &savedMask)

        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0  // no SA_RESTART: the blocked call must return EINTR
        sigaction(SIGALRM, &action, nil)

        var event = sigevent()
        event.sigev_notify = Int32(SIGEV_THREAD_ID)
        event.sigev_signo = SIGALRM
        event._sigev_un._tid = pid_t(memcg_gettid())
        var created: timer_t?
        guard timer_create(CLOCK_MONOTONIC, &event, &created) == 0 else {
            let e = lastErrno()
            pthread_sigmask(SIG_SETMASK, &savedMask, nil)
            // Never start a write that nothing could stop.
            throw SystemError("arm the deadline timer for a write to", path, errno: e)
        }
        timer = created
        armed = true
        let first = max(ms, 1)
        var spec = itimerspec(
            it_interval: timespec(tv_sec: 0, tv_nsec: 200_000_000),
            it_value: timespec(tv_sec: Int(first / 1000), tv_nsec: Int((first % 1000) * 1_000_000)))
        timer_settime(created, 0, &spec, nil)
    }

    func cancel() {
        if armed {
            timer_delete(timer)
            armed = false
            // A signal already queued is harmless (empty handler); restore the mask.
            pthread_sigmask(SIG_SETMASK, &savedMask, nil)
        }
    }

    deinit { cancel() }
}
