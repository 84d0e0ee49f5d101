import Testing
import TestSupport
@testable import MemcgCore

/// The original script's decision, as a named table. The first rows are the numbers
/// from the original script's own logs.
struct DecisionTests {
    struct Row: NamedRow {
        var name: String
        var available, globalThreshold, current, last: Int64
        var growth: Int64 = 1_073_741_824
        var expected: Decision.Action
    }

    static let rows: [Row] = [
        // "avalible_mem -300967919616 is less global thresh 4362076160 ... CURRENT 526179893248 LAST 915800064"
        Row(name: "original log: continuous reclaim, negative avail", available: -300_967_919_616, globalThreshold: 4_362_076_160,
            current: 526_179_893_248, last: 915_800_064, expected: .reclaim),
        Row(name: "original log: second reclaim 80 s later", available: -438_700_474_368, globalThreshold: 4_362_076_160,
            current: 663_986_438_144, last: 2_005_598_208, expected: .reclaim),
        // threshold 10G run: "avalible_mem 8240496640 is less global thresh 10804527104 ... CURRENT 216618106880 LAST 932184064"
        Row(name: "original log: 10G threshold reclaims once", available: 8_240_496_640, globalThreshold: 10_804_527_104,
            current: 216_618_106_880, last: 932_184_064, expected: .reclaim),
        // "CURRENT 216604540928 LAST 216604540928 CHANGE 0 / change is too small"
        Row(name: "original log: change 0 skips", available: 8_249_278_464, globalThreshold: 10_804_527_104,
            current: 216_604_540_928, last: 216_604_540_928, expected: .skipGrowthBelowThreshold),
        // "mem usage decline, change last usage mem 2689925120 -> 932184064"
        Row(name: "original log: decline after dropping page cache", available: 20_000_000_000, globalThreshold: 4_362_076_160,
            current: 932_184_064, last: 2_689_925_120, expected: .lowerLast),
        // "mem usage decline, change last usage mem 216604540928 -> 205825900544"
        Row(name: "original log: small decline still lowers last", available: 12_000_000_000, globalThreshold: 10_804_527_104,
            current: 205_825_900_544, last: 216_604_540_928, expected: .lowerLast),
        // Edges.
        Row(name: "avail equal to threshold is not short", available: 4_362_076_160, globalThreshold: 4_362_076_160,
            current: 10, last: 10, expected: .nothing),
        Row(name: "one byte below threshold is short", available: 4_362_076_159, globalThreshold: 4_362_076_160,
            current: 2_000_000_000, last: 0, expected: .reclaim),
        Row(name: "growth exactly the threshold reclaims", available: 0, globalThreshold: 1,
            current: 2_073_741_824, last: 1_000_000_000, expected: .reclaim),
        Row(name: "growth one byte short skips", available: 0, globalThreshold: 1,
            current: 2_073_741_823, last: 1_000_000_000, expected: .skipGrowthBelowThreshold),
        Row(name: "short and target shrank: skip, last kept", available: 0, globalThreshold: 1,
            current: 500, last: 1_000_000_000, expected: .skipGrowthBelowThreshold),
        Row(name: "first run, no last: reclaim if short", available: -1, globalThreshold: 4_362_076_160,
            current: 1_073_741_824, last: 0, expected: .reclaim),
        Row(name: "first run, small target, short: skip", available: -1, globalThreshold: 4_362_076_160,
            current: 1_073_741_823, last: 0, expected: .skipGrowthBelowThreshold),
        Row(name: "fine and unchanged: nothing", available: 20_000_000_000, globalThreshold: 4_362_076_160,
            current: 5, last: 5, expected: .nothing),
        Row(name: "fine and grew: nothing (no reclaim when not short)", available: 20_000_000_000, globalThreshold: 4_362_076_160,
            current: 900_000_000_000, last: 5, expected: .nothing),
        // Hostile numbers: never trap, still decide.
        Row(name: "hostile: extreme negative avail", available: Int64.min + 1, globalThreshold: Int64.max,
            current: Int64.max, last: 0, expected: .reclaim),
        Row(name: "hostile: growth threshold zero always reclaims when short", available: 0, globalThreshold: 1,
            current: 0, last: 0, growth: 0, expected: .reclaim),
        Row(name: "hostile: huge last never overflows change", available: 0, globalThreshold: 1,
            current: 0, last: Int64.max, expected: .skipGrowthBelowThreshold),
    ]

    @Test("decide()", arguments: rows)
    func decision(row: Row) {
        // Build an observation that yields exactly the row's available and threshold.
        let node = NodeObservation(memTotal: Bytes(row.available), rootUsage: 0, rootInactiveFile: 0, watermark: 0)
        let policy = Policy(availableThreshold: Bytes(row.globalThreshold), growthThreshold: Bytes(row.growth))
        let d = decide(node: node, current: Bytes(row.current), last: Bytes(row.last), policy: policy)
        #expect(d.action == row.expected)
        #expect(d.available == Bytes(row.available))
        #expect(d.globalThreshold == Bytes(row.globalThreshold))
    }

    @Test("the original script's global thresh is 4 GiB plus 65536 kB")
    func originalGlobalThreshold() {
        let policy = Policy(availableThreshold: .gib(4), growthThreshold: .gib(1))
        #expect(policy.globalThreshold(watermark: .kib(65536)) == 4_362_076_160)
        // 10 GiB + 65536 kB = the original script's second test's 10804527104.
        #expect(Policy(availableThreshold: .gib(10), growthThreshold: .gib(1)).globalThreshold(watermark: .kib(65536)) == 10_804_527_104)
    }

    @Test("the original script's CHANGE is current - last, signed")
    func change() {
        let node = NodeObservation(memTotal: 0, rootUsage: 0, rootInactiveFile: 0, watermark: 0)
        let d = decide(node: node, current: 526_179_893_248, last: 915_800_064, policy: Policy(availableThreshold: 1, growthThreshold: 1))
        #expect(d.change == 525_264_093_184)  // the original script's CHANGE on that line
        let shrink = decide(node: node, current: 1, last: 5, policy: Policy(availableThreshold: 1, growthThreshold: 1))
        #expect(shrink.change == -4)
    }

    @Test("every decision explains itself with its numbers")
    func reasons() {
        let node = NodeObservation(memTotal: 100, rootUsage: 0, rootInactiveFile: 0, watermark: 0)
        let d = decide(node: node, current: 10, last: 20, policy: Policy(availableThreshold: 1, growthThreshold: 1))
        #expect(d.action == .lowerLast)
        #expect(d.reason.contains("shrank from last 20 to 10"))
    }
}

struct NodeObservationTests {
    struct Row: NamedRow {
        var name: String
        var total, usage, inactive: Int64
        var workingSet, available: Int64
    }

    static let rows: [Row] = [
        Row(name: "ordinary", total: 1000, usage: 600, inactive: 100, workingSet: 500, available: 500),
        Row(name: "inactive above usage saturates at 0", total: 1000, usage: 100, inactive: 600, workingSet: 0, available: 1000),
        Row(name: "usage above MemTotal gives negative avail", total: 510, usage: 900, inactive: 10, workingSet: 890, available: -380),
        Row(name: "all zeros", total: 0, usage: 0, inactive: 0, workingSet: 0, available: 0),
        Row(name: "hostile: max usage does not trap", total: 1, usage: Int64.max, inactive: 0, workingSet: Int64.max, available: 1 - Int64.max),
    ]

    @Test("kubelet's working set and available (v1)", arguments: rows)
    func formula(row: Row) {
        let n = NodeObservation(memTotal: Bytes(row.total), rootUsage: Bytes(row.usage), rootInactiveFile: Bytes(row.inactive), watermark: 0)
        #expect(n.workingSet == Bytes(row.workingSet))
        #expect(n.available == Bytes(row.available))
    }
}
