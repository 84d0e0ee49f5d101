#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock(2)` held for a whole run so timer runs, manual runs
/// and the daemon never reclaim at the same time. The kernel drops it when
/// the process dies, so a killed run cannot leave it stuck.
public final class RunLock {
    public let path: String
    private var held: FileDescriptor?

    public init(path: String) { self.path = path }

    /// True when taken; false when another process holds it.
    public func tryLock() throws(SystemError) -> Bool {
        try FileIO.ensureDirectory(FileIO.directoryName(of: path))
        let fd = try FileDescriptor(opening: path, flags: O_RDWR | O_CREAT | O_NOFOLLOW, mode: 0o600, operation: "open lock file")
        if flock(fd.raw, LOCK_EX | LOCK_NB) != 0 {
            let e = lastErrno()
            if e == EWOULDBLOCK { return false }
            throw SystemError("lock", path, errno: e)
        }
        held = fd
        return true
    }
}
