import Testing
import TestSupport
@testable import MemcgCore

struct StatText: NamedRow {
    var name, value: String
    init(_ name: String, _ value: String) { (self.name, self.value) = (name, value) }
}

/// The table-free `total_rss + total_cache` must answer as the full parser
/// does: the same sum, or an error where it errs (duplicates of other
/// fields aside, which it does not look for).
struct MemoryStatUsageTests {
    static let texts: [StatText] = [
        StatText("kernel's shape", "cache 4096\nrss 8192\ntotal_cache 1000\ntotal_rss 2000\ntotal_inactive_file 5\n"),
        StatText("no trailing newline", "total_rss 1\ntotal_cache 2"),
        StatText("blank lines and blanks-only lines", "\n  \n\ttotal_rss 3\n\r\ntotal_cache 4\n\n"),
        StatText("leading and doubled spaces", "  total_rss  7\ntotal_cache 8"),
        StatText("largest counter", "total_rss 9223372036854775807\ntotal_cache 0"),
        StatText("counter over Int64", "total_rss 9223372036854775808\ntotal_cache 0"),
        StatText("20 digits", "total_rss 00000000000000000001\ntotal_cache 0"),
        StatText("negative", "total_rss -1\ntotal_cache 0"),
        StatText("three fields", "total_rss 1 2\ntotal_cache 0"),
        StatText("tab separated", "total_rss\t1\ntotal_cache 0"),
        StatText("carriage return after value", "total_rss 1\r\ntotal_cache 0\r\n"),
        StatText("a bad line elsewhere", "total_rss 1\ntotal_cache 2\npgfault x"),
        StatText("total_rss twice", "total_rss 1\ntotal_rss 1\ntotal_cache 2"),
        StatText("total_cache twice", "total_cache 1\ntotal_rss 1\ntotal_cache 2"),
        StatText("no total_rss", "total_cache 2\nrss 1"),
        StatText("no total_cache", "total_rss 2"),
        StatText("empty", ""),
        StatText("only blanks", " \n\t\n"),
        StatText("name only", "total_rss\ntotal_cache 1"),
        StatText("prefix of a field name", "total_rs 1\ntotal_rss 2\ntotal_cache 3\ntotal_cachex 4"),
        StatText("a line that is only CRLF", "\r\ntotal_rss 1\ntotal_cache 2"),
        StatText("CR then a blank line", "total_rss 1\r\n\ntotal_cache 2"),
        StatText("plus sign", "total_rss +1\ntotal_cache 0"),
    ]

    @Test("the same answer as MemoryStat(parsing:).hierarchicalUsage()", arguments: texts)
    func sameAsFullParser(_ row: StatText) {
        let full = Result { () throws(ParseError) in try MemoryStat(parsing: row.value).hierarchicalUsage() }
        let fast = Result { () throws(ParseError) in try MemoryStat.hierarchicalUsage(parsing: row.value) }
        switch (full, fast) {
        case (.success(let a), .success(let b)): #expect(a == b)
        case (.failure(let a), .failure(let b)): #expect("\(a)" == "\(b)")
        default: Issue.record("full parser \(full), table-free \(fast)")
        }
    }

    @Test("the sums the kernel's lines give")
    func sums() throws {
        #expect(try MemoryStat.hierarchicalUsage(parsing: Self.texts[0].value) == Bytes(3000))
        #expect(try MemoryStat.hierarchicalUsage(parsing: "total_rss 9223372036854775807\ntotal_cache 0") == Bytes(Int64.max))
    }

    @Test("a duplicate of another field is the one rule it does not apply")
    func otherDuplicates() throws {
        let text = "pgfault 1\npgfault 2\ntotal_rss 1\ntotal_cache 2"
        #expect(throws: ParseError.self) { try MemoryStat(parsing: text) }
        #expect(try MemoryStat.hierarchicalUsage(parsing: text) == Bytes(3))
    }
}
