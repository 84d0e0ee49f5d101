#if canImport(Glibc)
import Glibc
#endif
import CMemcgShims
import MemcgCore

/// A cgroup v1 memory usage threshold: an eventfd that the kernel signals
/// when the cgroup's `memory.usage_in_bytes` crosses any of the registered
/// levels, in either direction.
///
/// Registration is `echo "<eventfd> <fd of memory.usage_in_bytes> <bytes>"
/// > cgroup.event_control`, once per level. There is no unregister: the
/// kernel drops the registrations when the eventfd is closed, so re-arming
/// means a new instance (registered before the old one is closed, so no
/// crossing falls in between). The kernel looks at thresholds when pages are
/// charged, batched per CPU (about every 128 page events), so a crossing is
/// reported within a few hundred KiB of it.
///
/// cgroup v2 has no usage thresholds: there `PressureTrigger` (a PSI
/// trigger on /proc/pressure/memory) is the `WakeSource`.
public final class UsageThresholdEvent: WakeSource {
    public let fd: Int32
    private let usageFD: Int32
    public let thresholds: [Bytes]
    public let cgroupPath: String

    public init(cgroupPath: String, thresholds: [Bytes]) throws(SystemError) {
        self.cgroupPath = cgroupPath
        self.thresholds = thresholds
        let usagePath = "\(cgroupPath)/\(KernelFile.usageInBytes)"
        let controlPath = "\(cgroupPath)/\(KernelFile.eventControl)"
        let efd = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
        guard efd >= 0 else { throw SystemError("create an eventfd for", controlPath, errno: lastErrno()) }
        let ufd = open(usagePath, O_RDONLY | O_CLOEXEC)
        guard ufd >= 0 else {
            let e = lastErrno()
            close(efd)
            throw SystemError("open", usagePath, errno: e)
        }
        let cfd = open(controlPath, O_WRONLY | O_CLOEXEC)
        guard cfd >= 0 else {
            let e = lastErrno()
            close(efd)
            close(ufd)
            throw SystemError("open", controlPath, errno: e,
                              fix: e == ENOENT ? "no cgroup v1 event control here; watch falls back to polling" : nil)
        }
        defer { close(cfd) }
        for level in thresholds {
            do {
                try FileIO.writeAll(fd: cfd, "\(efd) \(ufd) \(level.value)", path: controlPath)
            } catch {
                close(efd)
                close(ufd)
                throw error
            }
        }
        fd = efd
        usageFD = ufd
    }

    /// Reads and resets the eventfd's counter: true when the kernel reported
    /// at least one crossing since the last call.
    public func drain() -> Bool {
        var count: UInt64 = 0
        let n = withUnsafeMutableBytes(of: &count) { Glibc.read(fd, $0.baseAddress, 8) }
        return n == 8 && count > 0
    }

    public var description: String {
        "usage thresholds \(thresholds.map { String($0.value) }.joined(separator: ", ")) on \(cgroupPath)/\(KernelFile.usageInBytes)"
    }

    deinit {
        close(fd)
        close(usageFD)
    }
}

/// Something `mon_memcg watch` can poll(2) for a reason to check early.
public protocol WakeSource: AnyObject {
    /// Ready for `events` when the kernel has something to report.
    var fd: Int32 { get }
    /// What to poll(2) `fd` for: POLLIN (an eventfd) unless the source says
    /// otherwise (POLLPRI for a PSI trigger).
    var events: Int16 { get }
    /// Called when poll(2) reported `fd` ready: consumes the notification;
    /// true when there was one.
    func drain() -> Bool
    /// For the log.
    var description: String { get }
}

extension WakeSource {
    public var events: Int16 { Int16(POLLIN) }
}
