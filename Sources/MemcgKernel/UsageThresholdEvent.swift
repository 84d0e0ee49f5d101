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
    private let eventFD: FileDescriptor
    /// Kept open: the registration lives as long as both descriptors.
    private let usageFD: FileDescriptor
    public let thresholds: [Bytes]
    public let cgroupPath: String

    public var fd: Int32 { eventFD.raw }
    public var reason: WakeReason { .threshold }
    public var watchedPath: String { "\(cgroupPath)/\(KernelFile.usageInBytes)" }

    public init(cgroupPath: String, thresholds: [Bytes]) throws(SystemError) {
        self.cgroupPath = cgroupPath
        self.thresholds = thresholds
        let usagePath = "\(cgroupPath)/\(KernelFile.usageInBytes)"
        let controlPath = "\(cgroupPath)/\(KernelFile.eventControl)"
        let efd = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
        guard efd >= 0 else { throw SystemError("create an eventfd for", controlPath, errno: lastErrno()) }
        eventFD = FileDescriptor(adopting: efd)
        usageFD = try FileDescriptor(opening: usagePath, flags: O_RDONLY)
        let control = try FileDescriptor(opening: controlPath, flags: O_WRONLY, fix: {
            $0 == ENOENT ? "no cgroup v1 event control here; watch falls back to polling" : nil
        })
        for level in thresholds {
            try control.writeAll("\(eventFD.raw) \(usageFD.raw) \(level.value)", path: controlPath)
        }
    }

    /// Reads and resets the eventfd's counter: true when the kernel reported
    /// at least one crossing since the last call.
    public func drain() -> Bool {
        var count: UInt64 = 0
        let n = withUnsafeMutableBytes(of: &count) { Glibc.read(eventFD.raw, $0.baseAddress, 8) }
        return n == 8 && count > 0
    }

    public var description: String {
        "usage thresholds \(thresholds.map { String($0.value) }.joined(separator: ", ")) on \(watchedPath)"
    }
}
