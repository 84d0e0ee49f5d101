import Foundation
import Testing
@testable import MemcgCore

/// The version is said once in the code (`MemcgVersion`): the packages,
/// which cannot read it, must say the same.
struct VersionTests {
    static let repo = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("the RPM spec and the Debian changelog carry MemcgVersion.current")
    func packagesAgree() throws {
        let spec = try String(contentsOf: Self.repo.appendingPathComponent("packaging/rpm/mon_memcg.spec"), encoding: .utf8)
        let specVersion = spec.split(separator: "\n").first { $0.hasPrefix("Version:") }?.split(separator: " ").last.map(String.init)
        #expect(specVersion == MemcgVersion.current, "the spec's Version: is \(specVersion ?? "missing")")
        let changelog = try String(contentsOf: Self.repo.appendingPathComponent("packaging/debian/changelog"), encoding: .utf8)
        let first = changelog.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.contains("(\(MemcgVersion.current)-"), "the changelog's newest entry is \(first)")
    }
}
