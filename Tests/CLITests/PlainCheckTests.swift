import ArgumentParser
import MemcgCore
@testable import mon_memcg
import Testing
import TestSupport

/// A check's plain command lines are read without the argument parser
/// (PlainCheck); each must mean exactly what the parser makes of it, and
/// everything else must be left to the parser.
struct PlainCheckTests {
    struct Row: NamedRow {
        var name: String
        var arguments: [String]
        /// false: not plain; the parser must get it.
        var plain: Bool
    }

    static let rows: [Row] = [
        Row(name: "nothing: the units' command line", arguments: [], plain: true),
        Row(name: "check alone", arguments: ["check"], plain: true),
        Row(name: "the benchmark's check", arguments: ["check", "--target", "t", "--state-file", "/s", "--log-file", "/l"], plain: true),
        Row(name: "no command, options only", arguments: ["--target", "user.slice"], plain: true),
        Row(name: "joined with =", arguments: ["check", "--available-threshold=10G", "--target=a/b"], plain: true),
        Row(name: "a value holding =", arguments: ["check", "--target=a=b"], plain: true),
        Row(name: "--config and every setting",
            arguments: ["check", "--config", "/etc/x.conf"] + ConfigKey.allCases.flatMap { ["--" + $0.optionName, "v-\($0.name)"] }, plain: true),
        Row(name: "not plain: --dry-run", arguments: ["check", "--dry-run", "--target", "t"], plain: false),
        Row(name: "not plain: --help", arguments: ["check", "--help"], plain: false),
        Row(name: "not plain: another command", arguments: ["status", "--target", "t"], plain: false),
        Row(name: "not plain: an option twice", arguments: ["check", "--target", "a", "--target", "b"], plain: false),
        Row(name: "not plain: missing value", arguments: ["check", "--target"], plain: false),
        Row(name: "not plain: empty value", arguments: ["check", "--target="], plain: false),
        Row(name: "not plain: negative value", arguments: ["check", "--growth-threshold", "-5"], plain: false),
        Row(name: "not plain: unknown option", arguments: ["check", "--targte", "t"], plain: false),
        Row(name: "not plain: a stray word", arguments: ["check", "--target", "t", "extra"], plain: false),
        Row(name: "not plain: check not first", arguments: ["--target", "t", "check"], plain: false),
        Row(name: "not plain: --version", arguments: ["--version"], plain: false),
    ]

    @Test("plain command lines read as the parser reads them; the rest left to it", arguments: rows)
    func sameAsParser(_ row: Row) throws {
        let plain = PlainCheck.settings(row.arguments)
        #expect((plain != nil) == row.plain)
        guard let plain else { return }
        let parsed = try MonMemcg.parseAsRoot(row.arguments)
        let check = try #require(parsed as? Check)
        #expect(!check.dryRun)
        #expect(plain == check.options.settings)
    }
}
