import Foundation
import MemcgEngine
import MemcgCore
import Testing
import TestSupport

@Suite(.serialized)
struct StatusTests {
    @Test("status --json: stable fields, integer bytes, the same numbers a check would use")
    func json() throws {
        let tree = try FixtureTree(memTotalKB: 1_048_576, rootUsage: 3_000_000_000, rootInactiveFile: 100_000_000,
                                   targetRSS: 1_000_000_000, targetCache: 2_000_000_000)
        try tree.writeState(last: 915_800_064)
        let r = try Binary.run(["status", "--json"] + tree.arguments)
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        func int(_ k: String) -> Int64? { (object[k] as? NSNumber)?.int64Value }
        #expect(object["hierarchy"] as? String == "v1")
        #expect(int("mem_total_bytes") == 1_073_741_824)
        #expect(int("root_usage_bytes") == 3_000_000_000)
        #expect(int("root_total_inactive_file_bytes") == 100_000_000)
        #expect(int("working_set_bytes") == 2_900_000_000)
        #expect(int("available_bytes") == 1_073_741_824 - 2_900_000_000)
        #expect(int("watermark_bytes") == 67_108_864)
        #expect(int("global_threshold_bytes") == 4_362_076_160)
        #expect(int("current_bytes") == 3_000_000_000)
        #expect(int("last_bytes") == 915_800_064)
        #expect(int("change_bytes") == Int64(2_084_199_936))  // 3000000000 - 915800064
        #expect(object["decision"] as? String == "reclaim")
        #expect(object["target_present"] as? Bool == true)
        #expect(object["state"] as? String == "valid")
        // Changes nothing.
        #expect(tree.read("cgroup/user.slice/memory.force_empty") == "")
        #expect(tree.read("mon_memcg.log") == nil)
        #expect(tree.read("state/state.lock") == nil)
    }

    @Test("status with no target: node figures, plain word that the target is missing, exit 0")
    func missingTarget() throws {
        let tree = try FixtureTree(target: nil)
        let r = try Binary.run(["status"] + tree.arguments)
        #expect(r.status == 0)
        #expect(r.stdout.contains("MISSING: target cgroup \(tree.cgroupRoot)/user.slice does not exist"))
        #expect(r.stdout.contains("MemTotal"))
        #expect(r.stdout.contains("a check would exit 4"))
        let j = try Binary.run(["status", "--json"] + tree.arguments)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        #expect(object["decision"] as? String == "target_missing")
        #expect(object["target_present"] as? Bool == false)
        #expect(object["current_bytes"] is NSNull)
    }

    @Test("status text shows each figure kubelet uses and the decision with its reason")
    func text() throws {
        let tree = try FixtureTree()
        let r = try Binary.run(["status"] + tree.arguments)
        #expect(r.status == 0)
        for label in ["MemTotal", "root usage_in_bytes", "root total_inactive_file", "working set", "available",
                      "watermark", "global thresh", "current", "last", "growth_threshold", "Decision: none"] {
            #expect(r.stdout.contains(label), "missing \(label)")
        }
    }

    @Test("status on this host agrees with /proc/meminfo and the root memory.stat",
          .enabled(if: FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory/memory.stat"),
                   "no cgroup v1 memory controller at /sys/fs/cgroup/memory"))
    func realHost() throws {
        // Real-kernel tests running in parallel (drop_caches, writers filling
        // page cache) once moved root usage by 1.1 GiB between the two reads
        // below: hold the lab lock they hold.
        let lab = KernelLab.exclusive()
        defer { withExtendedLifetime(lab) {} }
        let r = try Binary.run(["status", "--json", "--state-file", "/nonexistent/state"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let meminfo = try String(contentsOfFile: "/proc/meminfo", encoding: .utf8)
        let totalKB = meminfo.split(separator: "\n").first { $0.hasPrefix("MemTotal:") }!
            .split(separator: " ")[1]
        #expect((object["mem_total_bytes"] as? NSNumber)?.int64Value == Int64(totalKB)! * 1024)
        let minFree = try String(contentsOfFile: "/proc/sys/vm/min_free_kbytes", encoding: .utf8)
        #expect((object["watermark_bytes"] as? NSNumber)?.int64Value == Int64(minFree.dropLast())! * 1024)
        // usage and inactive_file move between reads; working set must follow
        // from the two numbers the tool itself reported.
        let usage = (object["root_usage_bytes"] as! NSNumber).int64Value
        let inactive = (object["root_total_inactive_file_bytes"] as! NSNumber).int64Value
        #expect((object["working_set_bytes"] as! NSNumber).int64Value == max(0, usage - inactive))
        let kernelUsage = Int64(try String(contentsOfFile: "/sys/fs/cgroup/memory/memory.usage_in_bytes", encoding: .utf8).dropLast())!
        #expect(abs(kernelUsage - usage) < 512 * 1024 * 1024, "root usage moved by more than 512 MiB between two reads")
    }
}

struct HelpTests {
    @Test("--help lists every exit status, and the README table says the same")
    func exitStatuses() throws {
        let r = try Binary.run(["--help"])
        #expect(r.status == 0)
        let readme = try String(contentsOfFile: URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md").path, encoding: .utf8)
        for status in ExitStatus.allCases.map(\.rawValue) {
            #expect(r.stdout.contains("  \(status)\t") || r.stdout.contains("  \(status) "), "--help lacks exit status \(status)")
            #expect(readme.contains("| \(status) |"), "README lacks exit status \(status)")
        }
        // The keys are in `config --defaults` and the man pages (generated
        // from it); the README points there, docs/configuration.md has each
        // key's rules.
        #expect(readme.contains("`mon_memcg config --defaults` prints every key"))
        let configuration = try String(contentsOfFile: URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/configuration.md").path, encoding: .utf8)
        for key in ConfigKey.allCases {
            #expect(configuration.contains("| `\(key.name)` |"), "docs/configuration.md lacks config key \(key.name)")
        }
    }
}

struct ConfigCommandTests {
    @Test("config prints the effective values; its output parses back to the same settings")
    func effective() throws {
        let tree = try FixtureTree()
        try tree.write("mon_memcg.conf", "growth_threshold = 2G\ntarget = a.slice\n")
        let r = try Binary.run(["config", "--syntax-only", "--config", tree.configFile, "--reclaim-timeout", "500ms", "--state-file", "/tmp/s"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("growth_threshold = 2147483648\n"))
        #expect(r.stdout.contains("target = a.slice\n"))
        #expect(r.stdout.contains("reclaim_timeout = 500ms\n"))
        #expect(r.stdout.contains("state_file = /tmp/s\n"))
        #expect(r.stdout.contains("# cgroup_root is unset"))
        try tree.write("round.conf", r.stdout)
        let again = try Binary.run(["config", "--syntax-only", "--config", tree.path("round.conf")])
        #expect(again.stdout == r.stdout)
    }

    @Test("config --defaults is the shipped file; a bad file is refused like a check would")
    func defaultsAndErrors() throws {
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("packaging/mon_memcg.conf").path
        let r = try Binary.run(["config", "--defaults"])
        #expect(r.stdout == (try String(contentsOfFile: shipped, encoding: .utf8)))
        let tree = try FixtureTree()
        try tree.write("mon_memcg.conf", "bogus = 1\n")
        let bad = try Binary.run(["config", "--config", tree.configFile])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("line 1: unknown key \"bogus\""))
    }

    typealias NodeRow = CommandRow

    /// On a fixture node: `config` meets the node as a check would, with a
    /// check's exit statuses, and says what it checked.
    static let nodeRows: [NodeRow] = [
        NodeRow(name: "a node a check can use", arguments: [], status: 0, says: "# checked: target "),
        NodeRow(name: "the target missing: exit 4, as a check", arguments: ["--target", "nosuch"], status: 4, says: "nosuch does not exist"),
        NodeRow(name: "cgroup_root not a memory controller: exit 3, as a check", arguments: ["--cgroup-root", "/tmp"], status: 3,
                says: "no cgroup v1 memory controller at /tmp"),
        NodeRow(name: "--syntax-only checks no node", arguments: ["--syntax-only", "--cgroup-root", "/tmp"], status: 0, says: "cgroup_root = /tmp"),
    ]

    @Test("config checks the node as a check would", arguments: nodeRows)
    func node(row: NodeRow) throws {
        let tree = try FixtureTree()
        let r = try Binary.run(["config"] + tree.arguments + row.arguments)
        #expect(r.status == row.status, "stderr: \(r.stderr)")
        #expect((row.status == 0 ? r.stdout : r.stderr).contains(row.says), "stdout: \(r.stdout)\nstderr: \(r.stderr)")
        if row.status == 0, !row.arguments.contains("--syntax-only") {
            for line in ["# checked: cgroup v1 memory controller at \(tree.cgroupRoot) (cgroup_root)",
                         "# checked: reclaim file \(tree.cgroupRoot)/user.slice/memory.force_empty exists",
                         "# checked: kubelet_config not read"] {
                #expect(r.stdout.contains(line), "\(line) missing from:\n\(r.stdout)")
            }
        }
    }

    @Test("cgroup v2 without memory.reclaim: exit 5, as a check")
    func v2WithoutReclaim() throws {
        let tree = try FixtureTreeV2()
        try FileManager.default.removeItem(atPath: tree.path("cgroup/user.slice/memory.reclaim"))
        let r = try Binary.run(["config"] + tree.arguments)
        #expect(r.status == 5, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("memory.reclaim does not exist"))
    }
}
