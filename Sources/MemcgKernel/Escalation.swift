#if canImport(Glibc)
import Glibc
#endif
import MemcgCore

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

    /// `echo 1 > <knob>` under the same deadline as a reclaim. The reaper's
    /// loop can be interrupted that way; drop_caches' cannot (the kernel
    /// does not check signals while it drops), which is why the policy
    /// starts it only with time to spare.
    public func perform(_ step: EscalationStep, timeoutMilliseconds: Int64) throws(SystemError) -> WriteOutcome {
        // A knob that is a symlink is not followed: a fixture or a tampered
        // sysfs must not turn the write into one on some other file.
        try DeadlineWrite.write("1\n", to: path(for: step), deadlineMilliseconds: timeoutMilliseconds, followSymlinks: false)
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
