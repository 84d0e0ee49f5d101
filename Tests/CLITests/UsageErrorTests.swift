import Foundation
import MemcgCore
import Testing
import TestSupport

/// Command lines a person gets wrong, and the help they read: each error
/// says what is wrong and what to type instead.
struct UsageErrorTests {
    typealias Row = CommandRow

    static let rows: [Row] = [
        Row(name: "unknown command, near a real one", arguments: ["stauts"], status: 64,
            says: "unknown command 'stauts' (did you mean 'status'?); the commands are check (the default), status, config, watch and alive"),
        Row(name: "unknown command, near none", arguments: ["frobnicate"], status: 64,
            says: "unknown command 'frobnicate'; the commands are"),
        Row(name: "negative size given with a space", arguments: ["status", "--available-threshold", "-5"], status: 2,
            says: "--available-threshold: size \"-5\" is not a whole non-negative number"),
        Row(name: "negative duration given with a space", arguments: ["check", "--dry-run", "--reclaim-timeout", "-1s"], status: 2,
            says: "--reclaim-timeout: duration \"-1s\""),
        Row(name: "absolute target under the v1 mount", arguments: ["status", "--target", "/sys/fs/cgroup/memory/x.slice"], status: 2,
            says: "must be relative to cgroup_root (write \"x.slice\")"),
    ]

    @Test("usage errors say what to type instead", arguments: rows)
    func usage(row: Row) throws {
        let r = try Binary.run(row.arguments)
        #expect(r.status == row.status, "stderr: \(r.stderr)")
        #expect(r.stderr.contains(row.says), "stderr: \(r.stderr)")
        #expect(!r.stderr.contains("Missing value"), "stderr: \(r.stderr)")
    }

    @Test("--help lists the commands, the setting options, the files and every exit status, aligned")
    func help() throws {
        let r = try Binary.run(["--help"])
        #expect(r.status == 0)
        let options = ConfigKey.allCases.map { "--" + $0.optionName }
        for word in ["SUBCOMMANDS:", "status", "watch", "alive", "restore", "FILES", "/etc/mon_memcg.conf",
                     "/var/log/mon_memcg.log", "/run/mon_memcg/state", "EXIT STATUS", "--defaults"] + options {
            #expect(r.stdout.contains(word), "\(word) missing from --help")
        }
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex(of: "EXIT STATUS"))
        let table = lines[(start + 1)...].prefix { !$0.isEmpty }
        for code in [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 64] {
            #expect(table.contains { $0.hasPrefix("  \(code) ") }, "exit status \(code) missing")
        }
        #expect(table.allSatisfy { $0.hasPrefix("  ") }, "a wrapped line starts at column 0: \(table)")
    }
}
