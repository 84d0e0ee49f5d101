import Foundation
@testable import MemcgEngine
import MemcgCore
import MemcgKernel
import Testing
import TestSupport

/// A v1 fixture's settings as a `Config`, for driving `CheckRun` directly.
func fixtureConfig(_ tree: some FakeRoot, cgroupRoot: String?, procRoot: String, stateFile: String,
                   _ values: [ConfigKey: String] = [:]) throws -> Config {
    var config = Config()
    if let cgroupRoot { try config.set(.cgroupRoot, to: cgroupRoot) }
    try config.set(.procRoot, to: procRoot)
    try config.set(.stateFile, to: stateFile)
    try config.set(.availableThreshold, to: "1T")
    try config.set(.growthThreshold, to: "64M")
    for (key, value) in values { try config.set(key, to: value) }
    return config
}

/// One check driven in-process; what it recorded, how it failed, what it logged.
func check(_ config: Config, dryRun: Bool = false, controller: DetectedController? = nil, logFile: String)
    -> (record: CheckRecord, failure: Failure?, console: CapturedConsole) {
    let console = CapturedConsole()
    let run = CheckRun(config: config, dryRun: dryRun, log: EventLog(path: logFile, dryRun: dryRun, console: console), controller: controller)
    let (record, failure) = run.runAndPublish()
    return (record, failure, console)
}

/// The check's four decisions on a v1 fixture (target usage 300000000),
/// each with what it leaves in the state file and the kernel file.
struct CheckDecisionTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var availableThreshold = "1T"
        var last: Int64?
        var action: Decision.Action
        /// The state file's `last` afterwards; nil: no state file.
        var lastAfter: Int64?
        var logs: String?
        var forceEmpty = ""
        var testDescription: String { name }
    }

    @Test("decisions", arguments: [
        Row(name: "short and grew 300 MB since 0: reclaim", action: .reclaim, lastAfter: 300_000_000,
            logs: "Before reclaim:", forceEmpty: "1\n"),
        Row(name: "short but grew only 20 MB: too small, last kept", last: 280_000_000, action: .skipGrowthBelowThreshold,
            lastAfter: 280_000_000, logs: "is less global thresh"),
        Row(name: "not short, usage fell below last: decline, last lowered", availableThreshold: "1M", last: 500_000_000, action: .lowerLast,
            lastAfter: 300_000_000, logs: "mem usage decline"),
        Row(name: "not short: nothing, nothing written", availableThreshold: "1M", action: .nothing, lastAfter: nil, logs: nil),
        Row(name: "hostile: last far above current: decline", availableThreshold: "1M", last: Int64.max / 2, action: .lowerLast,
            lastAfter: 300_000_000, logs: "mem usage decline"),
    ])
    func decision(row: Row) throws {
        let tree = try FixtureTree()
        if let last = row.last { try tree.writeState(last: last) }
        let config = try fixtureConfig(tree, cgroupRoot: tree.cgroupRoot, procRoot: tree.procRoot, stateFile: tree.stateFile,
                                       [.availableThreshold: row.availableThreshold])
        let (record, failure, console) = check(config, logFile: tree.logFile)
        #expect(failure == nil, "\(console.stderr)")
        #expect(record.decision?.action == row.action)
        #expect(record.current == 300_000_000)
        #expect(record.locked)
        #expect(tree.read("cgroup/user.slice/memory.force_empty") == row.forceEmpty)
        let state = tree.read("state/state")
        if let lastAfter = row.lastAfter {
            #expect(state?.contains("last \(lastAfter)\n") == true, "\(state ?? "no state")")
        } else {
            #expect(state == nil)
        }
        if let logs = row.logs {
            #expect((tree.read("mon_memcg.log") ?? "").contains(logs))
        } else {
            #expect(tree.read("mon_memcg.log") == nil, "the original script logs nothing when nothing is to do")
        }
    }

    @Test("a dry run decides the same and writes nothing; the record says it held no lock")
    func dryRun() throws {
        let tree = try FixtureTree()
        let config = try fixtureConfig(tree, cgroupRoot: tree.cgroupRoot, procRoot: tree.procRoot, stateFile: tree.stateFile)
        let (record, failure, console) = check(config, dryRun: true, logFile: tree.logFile)
        #expect(failure == nil)
        #expect(record.decision?.action == .reclaim)
        #expect(!record.locked)
        #expect(!record.wrote)
        #expect(console.stdout.contains("dry-run: would have written 1 to \(tree.cgroupRoot)/user.slice/memory.force_empty, then stored"))
        #expect(tree.read("cgroup/user.slice/memory.force_empty") == "")
        #expect(tree.read("state/state") == nil)
    }

    @Test("a failure is a value: the status and message, and the record as far as it got")
    func failureValue() throws {
        let tree = try FixtureTree()
        try tree.writeState(last: 7)
        let config = try fixtureConfig(tree, cgroupRoot: tree.cgroupRoot, procRoot: tree.procRoot, stateFile: tree.stateFile,
                                       [.target: "no.such.slice"])
        let (record, failure, _) = check(config, logFile: tree.logFile)
        #expect(failure?.status == .targetMissing)
        #expect(record.locked)
        #expect(record.decision == nil)
        #expect(record.snapshot == nil, "the snapshot is kept only once the target was read")
        #expect(record.last == 7, "the state loaded after the lock carries last to the metrics")
    }
}
