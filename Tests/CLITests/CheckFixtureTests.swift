import Foundation
import Testing
import TestSupport

/// The built binary, end to end, against fixture trees: the decision, the
/// bytes written to memory.force_empty, the state file and the log lines.
@Suite(.serialized)
struct CheckFixtureTests {
    /// 1 GiB of MemTotal with 2 GB of root usage: kubelet's avail is
    /// negative, so memory is short under the default 4G threshold.
    func shortTree(targetRSS: Int64 = 1_000_000_000, targetCache: Int64 = 2_000_000_000) throws -> FixtureTree {
        try FixtureTree.short(rootInactiveFile: 100_000_000, targetRSS: targetRSS, targetCache: targetCache)
    }

    func logLines(_ tree: FixtureTree) -> [String] { tree.logLines }

    @Test("memory short and target grew: the original script's lines, exactly and in order")
    func reclaims() throws {
        let tree = try shortTree()
        let r = try Binary.run(["check"] + tree.arguments)
        #expect(r.status == 0, "\(r.stderr)")
        // The write and the state: CheckBothHierarchiesTests.reclaims.
        let avail = 1_073_741_824 - (3_000_000_000 - 100_000_000)
        // The original script's lines, exactly and in order; the dying-cgroup lines
        // added around the reclaim are checked on their own.
        #expect(logLines(tree).filter { $0.hasPrefix("dying cgroups ") } == [
            "dying cgroups before reclaim: COUNT 0 BYTES 0", "dying cgroups after reclaim: COUNT 0 BYTES 0",
        ])
        let lines = logLines(tree).filter { !$0.hasPrefix("dying cgroups ") }
        #expect(Array(lines.prefix(6)) == [
            "avalible_mem \(avail) is less global thresh 4362076160, need reclaim \(tree.cgroupRoot)//user.slice !!",
            "Before reclaim:",
            "mem usage: CURRENT 3000000000 LAST 0 CHANGE 3000000000",
            "After reclaim:",
            "mem usage total_rss+total_cache 3000000000",
            lines.count > 5 ? lines[5] : "missing",
        ])
        #expect(lines.count == 6 && lines[5].hasPrefix("reclaim took ") && lines[5].hasSuffix(" s, freed 0 bytes"))
    }

    @Test("the timestamp is date(1)'s default format")
    func timestamp() throws {
        let tree = try shortTree()
        try Binary.run(["check"] + tree.arguments, environment: ["TZ": "UTC", "PATH": "/usr/bin:/bin"])
        let first = (tree.read("mon_memcg.log") ?? "").split(separator: "\n").first.map(String.init) ?? ""
        // e.g. "Fri Nov 27 03:23:25 UTC 2026     avalible_mem ..."
        let pattern = #/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 123][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] UTC [0-9]{4}     avalible_mem /#
        #expect(first.firstMatch(of: pattern) != nil, "\(first)")
    }

    @Test("memory fine and target not shrinking: silent, nothing written")
    func nothing() throws {
        let tree = try FixtureTree()
        let r = try Binary.run(["check"] + tree.arguments)
        #expect(r.status == 0)
        #expect(tree.read("mon_memcg.log") == nil)
        #expect(tree.read("state/state") == nil)
    }

    @Test("no subcommand means check")
    func defaultSubcommand() throws {
        let tree = try shortTree()
        let r = try Binary.run(tree.arguments)
        #expect(r.status == 0)
        #expect(tree.read("cgroup/user.slice/memory.force_empty") == "1\n")
    }

    @Test("--dry-run that fails says so on stderr and still writes no log file")
    func dryRunFailure() throws {
        let tree = try shortTree()
        let r = try Binary.run(["check", "--dry-run", "--target", "no.such.slice"] + tree.arguments)
        #expect(r.status == 4)
        #expect(r.stderr.hasPrefix("mon_memcg: dry-run: target cgroup"), "\(r.stderr)")
        #expect(tree.read("mon_memcg.log") == nil)
    }

    @Test("--dry-run on a decline does not lower last")
    func dryRunDecline() throws {
        let tree = try FixtureTree(targetRSS: 1, targetCache: 1)
        try tree.writeState(last: 500)
        let r = try Binary.run(["check", "--dry-run"] + tree.arguments)
        #expect(r.status == 0)
        #expect(r.stdout.contains("dry-run: would have changed last usage mem 500 -> 2"))
        #expect(tree.read("state/state") == "mon_memcg-state 1\nlast 500\n")
    }

    @Test("a garbage state file is logged, treated as no last value, and replaced")
    func garbageState() throws {
        let tree = try shortTree()
        try tree.write("state/state", "\u{7f}ELF garbage")
        let r = try Binary.run(["check"] + tree.arguments)
        #expect(r.status == 0)
        let lines = logLines(tree)
        #expect(lines.first?.hasPrefix("state file unusable (") == true)
        #expect(lines.contains("mem usage: CURRENT 3000000000 LAST 0 CHANGE 3000000000"))
        #expect(tree.read("state/state") == "mon_memcg-state 1\nlast 3000000000\n")
    }

    @Test("command-line options override the config file")
    func overrides() throws {
        let tree = try shortTree()
        try tree.write("mon_memcg.conf", "growth_threshold = 100G\n")
        // The file alone makes it a skip...
        var r = try Binary.run(["check", "--config", tree.configFile] + tree.arguments)
        #expect(r.status == 0)
        #expect(logLines(tree).last == "change is too small (less than 107374182400 ), so skip reclaim")
        // ...the option wins over the file.
        r = try Binary.run(["check", "--config", tree.configFile, "--growth-threshold", "1M"] + tree.arguments)
        #expect(r.status == 0)
        #expect(tree.read("cgroup/user.slice/memory.force_empty") == "1\n")
    }

    @Test("the config file sets every path")
    func configPaths() throws {
        let tree = try shortTree()
        try tree.write("mon_memcg.conf", tree.pathsConfig + "available_threshold = 4G\n\n")
        let r = try Binary.run(["check", "--config", tree.configFile])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(tree.read("cgroup/user.slice/memory.force_empty") == "1\n")
    }

    @Test("log file that cannot be written: the run still reclaims and says so on stderr")
    func unwritableLog() throws {
        let tree = try shortTree()
        let r = try Binary.run(["check"] + tree.arguments + ["--log-file", tree.path("no/such/dir/log")])
        #expect(r.status == 0)
        #expect(tree.read("cgroup/user.slice/memory.force_empty") == "1\n")
        #expect(r.stderr.contains("cannot open log file \(tree.path("no/such/dir/log")): No such file or directory"))
        #expect(r.stderr.contains("Before reclaim:"))
    }
}
