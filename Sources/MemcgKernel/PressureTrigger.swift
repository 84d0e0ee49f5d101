#if canImport(Glibc)
import Glibc
#endif
import MemcgCore

/// A PSI (pressure stall information) trigger on the node's memory
/// pressure, `/proc/pressure/memory`: the kernel signals POLLPRI when tasks
/// stalled on memory for at least `stall` microseconds within a `window`.
/// `mon_memcg watch`'s wake-up source on cgroup v2, which has no usage
/// thresholds.
///
/// Why PSI and not the target's `memory.events`: that file's counters only
/// move for the target's own limits (`low`, `high`, `max`, `oom`), and
/// user.slice normally runs without any, so it would never fire when the
/// node runs short. PSI is node-wide: it fires on reclaim stalls anywhere,
/// including a pod's memcg reclaiming against its own limit, which is where
/// memory going short shows first. It is a late signal compared with the v1
/// usage threshold (stalls start near the kernel's watermarks, while
/// kubelet's threshold is usually gigabytes above them), so the safety poll
/// and its adaptive near-threshold polls remain what catches a crossing in
/// time; the trigger adds an immediate check when memory is already
/// contended. The kernel reports a trigger at most once per window, which
/// bounds wake-ups from it.
///
/// Arming is one write of `"some <stall µs> <window µs>"` (NUL-terminated:
/// the kernel overwrites the last byte written with NUL) to the file opened
/// read-write; closing the file removes the trigger. Needs a kernel with
/// PSI (4.20+, not booted with `psi=0`). Without CAP_SYS_RESOURCE, which
/// mon_memcg-watch.service does not have (`CapabilityBoundingSet=` is
/// empty), the kernel refuses triggers before 6.5 (EPERM: watch polls) and
/// from 6.5 on accepts only windows that are a multiple of 2 s (EINVAL
/// otherwise), checked on its 2 s averaging cycle. Hence a 2 s window: the
/// same trigger works with or without the capability.
public final class PressureTrigger: WakeSource {
    /// 300 ms of stall within 2 s (15 %): memory contended enough for
    /// reclaim to slow tasks down noticeably, rare on a healthy node.
    public static let defaultStallMicroseconds: Int64 = 300_000
    /// The shortest window an unprivileged trigger may have.
    public static let defaultWindowMicroseconds: Int64 = 2_000_000

    private let file: FileDescriptor
    public let path: String

    public var fd: Int32 { file.raw }
    public var reason: WakeReason { .pressure }
    public var watchedPath: String { path }
    public let stallMicroseconds: Int64
    public let windowMicroseconds: Int64

    /// The trigger's line as written to the file (without the NUL).
    public var specification: String { "some \(stallMicroseconds) \(windowMicroseconds)" }

    public init(procRoot: String,
                stallMicroseconds: Int64 = PressureTrigger.defaultStallMicroseconds,
                windowMicroseconds: Int64 = PressureTrigger.defaultWindowMicroseconds) throws(SystemError) {
        path = "\(procRoot)/\(KernelFile.pressureMemory)"
        self.stallMicroseconds = stallMicroseconds
        self.windowMicroseconds = windowMicroseconds
        file = try FileDescriptor(opening: path, flags: O_RDWR | O_NONBLOCK, fix: Self.fix(for:))
        let line = Array("some \(stallMicroseconds) \(windowMicroseconds)".utf8) + [0]
        // One write: the kernel takes a trigger from a single write and
        // refuses a second one on the same file (EBUSY).
        let n = line.withUnsafeBytes { Glibc.write(file.raw, $0.baseAddress, $0.count) }
        guard n == line.count else {
            let e = n < 0 ? lastErrno() : EIO
            throw SystemError("write a PSI trigger to", path, errno: e, fix: Self.fix(for: e))
        }
    }

    static func fix(for errno: Int32) -> String? {
        switch errno {
        case ENOENT: return "no PSI in this kernel (CONFIG_PSI, 4.20+); watch falls back to polling"
        case EOPNOTSUPP: return "PSI is disabled (psi=0 on the kernel command line); watch falls back to polling"
        case EACCES, EPERM: return "PSI triggers need CAP_SYS_RESOURCE on kernels before 6.5; watch falls back to polling"
        default: return nil
        }
    }

    /// The kernel reports a trigger as POLLPRI; its file is always
    /// readable (POLLIN), so POLLIN must not count as a wake-up.
    public var events: Int16 { Int16(POLLPRI) }

    /// Nothing to read: poll(2) itself consumed the event.
    public func drain() -> Bool { true }

    public var description: String { "PSI trigger \"\(specification)\" on \(path)" }
}
