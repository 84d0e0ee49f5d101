import Foundation
import MemcgCore
import MemcgEngine
import MemcgKernel
import Testing
import TestSupport

/// The engine's check driven in-process on fixture trees, as any user: the
/// root check belongs to the command, not here.
/// `CheckRun.execute` on a fixture tree (its proc, state and log paths; its
/// cgroup root unless `detecting`, which finds it in the tree's mountinfo),
/// thresholds that make it short, and `extra` settings; the exit status and
/// what it printed.
func executeCheck(_ tree: some FakeRoot, detecting: Bool = false, dryRun: Bool = false,
                  settings extra: [ConfigKey: String] = [:]) -> (status: MemcgEngine.ExitStatus, console: CapturedConsole) {
    var values: [ConfigKey: String] = [.procRoot: tree.procRoot, .stateFile: tree.stateFile, .logFile: tree.logFile,
                                       .availableThreshold: "1T", .growthThreshold: "64M"]
    if !detecting { values[.cgroupRoot] = tree.cgroupRoot }
    values.merge(extra) { $1 }
    let console = CapturedConsole()
    return (CheckRun.execute(SettingsRequest(configPath: nil, values: values), dryRun: dryRun, console: console), console)
}

/// `executeCheck`, which must exit 0; what it printed.
@discardableResult
func expectCheckSucceeds(_ tree: some FakeRoot, detecting: Bool = false, dryRun: Bool = false, settings extra: [ConfigKey: String] = [:],
                         sourceLocation: SourceLocation = #_sourceLocation) -> CapturedConsole {
    let (status, console) = executeCheck(tree, detecting: detecting, dryRun: dryRun, settings: extra)
    #expect(status == .ok, "\(console.stderr)", sourceLocation: sourceLocation)
    return console
}

/// The check's log has each of `lines`, and not the `word` only the other
/// hierarchy's controller writes.
func expectLog(_ tree: some FakeRoot, has lines: [String], notTheOtherHierarchys word: String,
               sourceLocation: SourceLocation = #_sourceLocation) {
    let log = tree.read("mon_memcg.log") ?? ""
    for line in lines {
        #expect(log.contains(line), "\(line) missing from \(log)", sourceLocation: sourceLocation)
    }
    #expect(!log.contains(word), "\(word) is the other hierarchy's: \(log)", sourceLocation: sourceLocation)
}

struct CheckRunTests {
    @Test("v1: memory short, target grew: force_empty written once, the original script's lines, last stored")
    func v1Reclaim() throws {
        let tree = try FixtureTree()
        expectCheckSucceeds(tree)
        #expect(tree.read("cgroup/user.slice/memory.force_empty") == "1\n")
        expectLog(tree, has: ["is less global thresh", "Before reclaim:", "mem usage: CURRENT 300000000 LAST 0 CHANGE 300000000",
                              "After reclaim:", "mem usage total_rss+total_cache 300000000", "reclaim took "],
                  notTheOtherHierarchys: "memory.reclaim")
        #expect(tree.read("state/state")?.contains("last 300000000") == true)
    }

    @Test("v2: the same path asks memory.reclaim for an amount, in logged steps")
    func v2Reclaim() throws {
        let tree = try FixtureTreeV2()
        expectCheckSucceeds(tree, detecting: true)
        expectLog(tree, has: ["memory.reclaim: requesting", "memory.reclaim step 1: asked", "After reclaim:", "mem usage memory.current 3000000000"],
                  notTheOtherHierarchys: "total_rss+total_cache")
        #expect(tree.read("cgroup/user.slice/memory.reclaim")?.hasSuffix("\n") == true)
    }

    @Test("a dry run says what it would do and writes no kernel file, state or lock")
    func dryRun() throws {
        let tree = try FixtureTree()
        let console = expectCheckSucceeds(tree, dryRun: true)
        #expect(console.stdout.contains("dry-run: would have written 1 to \(tree.cgroupRoot)/user.slice/memory.force_empty"), "\(console.stdout)")
        #expect(tree.read("cgroup/user.slice/memory.force_empty") == "")
        #expect(tree.read("state/state") == nil)
        #expect(tree.read("state/state.lock") == nil)
    }

    @Test("a failure maps to its exit status and is reported once on stderr")
    func failure() throws {
        let tree = try FixtureTree()
        let (status, console) = executeCheck(tree, settings: [.target: "no.such.slice"])
        #expect(status == .targetMissing)
        #expect(console.stderr.split(separator: "\n").count == 1, "\(console.stderr)")
        #expect(console.stderr.contains("no.such.slice does not exist"))
    }
}

struct StatusReportTests {
    @Test("status is gathered in-process and changes nothing")
    func gather() throws {
        let tree = try FixtureTree(memTotalKB: 1_048_576, rootUsage: 3_000_000_000, rootInactiveFile: 0)
        var config = Config()
        try config.set(.cgroupRoot, to: tree.cgroupRoot)
        try config.set(.procRoot, to: tree.procRoot)
        try config.set(.stateFile, to: tree.stateFile)
        try config.set(.growthThreshold, to: "64M")
        let report = try StatusReport.gather(config: config)
        #expect(report.text().contains("Decision: reclaim"), "\(report.text())")
        #expect(report.json().contains("\"decision\":\"reclaim\""))
        #expect(tree.read("state/state") == nil)
        #expect(tree.read("cgroup/user.slice/memory.force_empty") == "")
    }
}

struct CheckRunDeficitTests {
    @Test("v1 deficit in-process: the request, the original After reclaim lines, then asked/freed/stopped")
    func v1Deficit() throws {
        let tree = try FixtureTree(memTotalKB: 1_048_576, rootUsage: 3_000_000_000, rootInactiveFile: 0)
        try tree.write("cgroup/user.slice/memory.usage_in_bytes", "300000000\n")
        expectCheckSucceeds(tree, settings: [.reclaimAmount: "deficit"])
        let log = tree.read("mon_memcg.log") ?? ""
        let order = ["memory.force_empty: requesting 300000000 bytes", "After reclaim:", "mem usage total_rss+total_cache 300000000",
                     "reclaim asked 300000000 bytes, freed 0 bytes in", "stopped: finished"]
        var from = log.startIndex
        for piece in order {
            let found = log.range(of: piece, range: from..<log.endIndex)
            #expect(found != nil, "\(piece) missing or out of order in \(log)")
            if let found { from = found.upperBound }
        }
    }
}
