import ArgumentParser
import MemcgCore
import Testing
@testable import mon_memcg

/// `CheckCommandLine` reads a check's usual command lines without the
/// argument parser. Wherever it answers, its answer must be the parser's;
/// where it declines, the parser decides (and may report a usage error).
struct CheckCommandLineTests {
    struct Row: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        /// Whether the quick reading is expected to answer.
        var quick: Bool
        var testDescription: String { arguments.isEmpty ? "(no arguments)" : arguments.joined(separator: " ") }
    }

    static let rows: [Row] = [
        // Read quickly: what a timer, a person or a test runs.
        Row(arguments: [], quick: true),
        Row(arguments: ["check"], quick: true),
        Row(arguments: ["--dry-run"], quick: true),
        Row(arguments: ["check", "--dry-run"], quick: true),
        Row(arguments: ["check", "--config", "/etc/mon_memcg.conf"], quick: true),
        Row(arguments: ["--config=/etc/mon_memcg.conf", "check"], quick: false),
        Row(arguments: ["check", "--target", "user.slice", "--dry-run", "--state-file", "/tmp/s"], quick: true),
        Row(arguments: ["--target=user.slice", "--log-file=/tmp/l"], quick: true),
        Row(arguments: ["check", "--log-file", "/tmp/l", "--target", "a.slice", "--available-threshold", "1T"], quick: true),
        Row(arguments: ["check", "--target", "check"], quick: true),
        Row(arguments: ["--target", "status"], quick: true),
        Row(arguments: ["check", "--target", "../proc"], quick: true),
        Row(arguments: ["check", "--growth-threshold", "0"], quick: true),
        Row(arguments: ["check", "--available-threshold=4X"], quick: true),
        Row(arguments: ["check", "--target", "a b", "--metrics-file", "/tmp/m=1.prom"], quick: true),
        Row(arguments: ["check", "--reclaim-timeout=2s", "--poll-interval", "200ms"], quick: true),
        // Left to the parser: help, version, other commands, anything odd.
        Row(arguments: ["--help"], quick: false),
        Row(arguments: ["check", "--help"], quick: false),
        Row(arguments: ["-h"], quick: false),
        Row(arguments: ["--version"], quick: false),
        Row(arguments: ["status"], quick: false),
        Row(arguments: ["status", "--json"], quick: false),
        Row(arguments: ["config", "--defaults"], quick: false),
        Row(arguments: ["watch"], quick: false),
        Row(arguments: ["help", "check"], quick: false),
        Row(arguments: ["check", "check"], quick: false),
        Row(arguments: ["check", "--target"], quick: false),
        Row(arguments: ["check", "--target", "--dry-run"], quick: false),
        Row(arguments: ["check", "--target", "-x"], quick: false),
        Row(arguments: ["check", "--target="], quick: false),
        Row(arguments: ["check", "--target", ""], quick: false),
        Row(arguments: ["check", "--target", "a", "--target", "b"], quick: false),
        Row(arguments: ["check", "--dry-run", "--dry-run"], quick: false),
        Row(arguments: ["check", "--dry-run=true"], quick: false),
        Row(arguments: ["check", "--json"], quick: false),
        Row(arguments: ["check", "--no-such-option", "1"], quick: false),
        Row(arguments: ["check", "--", "--target", "a"], quick: false),
        Row(arguments: ["check", "extra"], quick: false),
        Row(arguments: ["check", "-t", "a"], quick: false),
        Row(arguments: ["--generate-completion-script", "bash"], quick: false),
        Row(arguments: ["check", "--available_threshold", "1G"], quick: false),
    ]

    /// The parser's reading of the same arguments, as a `CheckCommandLine`;
    /// nil when it does not run a check (help, another command, an error).
    static func parserReading(_ arguments: [String]) -> CheckCommandLine? {
        guard let command = try? MonMemcg.parseAsRoot(arguments), let check = command as? Check else { return nil }
        return CheckCommandLine(settings: check.options.settings, dryRun: check.dryRun)
    }

    @Test(arguments: rows)
    func agreesWithTheParser(_ row: Row) {
        let quick = CheckCommandLine.parse(row.arguments)
        #expect((quick != nil) == row.quick)
        if let quick {
            #expect(quick == Self.parserReading(row.arguments))
        }
    }

    /// Every setting option, in both spellings, means the same to both.
    @Test(arguments: ConfigKey.allCases)
    func everySettingOption(_ key: ConfigKey) throws {
        for arguments in [["check", "--\(key.optionName)", "v1"], ["--\(key.optionName)=v1", "--dry-run"]] {
            let quick = try #require(CheckCommandLine.parse(arguments))
            #expect(quick.settings.overrides == [.init(key: key, value: "v1")])
            #expect(quick == Self.parserReading(arguments))
        }
    }

    @Test func overridesComeInKeyOrderWhateverTheOrderGiven() throws {
        let quick = try #require(CheckCommandLine.parse(["--target", "t", "--available-threshold", "1G", "--config", "/c"]))
        #expect(quick.settings == SettingsRequest(configPath: "/c", overrides: [
            .init(key: .availableThreshold, value: "1G"), .init(key: .target, value: "t"),
        ]))
        #expect(quick.settings.overrides.map(\.option) == ["--available-threshold", "--target"])
    }
}
