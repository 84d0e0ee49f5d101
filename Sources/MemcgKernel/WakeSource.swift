#if canImport(Glibc)
import Glibc
#endif
import MemcgCore

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
    /// The reason a wake-up from this source is counted under.
    var reason: WakeReason { get }
    /// The kernel file whose changes it reports, for the log.
    var watchedPath: String { get }
}

extension WakeSource {
    public var events: Int16 { Int16(POLLIN) }
}
