import Testing
@testable import MemcgCore

struct AvailableThresholdTests {
    struct Row: CustomTestStringConvertible, Sendable {
        var text: String
        var parsed: AvailableThreshold?
        /// Resolved on a 16 GiB node whose kubelet evicts below 500 MiB.
        var bytes: Int64?
        var testDescription: String { text }
    }

    static let rows: [Row] = [
        Row(text: "4G", parsed: .size(.gib(4)), bytes: 4 << 30),
        Row(text: "4294967296", parsed: .size(.gib(4)), bytes: 4 << 30),
        Row(text: "10%", parsed: .percentOfMemTotal(basisPoints: 1000), bytes: 1_717_986_918),
        Row(text: "2.5%", parsed: .percentOfMemTotal(basisPoints: 250), bytes: 429_496_729),
        Row(text: "kubelet + 3G", parsed: .kubeletPlus(.gib(3)), bytes: (3 << 30) + (500 << 20)),
        Row(text: "kubelet+1G", parsed: .kubeletPlus(.gib(1)), bytes: (1 << 30) + (500 << 20)),
        Row(text: "Kubelet", parsed: .kubeletPlus(.zero), bytes: 500 << 20),
        Row(text: "kubelet - 1G", parsed: nil, bytes: nil),
        Row(text: "kubelet + ", parsed: nil, bytes: nil),
        Row(text: "101%", parsed: nil, bytes: nil),
        Row(text: "-5%", parsed: nil, bytes: nil),
        Row(text: "lots", parsed: nil, bytes: nil),
    ]

    @Test("available_threshold: a size, a share of MemTotal, or kubelet's threshold plus a size", arguments: rows)
    func parses(_ row: Row) {
        let parsed = try? AvailableThreshold(parsing: row.text, parseSize: { s throws(ParseError) in try Units.parseSize(s) })
        #expect(parsed == row.parsed)
        #expect(parsed?.resolve(memTotal: .gib(16), kubeletHard: .mib(500)).value == row.bytes)
        #expect(parsed?.needsKubelet == row.parsed.map { if case .kubeletPlus = $0 { true } else { false } })
    }

    @Test("printed back in a form it reads again")
    func roundTrip() throws {
        for text in ["4G", "10%", "2.5%", "kubelet + 3G", "kubelet"] {
            let parse = { (s: String) throws(ParseError) -> AvailableThreshold in
                try AvailableThreshold(parsing: s, parseSize: { s throws(ParseError) in try Units.parseSize(s) })
            }
            let once = try parse(text)
            #expect(try parse(once.description) == once, "\(text) → \(once.description)")
        }
    }
}
