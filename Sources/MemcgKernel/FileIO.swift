#if canImport(Glibc)
import Glibc
#endif

/// Thin wrappers over the system calls, each written once. `/proc` and
/// cgroup files report size 0, so reads go until EOF.
public enum FileIO {
    /// Reads a whole file (at most `limit` bytes; a larger file is an error,
    /// not a silent truncation).
    public static func read(_ path: String, limit: Int = 1 << 20, followSymlinks: Bool = true) throws(SystemError) -> String {
        var flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK
        if !followSymlinks { flags |= O_NOFOLLOW }
        let fd = open(path, flags)
        guard fd >= 0 else { throw SystemError("open", path, errno: lastErrno()) }
        defer { close(fd) }
        if !followSymlinks {
            var st = stat()
            guard fstat(fd, &st) == 0 else { throw SystemError("stat", path, errno: lastErrno()) }
            guard (st.st_mode & S_IFMT) == S_IFREG else {
                throw SystemError("read", path, errno: EINVAL, fix: "it is not a regular file")
            }
        }
        return try readAll(fd: fd, path: path, limit: limit)
    }

    static func readAll(fd: Int32, path: String, limit: Int) throws(SystemError) -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                let e = lastErrno()
                if e == EINTR { continue }
                throw SystemError("read", path, errno: e)
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > limit { throw SystemError("read", path, errno: EFBIG, fix: "larger than \(limit) bytes") }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes all of `bytes` to an open descriptor, retrying short writes.
    /// EINTR is returned to the caller (it may be the deadline firing).
    static func writeAll(fd: Int32, _ text: String, path: String) throws(SystemError) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 { throw SystemError("write", path, errno: lastErrno()) }
            offset += n
        }
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// `realpath(3)`: the path with every symlink resolved.
    public static func realPath(_ path: String) throws(SystemError) -> String {
        guard let resolved = realpath(path, nil) else { throw SystemError("resolve", path, errno: lastErrno()) }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Creates a directory if missing (not its parents: a missing /var/lib
    /// means something else is wrong).
    public static func ensureDirectory(_ path: String, mode: mode_t = 0o755) throws(SystemError) {
        if mkdir(path, mode) == 0 { return }
        let e = lastErrno()
        if e == EEXIST, isDirectory(path) { return }
        throw SystemError("create directory", path, errno: e)
    }

    public static func directoryName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Replaces `path` atomically: a temp file in the same directory,
    /// written, fsynced, renamed over `path`, then the directory fsynced.
    /// A crash at any point leaves either the old or the new content.
    public static func replaceAtomically(_ path: String, with text: String, mode: mode_t = 0o644) throws(SystemError) {
        let dir = directoryName(of: path)
        let temp = "\(path).tmp.\(getpid())"
        unlink(temp)  // a leftover from a killed run with the same pid
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else { throw SystemError("create", temp, errno: lastErrno()) }
        var failure: SystemError?
        do {
            try writeAll(fd: fd, text, path: temp)
        } catch {
            failure = error
        }
        if failure == nil, fsync(fd) != 0 { failure = SystemError("fsync", temp, errno: lastErrno()) }
        close(fd)
        if let failure {
            unlink(temp)
            throw failure
        }
        guard rename(temp, path) == 0 else {
            let e = lastErrno()
            unlink(temp)
            throw SystemError("rename \(temp) to", path, errno: e, fix: e == EISDIR ? "a directory is in the way; remove it" : nil)
        }
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }
}
