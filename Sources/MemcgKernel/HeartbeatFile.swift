#if canImport(Glibc)
import Glibc
#endif
import MemcgCore

/// The heartbeat file (`Heartbeat`): written by `watch` after every check,
/// read by `mon_memcg alive`.
public enum HeartbeatFile {
    /// Replaced by rename, so a reader never sees half a line; rewritten
    /// every few seconds.
    public static func write(_ path: String, _ beat: Heartbeat) throws(SystemError) {
        try AtomicFile.replace(path, with: beat.text, options: AtomicFile.Options(
            hiddenTemp: false, mode: 0o644,
            missingDirectoryFix: "create the state_file's directory \(FileIO.directoryName(of: path))"))
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
