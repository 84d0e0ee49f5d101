import Foundation
import MemcgKernel
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

/// PATH's text, read as the product reads its files (`FileIO.read`:
/// read(2) retried on EINTR), not with Foundation's reader, which gives
/// no reason when it fails. nil when it cannot be read; with `reporting`,
/// any reason but ENOENT is also recorded as an issue with its errno (for
/// files a test made and expects to find).
public func readFile(_ path: String, reporting: Bool = false) -> String? {
    do {
        return try FileIO.read(path, limit: .max)
    } catch {
        if reporting && error.errno != ENOENT { Issue.record("\(error)") }
        return nil
    }
}
