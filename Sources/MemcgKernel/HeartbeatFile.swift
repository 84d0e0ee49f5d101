#if canImport(Glibc)
import Glibc
#endif
import MemcgCore

/// The heartbeat file (`Heartbeat`): written by `watch` after every check,
/// read by `mon_memcg alive`.
public enum HeartbeatFile {
    /// CLOCK_BOOTTIME in milliseconds: like CLOCK_MONOTONIC, immune to
    /// wall-clock steps, and it keeps counting while the node is suspended.
    public static func nowMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_BOOTTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// Replaces the file by rename, so a reader never sees half a line.
    /// No fsync, unlike the state file: it is rewritten every few seconds
    /// and a heartbeat lost in a crash only needs the next check.
    public static func write(_ path: String, _ beat: Heartbeat) throws(SystemError) {
        let temp = "\(path).tmp.\(getpid())"
        unlink(temp)
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else {
            let e = lastErrno()
            throw SystemError("create heartbeat file", temp, errno: e,
                              fix: e == ENOENT ? "create the state_file's directory \(FileIO.directoryName(of: path))" : nil)
        }
        do {
            try FileIO.writeAll(fd: fd, beat.text, path: temp)
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
        close(fd)
        guard rename(temp, path) == 0 else {
            let e = lastErrno()
            unlink(temp)
            throw SystemError("rename \(temp) to", path, errno: e)
        }
    }

    /// The file's text, or nil when it does not exist. Not followed through
    /// a symlink and only a regular file, as for the state file.
    public static func read(_ path: String) throws(SystemError) -> String? {
        do {
            return try FileIO.read(path, limit: 4096, followSymlinks: false)
        } catch {
            if error.errno == ENOENT { return nil }
            throw error
        }
    }
}
