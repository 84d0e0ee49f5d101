import Foundation
import MemcgCore
import MemcgEngine
import MemcgKernel
import Testing
import TestSupport

/// The engine's check driven in-process on fixture trees, as any user: the
/// root check belongs to the command, not here.
struct CheckRunTests {
    func settings(_ root: some FakeRoot, cgroupRoot: String?, procRoot: String, stateFile: String, logFile: String,
                  _ extra: [ConfigKey: String] = [:]) -> SettingsRequest {
        var values: [ConfigKey: String] = [.procRoot: procRoot, .stateFile: stateFile, .logFile: logFile,
                                           .availableThreshold: "1T", .growthThreshold: "64M"]
        if let cgroupRoot { values[.cgroupRoot] = cgroupRoot }
        values.merge(extra) { $1 }
        return SettingsRequest(configPath: nil, values: values)
    }

    @Test("v1: memory short, target grew: force_empty written once, the original script's lines, last stored")
    func v1Reclaim() throws {
        let tree = try FixtureTree()
        let console = CapturedConsole()
        let status = CheckRun.execute(settings(tree, cgroupRoot: tree.cgroupRoot, procRoot: tree.procRoot, stateFile: tree.stateFile, logFile: tree.logFile),
                                      dryRun: false, console: console)
        #expect(status == .ok, "\(console.stderr)")
        #expect(tree.read("cgroup/user.slice/memory.force_empty") == "1\n")
        let log = tree.read("mon_memcg.log") ?? ""
        for line in ["is less global thresh", "Before reclaim:", "mem usage: CURRENT 300000000 LAST 0 CHANGE 300000000",
                     "After reclaim:", "mem usage total_rss+total_cache 300000000", "reclaim took "] {
            #expect(log.contains(line), "\(line) missing from \(log)")
        }
        #expect(!log.contains("memory.reclaim"), "no v2 words on v1: \(log)")
        #expect(tree.read("state/state")?.contains("last 300000000") == true)
    }

    @Test("v2: the same path asks memory.reclaim for an amount, in logged steps")
    func v2Reclaim() throws {
        let tree = try FixtureTreeV2()
        let console = CapturedConsole()
        let status = CheckRun.execute(settings(tree, cgroupRoot: nil, procRoot: tree.procRoot, stateFile: tree.stateFile, logFile: tree.logFile),
                                      dryRun: false, console: console)
        #expect(status == .ok, "\(console.stderr)")
        let log = tree.read("mon_memcg.log") ?? ""
        for line in ["memory.reclaim: requesting", "memory.reclaim step 1: asked", "After reclaim:", "mem usage memory.current 3000000000"] {
            #expect(log.contains(line), "\(line) missing from \(log)")
        }
        #expect(!log.contains("total_rss+total_cache"), "no v1 words on v2: \(log)")
        #expect(tree.read("cgroup/user.slice/memory.reclaim")?.hasSuffix("\n") == true)
    }

    @Test("a dry run says what it would do and writes no kernel file, state or lock")
    func dryRun() throws {
        let tree = try FixtureTree()
        let console = CapturedConsole()
        let status = CheckRun.execute(settings(tree, cgroupRoot: tree.cgroupRoot, procRoot: tree.procRoot, stateFile: tree.stateFile, logFile: tree.logFile),
                                      dryRun: true, console: console)
        #expect(status == .ok, "\(console.stderr)")
        #expect(console.stdout.contains("dry-run: would have written 1 to \(tree.cgroupRoot)/user.slice/memory.force_empty"), "\(console.stdout)")
        #expect(tree.read("cgroup/user.slice/memory.force_empty") == "")
        #expect(tree.read("state/state") == nil)
        #expect(tree.read("state/state.lock") == nil)
    }

    @Test("a failure maps to its exit status and is reported once on stderr")
    func failure() throws {
        let tree = try FixtureTree()
        let console = CapturedConsole()
        let status = CheckRun.execute(settings(tree, cgroupRoot: tree.cgroupRoot, procRoot: tree.procRoot, stateFile: tree.stateFile, logFile: tree.logFile,
                                               [.target: "no.such.slice"]), dryRun: false, console: console)
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
        let console = CapturedConsole()
        let request = SettingsRequest(configPath: nil, values: [
            .cgroupRoot: tree.cgroupRoot, .procRoot: tree.procRoot, .stateFile: tree.stateFile, .logFile: tree.logFile,
            .availableThreshold: "1T", .growthThreshold: "64M", .reclaimAmount: "deficit"])
        let status = CheckRun.execute(request, dryRun: false, console: console)
        #expect(status == .ok, "\(console.stderr)")
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
