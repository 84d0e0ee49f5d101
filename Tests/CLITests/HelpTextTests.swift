import Foundation
import MemcgCore
import Testing
import TestSupport

/// What `--help` says of each option, and what the man page makes of it:
/// both come from the setting descriptors, and each states a default once.
struct HelpTextTests {
    static let commands = ["", "check", "status", "config", "watch", "alive", "restore"]

    /// The OPTIONS entries of `--help`: the option (names and <value>) and
    /// its help, wrapped lines joined.
    static func options(_ help: String) -> [(option: String, help: String)] {
        var entries: [(option: String, help: String)] = []
        var inOptions = false
        for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "OPTIONS:" { inOptions = true; continue }
            guard inOptions else { continue }
            if !line.hasPrefix(" ") { inOptions = false; continue }
            let words = line.split(separator: " ").map(String.init)
            if line.hasPrefix("  -") {
                // The names, then a <value> if any; the help is what follows.
                var count = words.first?.hasSuffix(",") == true ? 2 : 1
                if words.count > count, words[count].hasPrefix("<") { count += 1 }
                entries.append((words.prefix(count).joined(separator: " "), words.dropFirst(count).joined(separator: " ")))
            } else if !entries.isEmpty {
                let joined = [entries[entries.count - 1].help, words.joined(separator: " ")].filter { !$0.isEmpty }
                entries[entries.count - 1].help = joined.joined(separator: " ")
            }
        }
        return entries
    }

    @Test("no --help states a default twice", arguments: commands)
    func defaultOnce(command: String) throws {
        let r = try Binary.run(command.isEmpty ? ["--help"] : [command, "--help"])
        #expect(r.status == 0)
        let entries = Self.options(r.stdout)
        #expect(!entries.isEmpty, "no OPTIONS in \(command) --help")
        for entry in entries {
            #expect(entry.help.components(separatedBy: "(default").count <= 2, "\(command) \(entry.option): \(entry.help)")
        }
    }

    @Test("each setting option's help is its descriptor's, with its value name")
    func settingOptions() throws {
        let entries = Self.options(try Binary.run(["check", "--help"]).stdout)
        for setting in ConfigKey.allCases.map(\.setting) {
            let option = "--\(setting.key.optionName) <\(setting.valueName)>"
            let entry = entries.first { $0.option == option }
            #expect(entry?.help == setting.optionHelp, "\(option): \(entry?.help ?? "missing from check --help")")
        }
    }

    /// scripts/build-man.sh run on the built binary, as the RPM and CI do.
    static func manPage() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("mon_memcg-man-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try Binary.run([root.appendingPathComponent("scripts/build-man.sh").path, Binary.path, out.path, "2026-01-01"],
                               executable: "/bin/bash")
        #expect(r.status == 0, "\(r.stderr)")
        return try String(contentsOf: out.appendingPathComponent("mon_memcg.8"), encoding: .utf8)
    }

    /// roff as build-man.sh escapes it, back to plain text.
    static func plain(_ roff: some StringProtocol) -> String {
        roff.replacingOccurrences(of: "\\fB", with: "").replacingOccurrences(of: "\\fI", with: "")
            .replacingOccurrences(of: "\\fR", with: "").replacingOccurrences(of: "\\-", with: "-")
            .replacingOccurrences(of: "\\e", with: "\\").replacingOccurrences(of: "\\&", with: "")
    }

    @Test("the man page's OPTIONS: the option alone on its line (the help below it), each setting's help its descriptor's")
    func manOptions() throws {
        let page = try Self.manPage()
        let lines = page.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex(of: ".SH OPTIONS"))
        let end = try #require(lines[start...].firstIndex(of: ".SH CONFIGURATION"))
        var entries: [String: String] = [:]
        for i in start..<end where lines[i] == ".TP" {
            // The tag line renders as the option's line: bold names, an
            // italic value, nothing else.
            let tag = lines[i + 1]
            let words = tag.split(separator: " ")
            #expect(!words.isEmpty && words.allSatisfy { $0.hasPrefix("\\fB\\-") || $0.hasPrefix("\\fI") },
                    "help text on the option's line: \(tag)")
            #expect(words.filter { $0.hasPrefix("\\fI") }.count <= 1, "\(tag)")
            let body = lines[(i + 2)..<end].prefix { !$0.hasPrefix(".") }.joined(separator: " ")
            entries[Self.plain(tag)] = Self.plain(body)
        }
        for setting in ConfigKey.allCases.map(\.setting) {
            let option = "--\(setting.key.optionName) \(setting.valueName)"
            #expect(entries[option] == setting.optionHelp, "\(option) in mon_memcg.8: \(entries[option] ?? "missing")")
        }
        #expect(entries["--max-age duration"] == "Oldest heartbeat that still counts as alive (default 60s). (alive)")
    }

    @Test("the man page's CONFIGURATION: every key with its default and meaning from the descriptor")
    func manConfiguration() throws {
        let page = try Self.manPage()
        for setting in ConfigKey.allCases.map(\.setting) {
            let entry = ".BR \(setting.name) \" = \" \"\(setting.defaultText)\"\n"
                + setting.meaning.joined(separator: "\n").replacingOccurrences(of: "\\", with: "\\e") + "\n"
            #expect(page.contains(entry), "mon_memcg.8 lacks, as the descriptor says it:\n\(entry)")
        }
    }
}
