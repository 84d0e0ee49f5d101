#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock(2)` held for a whole run so timer runs, manual runs
/// and the daemon never reclaim at the same time. The kernel drops it when
/// the process dies, so a killed run cannot leave it stuck.
public final class RunLock {
    public let path: String
    private var fd: Int32 = -1

    public init(path: String) { self.path = path }

    /// True when taken; false when another process holds it.
    public func tryLock() throws(SystemError) -> Bool {
        try FileIO.ensureDirectory(FileIO.directoryName(of: path))
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw SystemError("open lock file", path, errno: lastErrno()) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let e = lastErrno()
            close(fd)
            if e == EWOULDBLOCK { return false }
            throw SystemError("lock", path, errno: e)
        }
        self.fd = fd
        return true
    }

    deinit {
        if fd >= 0 { close(fd) }
    }
}
