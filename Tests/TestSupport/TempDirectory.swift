import Foundation
import Testing

/// A new directory PARENT/PREFIX-<uuid> for one test, removed by the test
/// (`defer { dir.remove() }`), also on failure. Under /var/tmp where the
/// test's page cache must be the reclaimable, disk-backed kind.
public struct TempDirectory: Sendable, CustomStringConvertible {
    public let path: String

    public init(_ prefix: String, under parent: String = FileManager.default.temporaryDirectory.path) throws {
        path = "\(parent)/\(prefix)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public var url: URL { URL(fileURLWithPath: path) }

    /// The path, so "\(dir)/name" names a file inside.
    public var description: String { path }

    /// The path of NAME inside.
    public func path(_ name: String) -> String { "\(path)/\(name)" }

    /// Writes TEXT to NAME inside.
    public func write(_ name: String, _ text: String) throws {
        try text.write(toFile: path(name), atomically: false, encoding: .utf8)
    }

    /// NAME's text; nil when it does not exist. Any other failure to read
    /// it is recorded as an issue, so a test that expected the file says
    /// why it got nil instead of only that it did (`readFile`).
    public func read(_ name: String) -> String? { readFile(path(name), reporting: true) }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Reads FD until end of file (a FIFO: until every writer closed it), then
/// closes it; the bytes as UTF-8.
public func readToEndAndClose(_ fd: Int32) -> String {
    var buffer = [UInt8](repeating: 0, count: 64)
    var text = ""
    while true {
        let n = read(fd, &buffer, buffer.count)
        if n <= 0 { break }
        text += String(decoding: buffer[..<n], as: UTF8.self)
    }
    close(fd)
    return text
}

/// PATH's text, read with open(2)/read(2) and retried on EINTR: in the one
/// test process a signal meant for something else (a child's SIGCHLD, a
/// write's SIGALRM) must not turn into a missing file. nil when it cannot
/// be read; with `reporting`, any reason but ENOENT is also recorded as an
/// issue with its errno (for files a test made and expects to find).
public func readFile(_ path: String, reporting: Bool = false) -> String? {
    func failed(_ what: String, _ e: Int32) -> String? {
        if reporting && e != ENOENT { Issue.record("cannot \(what) \(path): errno \(e) (\(String(cString: strerror(e))))") }
        return nil
    }
    var fd: Int32
    repeat { fd = open(path, O_RDONLY | O_CLOEXEC) } while fd < 0 && errno == EINTR
    guard fd >= 0 else { return failed("open", errno) }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let n = read(fd, &buffer, buffer.count)
        if n > 0 { bytes += buffer[..<n]; continue }
        if n == 0 { break }
        let e = errno
        if e == EINTR { continue }
        return failed("read", e)
    }
    return String(decoding: bytes, as: UTF8.self)
}
