import Testing
import TestSupport
@testable import MemcgCore

/// The lead `watch` plans with from its recent reclaims' lengths.
struct StepLengthsTests {
    struct Row: NamedRow {
        var name: String
        /// Lengths recorded, oldest first (milliseconds).
        var lengths: [Int64]
        var lead: Int64
    }

    @Test("the lead is the median of the last five lengths, the shorter middle one of an even count", arguments: [
        Row(name: "no reclaim yet: the minimum step", lengths: [], lead: 100),
        Row(name: "one 1.4 s step", lengths: [1_400], lead: 1_400),
        // The v1 lab's long clamp (docs/efficacy.md, s3 r9): a 0.25 s step,
        // then a 7.25 s one; the last length alone planned a 5 s lead.
        Row(name: "one slow step after a quick one: the quick one", lengths: [250, 7_251], lead: 250),
        Row(name: "one slow step among quick ones", lengths: [300, 200, 9_203, 280, 400], lead: 300),
        Row(name: "two slow of four: the shorter middle one", lengths: [200, 8_000, 300, 7_000], lead: 300),
        Row(name: "three slow of five: steps have become slow", lengths: [200, 4_000, 300, 3_500, 4_300], lead: 3_500),
        Row(name: "only the last five count", lengths: [9_000, 9_000, 9_000, 100, 120, 110, 130, 140], lead: 120),
        Row(name: "the median within the 5 s bound", lengths: [45_000, 44_000, 45_000], lead: 5_000),
        Row(name: "steps that returned at once: the 100 ms floor", lengths: [0, 3, 1], lead: 100),
        Row(name: "a negative length (hostile) is never the lead", lengths: [-7], lead: 100),
    ])
    func lead(row: Row) {
        var lengths = StepLengths()
        for ms in row.lengths { lengths.record(ms) }
        #expect(lengths.lead == row.lead)
        #expect(lengths.recent.count == min(row.lengths.count, StepLengths.kept))
    }

    @Test("the lead follows the node once slow steps are the majority, and comes back")
    func follows() {
        var lengths = StepLengths()
        var leads: [Int64] = []
        for ms: Int64 in [200, 200, 200, 3_000, 3_000, 3_000, 200, 200, 200] {
            lengths.record(ms)
            leads.append(lengths.lead)
        }
        #expect(leads == [200, 200, 200, 200, 200, 3_000, 3_000, 3_000, 200])
    }
}
