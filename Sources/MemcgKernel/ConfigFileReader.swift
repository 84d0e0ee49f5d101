#if canImport(Glibc)
import Glibc
#endif

/// Reads the configuration file, refusing one that someone other than root
/// could have written: the file decides which cgroup gets emptied, so like
/// sshd's StrictModes it must belong to root (or to the user running the
/// tool) and must not be writable by group or others.
public enum ConfigFileReader {
    /// A file that cannot be used, with what to do about it.
    public struct Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The file's text; nil when it is missing and not `required` (all
    /// defaults then).
    public static func read(_ path: String, required: Bool) throws(Refusal) -> String? {
        var st = stat()
        if lstat(path, &st) != 0 {
            let e = lastErrno()
            if e == ENOENT && !required { return nil }
            throw Refusal(description: SystemError("read config file", path, errno: e,
                fix: e == ENOENT ? "create it or drop --config to use the defaults" : nil).description)
        }
        if (st.st_mode & S_IFMT) == S_IFLNK {
            // Follow it, but judge the file it points to.
            guard stat(path, &st) == 0 else {
                throw Refusal(description: SystemError("read config file", path, errno: lastErrno()).description)
            }
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw Refusal(description: "config file \(path) is not a regular file")
        }
        let euid = geteuid()
        guard st.st_uid == 0 || st.st_uid == euid else {
            throw Refusal(description: "config file \(path) is owned by uid \(st.st_uid), not root: refusing it (it decides which cgroup gets emptied; fix: chown root:root \(path))")
        }
        guard st.st_mode & 0o022 == 0 else {
            throw Refusal(description: "config file \(path) is writable by group or others (mode \(String(st.st_mode & 0o7777, radix: 8))): refusing it (fix: chmod go-w \(path))")
        }
        do {
            return try FileIO.read(path, limit: 64 * 1024)
        } catch {
            throw Refusal(description: error.description)
        }
    }
}
