#if canImport(Glibc)
import Glibc
#endif

/// The append-only event log in the original script's format: `date(1)` timestamp, five
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
            try FileDescriptor.standardOutput.writeAll(LogFile.format(message, timestamp: timestamp), path: "standard output")
            return
        }
        let fd = try FileDescriptor(opening: path, flags: O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, mode: 0o640,
                                    operation: "open log file",
                                    fix: { $0 == ENOENT ? "create its directory \(FileIO.directoryName(of: path)) or set log_file" : nil })
        try fd.writeAll(LogFile.format(message, timestamp: timestamp), path: path)
    }
}
