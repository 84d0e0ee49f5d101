#if canImport(Glibc)
import Glibc
#endif

/// Thin wrappers over the file system calls, each written once.
public enum FileIO {
    /// Reads a whole file (at most `limit` bytes; a larger file is an error,
    /// not a silent truncation). `/proc` and cgroup files report size 0, so
    /// the read goes until EOF.
    public static func read(_ path: String, limit: Int = 1 << 20, followSymlinks: Bool = true) throws(SystemError) -> String {
        let fd = try FileDescriptor(opening: path, flags: O_RDONLY | O_NONBLOCK | (followSymlinks ? 0 : O_NOFOLLOW))
        if !followSymlinks {
            var st = stat()
            guard fstat(fd.raw, &st) == 0 else { throw SystemError("stat", path, errno: lastErrno()) }
            guard (st.st_mode & S_IFMT) == S_IFREG else {
                throw SystemError("read", path, errno: EINVAL, fix: "it is not a regular file")
            }
        }
        return try fd.readAll(path: path, limit: limit)
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

    /// Whether `path` lies under `directory` ("/a/b" is under "/a" and
    /// "/a/", "/ab" is not under "/a"), by its text alone.
    public static func isUnder(_ path: String, _ directory: String) -> Bool {
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        return path.hasPrefix(prefix)
    }

    public static func directoryName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    public static func baseName(of path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// access(2) with the real ids: whether this user may write `path`, or,
    /// when it does not exist yet, create it in its directory.
    public static func mayWrite(_ path: String) -> Bool {
        if access(path, W_OK) == 0 { return true }
        guard lastErrno() == ENOENT else { return false }
        let dir = directoryName(of: path)
        return exists(dir) ? access(dir, W_OK | X_OK) == 0 : mayWrite(dir)
    }
}
