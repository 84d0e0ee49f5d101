/// A syslog priority, as journald stores it (sd-daemon(3), syslog(3)).
/// `journalctl -p warning` shows the lines at `warning` and below it in
/// number (more severe).
public enum JournalPriority: Int, Sendable, CaseIterable, Comparable {
    case emerg = 0, alert, crit, err, warning, notice, info, debug

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// `<N>line`: the sd-daemon prefix. journald strips it and stores N as
    /// the line's PRIORITY (the unit's `SyslogLevelPrefix=` is yes unless set
    /// otherwise). Every line of a multi-line text gets its own prefix, since
    /// journald reads each line as one record.
    public func prefixed(_ text: String) -> String {
        var out = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(text.hasSuffix("\n") ? 1 : 0) {
            out += "<\(rawValue)>\(line)\n"
        }
        return out
    }
}

/// `JOURNAL_STREAM=DEVICE:INODE`: set by systemd when stdout or stderr is
/// connected to the journal. A process that compares it with fstat() of fd
/// 1 or 2 knows whether that stream is the journal, even after a shell
/// redirected one of them elsewhere (systemd.exec(5)).
public struct JournalStreamID: Equatable, Sendable {
    public let device: UInt64
    public let inode: UInt64

    /// nil for anything but two decimal numbers separated by one colon.
    public init?(variable: String) {
        let parts = variable.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return nil }
        self.device = device
        self.inode = inode
    }
}
