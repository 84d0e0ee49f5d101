import Foundation
import MemcgCore
import Testing
import TestSupport

/// What an operator writes that the tool used to answer badly: CRLF files,
/// trailing comments, quoted values, options before the command, `help` of
/// no command. Each is read as meant, or refused with words that teach.
struct OperatorInputTests {
    struct Row: NamedRow {
        var name, file: String
        var status: Int32
        /// In `config`'s output (status 0) or on stderr (otherwise).
        var says: String
    }

    static let rows: [Row] = [
        Row(name: "CRLF line ends read as LF", file: "available_threshold = 2G\r\ngrowth_threshold = 512M\r\n",
            status: 0, says: "growth_threshold = 536870912"),
        Row(name: "a CRLF file's error shows no raw carriage return", file: "available_threshold = 2X\r\n",
            status: 2, says: "unknown unit \"X\""),
        Row(name: "a trailing comment is refused with where comments go", file: "available_threshold = 2G # note\n",
            status: 2, says: "a comment takes a whole line: start the line with #"),
        Row(name: "a quoted value is the value inside the quotes", file: "target = \"user.slice\"\n",
            status: 0, says: "target = user.slice\n"),
        Row(name: "single quotes too", file: "target = 'user.slice'\n", status: 0, says: "target = user.slice\n"),
        Row(name: "Kubernetes quantities", file: "available_threshold = 4Gi\ngrowth_threshold = 100Mi\n",
            status: 0, says: "growth_threshold = 104857600"),
        Row(name: "GB is binary, as G is", file: "available_threshold = 4GB\n", status: 0, says: "available_threshold = 4294967296"),
        Row(name: "an hour", file: "poll_interval = 1h\n", status: 0, says: "poll_interval = 3600s"),
    ]

    @Test("config files as operators write them", arguments: rows)
    func file(row: Row) throws {
        let tree = try FixtureTree()
        try tree.write("mon_memcg.conf", row.file)
        let r = try Binary.run(["config", "--syntax-only", "--config", tree.configFile])
        #expect(r.status == row.status, "stderr: \(r.stderr)")
        #expect((row.status == 0 ? r.stdout : r.stderr).contains(row.says), "stdout: \(r.stdout) stderr: \(r.stderr)")
        #expect(!r.stderr.contains("\r"), "a raw carriage return reached the terminal: \(r.stderr.debugDescription)")
    }

    @Test("the setting options may come before the command")
    func optionsBeforeCommand() throws {
        let tree = try FixtureTree()
        let before = try Binary.run(["--growth-threshold", "3G", "config", "--syntax-only"])
        let after = try Binary.run(["config", "--syntax-only", "--growth-threshold", "3G"])
        #expect(before.status == 0, "stderr: \(before.stderr)")
        #expect(before.stdout == after.stdout)
        #expect(before.stdout.contains("growth_threshold = 3221225472"))
        let status = try Binary.run(["--cgroup-root", tree.cgroupRoot, "--proc-root", tree.procRoot, "status"])
        #expect(status.status == 0, "stderr: \(status.stderr)")
        #expect(status.stdout.hasPrefix("mon_memcg status:"))
    }

    @Test("help of no command is an unknown command, exit 64")
    func helpOfNothing() throws {
        let r = try Binary.run(["help", "nosuch"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("unknown command 'nosuch'"))
        let ok = try Binary.run(["help", "status"])
        #expect(ok.status == 0)
        let nearly = try Binary.run(["--config", "/nonexistent", "stauts"])
        #expect(nearly.status == 64)
        #expect(nearly.stderr.contains("did you mean 'status'?"))
    }
}
