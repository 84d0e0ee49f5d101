import Foundation
import Testing
@testable import MemcgCore

/// docs/configuration.md's table of keys is written from the setting
/// descriptors: this test fails when the two differ, and shows the table to
/// paste. `MON_MEMCG_WRITE_DOCS=1 swift test --filter ConfigurationDocsTests`
/// writes it in place.
struct ConfigurationDocsTests {
    static let docsPath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/configuration.md").path
    static let begin = "<!-- settings table: written from ConfigKey.setting by Tests/MemcgCoreTests/ConfigurationDocsTests.swift; do not edit -->"
    static let end = "<!-- end of the settings table -->"

    /// One row per key, in the file's order: default, value, meaning.
    static func table() -> String {
        var rows = ["| key | default | value | meaning |", "|---|---|---|---|"]
        for setting in ConfigKey.allCases.map(\.setting) {
            let isSet = setting.text(Config()) != nil
            let value = setting.choices.map { "\(setting.valueName): " + $0.map { "`\($0)`" }.joined(separator: ", ") } ?? setting.valueName
            let cells = ["`\(setting.name)`", isSet ? "`\(setting.defaultWords)`" : setting.defaultWords, value,
                         setting.meaning.joined(separator: " ")]
            rows.append("| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |")
        }
        return rows.joined(separator: "\n")
    }

    @Test("docs/configuration.md's table of keys is the descriptors'")
    func docsTable() throws {
        let docs = try String(contentsOfFile: Self.docsPath, encoding: .utf8)
        let start = try #require(docs.range(of: Self.begin + "\n"), "\(Self.docsPath) lacks the line \(Self.begin)")
        let stop = try #require(docs.range(of: Self.end, range: start.upperBound..<docs.endIndex))
        let written = String(docs[start.upperBound..<stop.lowerBound])
        let expected = Self.table() + "\n"
        if written != expected, ProcessInfo.processInfo.environment["MON_MEMCG_WRITE_DOCS"] == "1" {
            try (docs[..<start.upperBound] + expected + docs[stop.lowerBound...]).write(toFile: Self.docsPath, atomically: true, encoding: .utf8)
            return
        }
        #expect(written == expected, "docs/configuration.md's table differs from the descriptors; it should be:\n\(expected)")
    }
}
