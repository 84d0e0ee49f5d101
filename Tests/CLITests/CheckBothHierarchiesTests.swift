import Foundation
import Testing
import TestSupport

/// The check's scenarios that end the same way on cgroup v1 and v2, run by
/// the built binary on a fixture tree of each: only the reclaim file
/// (memory.force_empty or memory.reclaim) and what a reclaim writes to it
/// differ.
@Suite(.serialized)
struct CheckBothHierarchiesTests {
    /// A fixture tree and the options that point the binary at it.
    typealias Tree = (root: any FakeRoot, arguments: [String])

    struct Hierarchy: NamedRow {
        var name: String
        /// The target's reclaim file, below the tree.
        var reclaimFile: String
        /// What a reclaim of the short tree writes there first, and last.
        var reclaimWrite, lastReclaimWrite: String
        /// Memory short, the target at 3000000000 bytes.
        var short: @Sendable () throws -> Tree
        /// Memory plentiful, the target at `usage` bytes.
        var plentiful: @Sendable (_ usage: Int64) throws -> Tree
        /// The target's memory.stat fields for page cache not on disk yet.
        var dirtyField, writebackField: String
    }

    static let hierarchies = [
        Hierarchy(name: "v1", reclaimFile: "cgroup/user.slice/memory.force_empty", reclaimWrite: "1", lastReclaimWrite: "1",
                  short: { let t = try FixtureTree.short(rootInactiveFile: 100_000_000, targetRSS: 1_000_000_000, targetCache: 2_000_000_000)
                           return (t, t.arguments) },
                  plentiful: { let t = try FixtureTree(targetRSS: 400_000_000, targetCache: $0 - 400_000_000); return (t, t.arguments) },
                  dirtyField: "total_dirty", writebackField: "total_writeback"),
        Hierarchy(name: "v2 (found in mountinfo)", reclaimFile: "cgroup/user.slice/memory.reclaim", reclaimWrite: "3000000000",
                  // 3000000000 in four writes of 750000000 (CgroupV2CLITests.reclaims).
                  lastReclaimWrite: "750000000",
                  short: { let t = try FixtureTreeV2(); return (t, t.argumentsDetecting) },
                  plentiful: { let t = try FixtureTreeV2(memTotalKB: 64 * 1_048_576, targetCurrent: $0); return (t, t.argumentsDetecting) },
                  dirtyField: "file_dirty", writebackField: "file_writeback"),
    ]

    /// The log without the dying-cgroup lines (checked on their own elsewhere).
    func logLines(_ tree: Tree) -> [String] { tree.root.logLines.filter { !$0.hasPrefix("dying ") } }

    @Test("memory short and target grew: the reclaim file written, the usage after it recorded as last", arguments: hierarchies)
    func reclaims(_ h: Hierarchy) throws {
        let tree = try h.short()
        let r = try Binary.run(["check"] + tree.arguments)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(tree.root.read(h.reclaimFile) == h.lastReclaimWrite + "\n")
        #expect(tree.root.read("state/state") == "mon_memcg-state 1\nlast 3000000000\n")
    }

    @Test("growth below growth_threshold: the original script's skip, nothing written", arguments: hierarchies)
    func skips(_ h: Hierarchy) throws {
        let tree = try h.short()
        try tree.root.writeState(last: 2_500_000_000)
        let r = try Binary.run(["check"] + tree.arguments)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(tree.root.read(h.reclaimFile) == "")
        #expect(tree.root.read("state/state") == "mon_memcg-state 1\nlast 2500000000\n")
        #expect(Array(logLines(tree).suffix(2)) == [
            "mem usage: CURRENT 3000000000 LAST 2500000000 CHANGE 500000000",
            "change is too small (less than 1073741824 ), so skip reclaim",
        ])
    }

    @Test("memory fine and target shrank: last lowered, decline logged (the original script's log), nothing written", arguments: hierarchies)
    func decline(_ h: Hierarchy) throws {
        let tree = try h.plentiful(932_184_064)
        try tree.root.writeState(last: 2_689_925_120)
        let r = try Binary.run(["check"] + tree.arguments)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(logLines(tree) == ["mem usage decline, change last usage mem 2689925120 -> 932184064"])
        #expect(tree.root.read("state/state") == "mon_memcg-state 1\nlast 932184064\n")
        #expect(tree.root.read(h.reclaimFile) == "")
    }

    @Test("--dry-run says 'would have' and writes nothing: no kernel file, state, lock or log file", arguments: hierarchies)
    func dryRun(_ h: Hierarchy) throws {
        let tree = try h.short()
        let r = try Binary.run(["check", "--dry-run"] + tree.arguments)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("dry-run: would have written \(h.reclaimWrite) to \(tree.root.path(h.reclaimFile))"), "\(r.stdout)")
        #expect(r.stdout.contains("dry-run: avalible_mem "))
        // Every line it prints says it is a dry run, the original's lines too.
        for line in r.stdout.split(separator: "\n") {
            #expect(line.contains("     dry-run: "), "a line without dry-run: \(line)")
        }
        #expect(tree.root.read(h.reclaimFile) == "")
        #expect(tree.root.read("state/state") == nil)
        #expect(tree.root.read("state/state.lock") == nil)
        #expect(tree.root.read("mon_memcg.log") == nil, "a dry run writes no log file")
    }

    /// The short tree with DIRTY and WRITEBACK bytes in the target's memory.stat.
    func withUnwritten(_ h: Hierarchy, dirty: Int64, writeback: Int64) throws -> Tree {
        let tree = try h.short()
        let stat = tree.root.read("cgroup/user.slice/memory.stat") ?? ""
        let kept = stat.split(separator: "\n").filter { !$0.hasPrefix(h.dirtyField + " ") && !$0.hasPrefix(h.writebackField + " ") }
        try tree.root.write("cgroup/user.slice/memory.stat",
                            kept.joined(separator: "\n") + "\n\(h.dirtyField) \(dirty)\n\(h.writebackField) \(writeback)\n")
        return tree
    }

    @Test("a reclaim interrupted at reclaim_timeout logs what of the target was not on disk yet; one that finishes does not",
          arguments: hierarchies)
    func unwrittenAtTimeout(_ h: Hierarchy) throws {
        let line = "at reclaim_timeout the target held \(h.dirtyField) 150000000 and \(h.writebackField) 20000000 bytes: "
            + "page cache no reclaim frees before it is written (gigabytes of it mean the writers outpace the disk: "
            + "docs/troubleshooting.md, section 8)"
        let stuck = try withUnwritten(h, dirty: 150_000_000, writeback: 20_000_000)
        // A FIFO nobody reads: opening it for writing blocks, as a reclaim stuck behind writeback would.
        _ = try stuck.root.replaceWithFIFO(h.reclaimFile)
        let r = try Binary.run(["check", "--reclaim-timeout", "300ms", "--dying-reclaim", "off"] + stuck.arguments)
        #expect(r.status == 6, "\(r.stderr)")
        let lines = logLines(stuck)
        let interrupted = try #require(lines.firstIndex { $0.hasPrefix("reclaim interrupted after ") }, "\(lines)")
        let at = try #require(lines.firstIndex(of: line), "\(lines)")
        #expect(at > interrupted, "after the interruption's own line: \(lines)")

        let done = try withUnwritten(h, dirty: 150_000_000, writeback: 20_000_000)
        let finished = try Binary.run(["check", "--dying-reclaim", "off"] + done.arguments)
        #expect(finished.status == 0, "\(finished.stderr)")
        #expect(!logLines(done).contains { $0.hasPrefix("at reclaim_timeout") }, "\(logLines(done))")
    }
}
