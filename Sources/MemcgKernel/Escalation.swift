#if canImport(Glibc)
import Glibc
#endif
import MemcgCore

/// The outcome of one escalation write.
public enum EscalationOutcome: Equatable, Sendable {
    case completed(milliseconds: Int64)
    /// The run's deadline passed and the write returned EINTR.
    case interrupted(milliseconds: Int64)
}

/// The two ways to free dying cgroups, as kernel writes. Paths derive from
/// `proc_root` and `sys_root` so fixture trees stand in for the kernel.
public struct Escalation: Sendable {
    public var procRoot: String
    public var sysRoot: String

    public init(procRoot: String, sysRoot: String) {
        self.procRoot = procRoot
        self.sysRoot = sysRoot
    }

    public init(config: Config) {
        self.init(procRoot: config.procRoot, sysRoot: config.sysRoot)
    }

    public func path(for step: EscalationStep) -> String {
        switch step {
        case .reaper: "\(sysRoot)/\(KernelFile.memcgReaper)"
        case .dropCaches: "\(procRoot)/\(KernelFile.dropCaches)"
        }
    }

    /// Alibaba Cloud Linux's reaper: present when its knob exists.
    public var reaperPresent: Bool { FileIO.exists(path(for: .reaper)) }

    /// `echo 1 > <knob>` with a SIGALRM after `timeoutMilliseconds`, as
    /// `ForceEmpty` does, aimed at the calling thread. The reaper's loop can be interrupted that way;
    /// drop_caches' cannot (the kernel does not check signals while it
    /// drops), which is why the policy starts it only with time to spare.
    public func perform(_ step: EscalationStep, timeoutMilliseconds: Int64) throws(SystemError) -> EscalationOutcome {
        let file = path(for: step)
        let start = MonotonicClock.nowMilliseconds()
        let alarm = ThreadAlarm(afterMilliseconds: timeoutMilliseconds)
        defer { alarm.cancel() }
        // O_TRUNC as the shell's `>` does; procfs and sysfs ignore it, fixtures need it.
        let fd = open(file, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW)
        if fd < 0 {
            let e = lastErrno()
            if e == EINTR { return .interrupted(milliseconds: MonotonicClock.nowMilliseconds() - start) }
            throw SystemError("open", file, errno: e)
        }
        defer { close(fd) }
        do {
            try FileIO.writeAll(fd: fd, "1\n", path: file)
        } catch where error.errno == EINTR {
            return .interrupted(milliseconds: MonotonicClock.nowMilliseconds() - start)
        }
        return .completed(milliseconds: MonotonicClock.nowMilliseconds() - start)
    }

    /// Freed cgroups leave `/proc/cgroups` a few tens of ms after their last
    /// page (the kernel releases them from a work queue): wait this long
    /// before measuring after a step, so the log shows the effect.
    public static let settleMilliseconds: Int64 = 200

    public static func settle(maxMilliseconds: Int64) {
        let ms = min(settleMilliseconds, max(0, maxMilliseconds))
        if ms > 0 { usleep(useconds_t(ms * 1000)) }
    }
}

/// Wall-clock seconds since the epoch, for the drop_caches rate limit that
/// must hold across runs (each run is a new process).
public enum EpochClock {
    public static func nowSeconds() -> Int64 { Int64(time(nil)) }
}

@_silgen_name("gettid") private func systemGettid() -> pid_t  // glibc >= 2.30

/// A SIGALRM delivered to the calling thread (`timer_create` with
/// SIGEV_THREAD_ID) after a deadline and every 200 ms after it until
/// cancelled. A process-directed SIGALRM (`setitimer`) lands on any thread
/// that does not block it, so in a process with more than one thread (the
/// test runner, a future daemon) the blocked write would never see EINTR.
/// Falls back to `DeadlineAlarm` when the timer cannot be created.
struct ThreadAlarm {
    /// timer_t is a small integer in a pointer: 0 (nil here) is a valid id.
    private var timer: timer_t?
    private var created = false
    private var fallback: DeadlineAlarm?
    private var savedMask = sigset_t()

    init(afterMilliseconds ms: Int64) {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0  // no SA_RESTART: the blocked write must return EINTR
        sigaction(SIGALRM, &action, nil)
        // Worker threads (Dispatch, the test runner) block most signals.
        var alarmOnly = sigset_t()
        sigemptyset(&alarmOnly)
        sigaddset(&alarmOnly, SIGALRM)
        pthread_sigmask(SIG_UNBLOCK, &alarmOnly, &savedMask)
        var event = sigevent()
        event.sigev_notify = Int32(SIGEV_THREAD_ID)
        event.sigev_signo = SIGALRM
        event._sigev_un._tid = systemGettid()
        var id: timer_t?
        guard timer_create(CLOCK_MONOTONIC, &event, &id) == 0 else {
            fallback = DeadlineAlarm(afterMilliseconds: ms)
            return
        }
        let first = max(ms, 1)
        var spec = itimerspec(
            it_interval: timespec(tv_sec: 0, tv_nsec: 200_000_000),
            it_value: timespec(tv_sec: Int(first / 1000), tv_nsec: Int((first % 1000) * 1_000_000)))
        timer_settime(id, 0, &spec, nil)
        timer = id
        created = true
    }

    func cancel() {
        if created { timer_delete(timer) }
        fallback?.cancel()
        // A last SIGALRM may be pending; with the handler installed it is
        // harmless once delivered, so restore the mask after the timer is gone.
        var mask = savedMask
        pthread_sigmask(SIG_SETMASK, &mask, nil)
    }
}
