#if canImport(Glibc)
import Glibc
#endif

/// poll(2) on a few descriptors for POLLIN.
public enum Poll {
    /// POLLIN: what most descriptors are waited on for.
    public static let readable = Int16(POLLIN)

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
