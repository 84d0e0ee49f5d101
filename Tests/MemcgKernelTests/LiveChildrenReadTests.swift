import Foundation
import Testing
@testable import MemcgCore
@testable import MemcgKernel
import TestSupport

/// The children's files are read relative to the target's directory into
/// one reused buffer: the answers and errors must be those of reading each
/// file on its own (`FileIO.read` + the String parser).
struct LiveChildrenReadTests {
    static func v1(_ t: FixtureTree) -> [Bytes]? {
        try? liveChildren(of: t.path("cgroup/user.slice"), file: KernelFile.stat) { MemoryStat.hierarchicalUsage(utf8: $0) }
    }

    static func padding(_ lines: Int) -> String {
        (0..<lines).map { "pad_field_\($0) \($0)\n" }.joined()
    }

    @Test("a long file, then a short one: the buffer grows and nothing of the first is read into the second")
    func reuse() throws {
        let t = try FixtureTree()
        // ~50 KiB: more than the buffer's first 16 KiB.
        try t.write("cgroup/user.slice/a/memory.stat", Self.padding(2_500) + "total_rss 1\ntotal_cache 2\n")
        try t.write("cgroup/user.slice/b/memory.stat", "total_cache 30\ntotal_rss 40\n")
        try t.write("cgroup/user.slice/c/memory.stat", Self.padding(3) + "total_rss 500\ntotal_cache 0\n")
        #expect(Self.v1(t) == [Bytes(3), Bytes(70), Bytes(500)])
    }

    @Test("no children: nothing read")
    func none() throws {
        let t = try FixtureTree()
        #expect(Self.v1(t) == [])
    }

    struct ErrorRow: NamedRow {
        var name: String
        var build: @Sendable (FixtureTree) throws -> Void
        /// What the error's text must hold, with PATH for the child's file.
        var says: [String]
    }

    @Test("errors name the child's full path, as a plain read's would", arguments: [
        ErrorRow(name: "hostile: garbage", build: { t in
            try t.write("cgroup/user.slice/a/memory.stat", "total_rss 1\ntotal_cache lots\n")
        }, says: ["PATH", "line 2"]),
        ErrorRow(name: "hostile: over the 1 MiB limit", build: { t in
            try t.write("cgroup/user.slice/a/memory.stat", LiveChildrenReadTests.padding(60_000))
        }, says: ["cannot read PATH", "larger than 1048576 bytes"]),
        ErrorRow(name: "hostile: the file is a directory", build: { t in
            try FileManager.default.createDirectory(atPath: t.path("cgroup/user.slice/a/memory.stat"), withIntermediateDirectories: true)
        }, says: ["cannot read PATH", "Is a directory"]),
    ])
    func errors(_ row: ErrorRow) throws {
        let t = try FixtureTree()
        try row.build(t)
        let path = t.path("cgroup/user.slice/a/memory.stat")
        do {
            let got = try liveChildren(of: t.path("cgroup/user.slice"), file: KernelFile.stat) { MemoryStat.hierarchicalUsage(utf8: $0) }
            Issue.record("expected an error, got \(got)")
        } catch {
            for words in row.says {
                let expected = words.replacingOccurrences(of: "PATH", with: path)
                #expect(error.description.contains(expected), "\(error.description)")
            }
        }
    }

    @Test("a file exactly at the limit is read whole")
    func atLimit() throws {
        let t = try FixtureTree()
        let tail = "total_rss 1\ntotal_cache 2\n"
        var text = Self.padding(40_000)
        let limit = 1 << 20
        #expect(text.utf8.count < limit - tail.utf8.count)
        text += String(repeating: "\n", count: limit - tail.utf8.count - text.utf8.count) + tail
        #expect(text.utf8.count == limit)
        try t.write("cgroup/user.slice/a/memory.stat", text)
        #expect(Self.v1(t) == [Bytes(3)])
    }
}

@Test("real kernel: each child's total_rss + total_cache as a plain read of its memory.stat gives it",
      .enabled(if: KernelLab.available, "needs root and a cgroup v1 memory controller at /sys/fs/cgroup/memory"))
func liveChildrenRealKernel() throws {
    let target = try KernelLab.makeCgroup("children")
    defer { KernelLab.remove(target) }
    let dir = try TempDirectory("mon_memcg-test-children", under: "/var/tmp")
    defer { dir.remove() }
    var names: [String] = []
    for (i, mib) in [4, 0, 8].enumerated() {
        let child = try KernelLab.makeCgroup("c\(i)", parent: target)
        names.append(child)
        // Page cache the child keeps after its writer exits (clean: fsync).
        if mib > 0 { try KernelLab.runInside(child, "dd if=/dev/zero of=\(dir.path)/f\(i) bs=1M count=\(mib) conv=fsync 2>/dev/null") }
    }
    let path = "\(KernelLab.memoryMount)/\(target)"
    let fast = try liveChildren(of: path, file: KernelFile.stat) { MemoryStat.hierarchicalUsage(utf8: $0) }
    let plain = try names.sorted().map { name in
        try MemoryStat.hierarchicalUsage(parsing: try FileIO.read("\(KernelLab.memoryMount)/\(name)/memory.stat"))
    }
    #expect(fast == plain)
    // The two writers' pages are there: the test reads real numbers.
    #expect(fast.reduce(Bytes.zero, +).value >= 12 * Bytes.mebibyte * 9 / 10, "\(fast)")
}
