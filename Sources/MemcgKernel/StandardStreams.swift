#if canImport(Glibc)
import Glibc
#endif

/// Where a command's output goes. The engine writes through this, so tests
/// drive it in-process and read what a person would have seen.
public protocol Console: AnyObject {
    func out(_ text: String)
    func err(_ text: String)
    /// Whether stdout / stderr is the journal: EventLog then prefixes each
    /// line with its priority (`<N>`, sd-daemon(3)).
    var outIsJournal: Bool { get }
    var errIsJournal: Bool { get }
}

extension Console {
    public var outIsJournal: Bool { false }
    public var errIsJournal: Bool { false }
}

/// stdout and stderr, unbuffered: print() buffers, and a run that exits
/// through an exit status must not lose lines.
public final class StandardStreams: Console {
    public let outIsJournal: Bool
    public let errIsJournal: Bool

    /// Looks once: a process's stdout and stderr do not change under it.
    public init() {
        outIsJournal = JournalStream.isJournal(fd: 1)
        errIsJournal = JournalStream.isJournal(fd: 2)
    }

    public func out(_ text: String) { Self.put(text, fd: 1) }
    public func err(_ text: String) { Self.put(text, fd: 2) }

    private static func put(_ text: String, fd: Int32) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue } else { return } }
            bytes = bytes.dropFirst(n)
        }
    }
}
