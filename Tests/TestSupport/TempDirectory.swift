import Foundation

/// A new directory PARENT/PREFIX-<uuid> for one test, removed by the test
/// (`defer { dir.remove() }`), also on failure. Under /var/tmp where the
/// test's page cache must be the reclaimable, disk-backed kind.
public struct TempDirectory: Sendable {
    public let path: String

    public init(_ prefix: String, under parent: String = FileManager.default.temporaryDirectory.path) throws {
        path = "\(parent)/\(prefix)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public var url: URL { URL(fileURLWithPath: path) }

    /// The path of NAME inside.
    public func path(_ name: String) -> String { "\(path)/\(name)" }

    /// Writes TEXT to NAME inside.
    public func write(_ name: String, _ text: String) throws {
        try text.write(toFile: path(name), atomically: false, encoding: .utf8)
    }

    public func read(_ name: String) -> String? { try? String(contentsOfFile: path(name), encoding: .utf8) }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}
