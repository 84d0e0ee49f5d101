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
        let alarm = try DeadlineAlarm(afterMilliseconds: timeoutMilliseconds)
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
