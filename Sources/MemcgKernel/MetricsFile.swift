#if canImport(Glibc)
import Glibc
#endif

/// The Prometheus text file for node_exporter's textfile collector.
public enum MetricsFile {
    /// Replaces `path` through a hidden temp file in the same directory and
    /// rename(2), so a scrape sees the old file or the new one, never a
    /// half-written one (the collector reads only `*.prom`; the temp name
    /// `.NAME.tmp.PID` is not one). Mode 0644: node_exporter does not run as
    /// root. No fsync: the file is rewritten at every check, so a crash
    /// costs at most the last one, and the daemon should not push the disk
    /// every poll_interval for it.
    public static func write(_ text: String, to path: String) throws(SystemError) {
        let dir = FileIO.directoryName(of: path)
        let base = path.split(separator: "/").last.map(String.init) ?? path
        let temp = "\(dir == "/" ? "" : dir)/.\(base).tmp.\(getpid())"
        unlink(temp)  // a leftover from a killed run with the same pid
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else {
            let e = lastErrno()
            throw SystemError("create", temp, errno: e,
                              fix: e == ENOENT ? "create the directory \(dir) or set metrics_file" : nil)
        }
        var failure: SystemError?
        if fchmod(fd, 0o644) != 0 { failure = SystemError("chmod", temp, errno: lastErrno()) }
        if failure == nil {
            do { try FileIO.writeAll(fd: fd, text, path: temp) } catch { failure = error }
        }
        close(fd)
        if failure == nil, rename(temp, path) != 0 {
            let e = lastErrno()
            failure = SystemError("rename \(temp) to", path, errno: e, fix: e == EISDIR ? "a directory is in the way; remove it or set metrics_file" : nil)
        }
        if let failure {
            unlink(temp)
            throw failure
        }
    }
}
