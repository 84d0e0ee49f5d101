import Foundation
import Testing
@testable import MemcgCore

/// packaging/mon_memcg.conf is what the RPM installs as /etc/mon_memcg.conf.
/// It is committed so the spec and reviewers can read it, and must stay
/// byte for byte what the code documents as the defaults.
struct ShippedConfigTests {
    static let shippedPath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("packaging/mon_memcg.conf").path

    @Test("packaging/mon_memcg.conf equals ConfigFile.defaultText()")
    func shippedEqualsDefault() throws {
        let shipped = try String(contentsOfFile: Self.shippedPath, encoding: .utf8)
        #expect(shipped == ConfigFile.defaultText(),
                "regenerate it: mon_memcg config --defaults > packaging/mon_memcg.conf (the descriptors, ConfigKey.setting, are the source of truth)")
    }

    @Test("the shipped file parses to the built-in defaults")
    func shippedParsesToDefaults() throws {
        let shipped = try String(contentsOfFile: Self.shippedPath, encoding: .utf8)
        var parsed = Config()
        try ConfigFile.parse(shipped, into: &parsed)
        #expect(parsed == Config())
    }
}
