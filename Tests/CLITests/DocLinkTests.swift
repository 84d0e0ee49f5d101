import Foundation
import Testing

/// Every relative link in the README and docs/ names a file that exists,
/// and every `#anchor` a heading of that file (GitHub's slugs): a page that
/// points to a README section which is not there sends an operator nowhere.
struct DocLinkTests {
    static let repo = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func pages() throws -> [URL] {
        let docs = repo.appendingPathComponent("docs")
        let names = try FileManager.default.contentsOfDirectory(atPath: docs.path).filter { $0.hasSuffix(".md") }
        return [repo.appendingPathComponent("README.md")] + names.sorted().map { docs.appendingPathComponent($0) }
    }

    /// `](target)` occurrences outside code spans and fences.
    static func links(in text: String) -> [String] {
        var out: [String] = []
        var inFence = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { inFence.toggle(); continue }
            if inFence { continue }
            var rest = Substring(line.split(separator: "`", omittingEmptySubsequences: false).enumerated()
                .filter { $0.offset % 2 == 0 }.map(\.element).joined(separator: " "))
            while let open = rest.range(of: "](") {
                rest = rest[open.upperBound...]
                guard let close = rest.firstIndex(of: ")") else { break }
                out.append(String(rest[..<close]))
                rest = rest[close...]
            }
        }
        return out
    }

    /// GitHub's heading anchor: lower case, punctuation dropped, spaces to '-'.
    static func slug(_ heading: String) -> String {
        String(heading.lowercased().compactMap { c -> Character? in
            if c == " " { return "-" }
            if c.isLetter || c.isNumber || c == "-" || c == "_" { return c }
            return nil
        })
    }

    static func anchors(of text: String) -> Set<String> {
        var inFence = false
        var out: Set<String> = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("```") { inFence.toggle(); continue }
            guard !inFence, line.hasPrefix("#") else { continue }
            out.insert(slug(line.drop(while: { $0 == "#" }).trimmingCharacters(in: .whitespaces)))
        }
        return out
    }

    @Test("every relative link and anchor in README.md and docs/*.md resolves")
    func linksResolve() throws {
        var broken: [String] = []
        var checked = 0
        for page in try Self.pages() {
            let text = try String(contentsOf: page, encoding: .utf8)
            for link in Self.links(in: text) where !link.contains("://") && !link.hasPrefix("mailto:") {
                checked += 1
                let parts = link.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                let file = parts[0].isEmpty ? page : page.deletingLastPathComponent().appendingPathComponent(parts[0]).standardizedFileURL
                guard FileManager.default.fileExists(atPath: file.path) else {
                    broken.append("\(page.lastPathComponent): \(link) (no such file)")
                    continue
                }
                if parts.count == 2, file.pathExtension == "md" {
                    let target = try String(contentsOf: file, encoding: .utf8)
                    if !Self.anchors(of: target).contains(parts[1]) { broken.append("\(page.lastPathComponent): \(link) (no such heading)") }
                }
            }
        }
        #expect(checked > 50, "only \(checked) links found: the reader is broken")
        #expect(broken.isEmpty, "broken links:\n\(broken.joined(separator: "\n"))")
    }

    @Test("the link reader sees links, skips code, and slugs as GitHub does")
    func reader() {
        #expect(Self.links(in: "see [a](b.md#c) and `[x](y)`\n```\n[p](q)\n```\n[r](s)") == ["b.md#c", "s"])
        #expect(Self.slug("Scenario 1: continuous reclaimable growth") == "scenario-1-continuous-reclaimable-growth")
        #expect(Self.slug("What `status` shows") == "what-status-shows")
    }
}
