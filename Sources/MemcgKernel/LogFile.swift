#if canImport(Glibc)
import Glibc
#endif

/// The append-only event log in the seed's format: `date(1)` timestamp, five
/// spaces, the message. Opened per line with O_APPEND so logrotate's rename
/// is picked up by the next line and concurrent writers never interleave
/// within a line.
public struct LogFile: Sendable {
    public var path: String

    public init(path: String) { self.path = path }

    public static func format(_ message: String, timestamp: String) -> String {
        "\(timestamp)     \(message)\n"
    }

    /// `log_file = -`: standard output, for a container runtime's log
    /// (`kubectl logs`), since /dev/stdout is a symlink that O_NOFOLLOW refuses.
    public static let standardOutput = "-"

    public var isStandardOutput: Bool { path == Self.standardOutput }

    public func append(_ message: String, timestamp: String) throws(SystemError) {
        if isStandardOutput {
            try FileIO.writeAll(fd: 1, LogFile.format(message, timestamp: timestamp), path: "standard output")
            return
        }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o640)
        guard fd >= 0 else {
            let e = lastErrno()
            throw SystemError("open log file", path, errno: e,
                              fix: e == ENOENT ? "create its directory \(FileIO.directoryName(of: path)) or set log_file" : nil)
        }
        defer { close(fd) }
        try FileIO.writeAll(fd: fd, LogFile.format(message, timestamp: timestamp), path: path)
    }
}
