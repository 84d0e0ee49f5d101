import Foundation

/// A fake host rooted in a temp directory: the file helpers both fixture
/// trees (v1 and v2) use to build and read back their files.
public protocol FakeRoot {
    var root: URL { get }
}

extension FakeRoot {
    public func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    public func write(_ relative: String, _ text: String) throws {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: false, encoding: .utf8)
    }

    public func read(_ relative: String) -> String? {
        try? String(contentsOfFile: path(relative), encoding: .utf8)
    }

    public func remove(_ relative: String) throws {
        try FileManager.default.removeItem(atPath: path(relative))
    }

    /// A valid state file with this `last`.
    public func writeState(last: Int64) throws {
        try write("state/state", "mon_memcg-state 1\nlast \(last)\n")
    }
}
