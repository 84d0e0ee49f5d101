#if canImport(Glibc)
import Glibc
#endif

/// Replacing a file so that a reader, or a run killed at any point (kill
/// -9, a watchdog's SIGABRT), sees the old content or the new, never a mix:
/// a temp file in the same directory, written, then rename(2)d over the
/// path; the page cache a killed run wrote outlives it. The state file and
/// the metrics file differ only in the options.
///
/// No fsync, for any of them: it would add only durability across a power
/// loss, and what these files hold does not outlive the boot. The state's
/// `last` and lever record describe cgroups a reboot removes; losing the
/// last change of its drop_caches stamp and counters costs one drop_caches
/// sooner after the reboot and a counter reset, and a file the power cut
/// left empty is read as unusable, logged and replaced, as any damaged one.
/// Under busy writers on the same disk an fsync waits on the journal behind
/// their data: 0.1–0.6 s each, 25 s of a 60 s lab cell in which a held
/// episode saved the state at every step, all of it while the node was
/// short (docs/benchmarks.md, "The state file's fsync").
public enum AtomicFile {
    public struct Options: Sendable {
        /// `.NAME.tmp.PID` instead of `NAME.tmp.PID`: node_exporter's
        /// textfile collector reads every `*.prom`, and a hidden name is
        /// not one.
        public var hiddenTemp: Bool
        /// Set with fchmod(2) as well, so the umask cannot narrow it
        /// (node_exporter does not run as root).
        public var mode: mode_t
        /// What to suggest when the directory is missing.
        public var missingDirectoryFix: String?

        public static let state = Options(hiddenTemp: false, mode: 0o644)

        public static func published(missingDirectoryFix: String) -> Options {
            Options(hiddenTemp: true, mode: 0o644, missingDirectoryFix: missingDirectoryFix)
        }
    }

    public static func replace(_ path: String, with text: String, options: Options) throws(SystemError) {
        let dir = FileIO.directoryName(of: path)
        let base = FileIO.baseName(of: path)
        let temp = options.hiddenTemp ? "\(dir == "/" ? "" : dir)/.\(base).tmp.\(getpid())" : "\(path).tmp.\(getpid())"
        unlink(temp)  // a leftover from a killed run with the same pid
        removeLeftovers(in: dir, prefixes: [options.hiddenTemp ? ".\(base).tmp." : "\(base).tmp."])
        do throws(SystemError) {
            let fd = try FileDescriptor(opening: temp, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: options.mode,
                                        operation: "create", fix: { $0 == ENOENT ? options.missingDirectoryFix : nil })
            if fchmod(fd.raw, options.mode) != 0 { throw SystemError("chmod", temp, errno: lastErrno()) }
            try fd.writeAll(text, path: temp)
        } catch {
            unlink(temp)
            throw error
        }
        guard rename(temp, path) == 0 else {
            let e = lastErrno()
            unlink(temp)
            throw SystemError("rename \(temp) to", path, errno: e, fix: e == EISDIR ? "a directory is in the way; remove it" : nil)
        }
    }

    /// Temp files of runs killed between create and rename (kill -9, a
    /// watchdog's SIGABRT, power loss): `PREFIX<pid>`, for any of
    /// `prefixes`, whose process is gone; one listing for all of them.
    /// A live process's temp file is never touched; a reused pid only keeps
    /// a leftover a little longer. Best effort: a directory that cannot be
    /// listed leaves them, as before.
    static func removeLeftovers(in dir: String, prefixes: [String]) {
        guard let handle = opendir(dir) else { return }
        defer { closedir(handle) }
        var stale: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let prefix = prefixes.first(where: { name.hasPrefix($0) }), let pid = pid_t(name.dropFirst(prefix.count)),
                  pid > 0, pid != getpid() else { continue }
            if kill(pid, 0) != 0, errno == ESRCH { stale.append(name) }
        }
        for name in stale { unlink("\(dir == "/" ? "" : dir)/\(name)") }
    }
}
