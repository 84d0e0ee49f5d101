import Testing
import TestSupport
@testable import MemcgCore

/// Where `watch` arms the kernel's usage threshold, as a named table.
struct WatchArmingTests {
    static let policy = Policy(availableThreshold: .gib(4), growthThreshold: .gib(1))
    static let watermark = Bytes.kib(65536)  // the original script's min_free_kbytes
    static let globalThresh = Int64(4_362_076_160)

    static func node(total: Int64 = 24 << 30, usage: Int64, inactive: Int64, watermark: Bytes = watermark) -> NodeObservation {
        NodeObservation(memTotal: Bytes(total), rootUsage: Bytes(usage), rootInactiveFile: Bytes(inactive), watermark: watermark)
    }

    struct Row: NamedRow {
        var name: String
        var node: NodeObservation
        var growthSoFar: Int64 = 0
        var expected: [Int64]
    }

    static let level = Int64(24 << 30) - globalThresh + 3_000_000_000 + 1
    static let rows: [Row] = [
        Row(name: "not short: arm where avail falls below global thresh",
            node: node(usage: 10_000_000_000, inactive: 3_000_000_000), expected: [level]),
        Row(name: "one byte below the level: still arms the level",
            node: node(usage: level - 1, inactive: 3_000_000_000), expected: [level]),
        Row(name: "at the level (short): arm growth_threshold above usage",
            node: node(usage: level, inactive: 3_000_000_000), expected: [level + (1 << 30)]),
        Row(name: "short after a skip: only what is left of growth_threshold",
            node: node(usage: 30_000_000_000, inactive: 0), growthSoFar: 900 << 20, expected: [30_000_000_000 + (124 << 20)]),
        Row(name: "short, growth nearly used up: at least the minimum step",
            node: node(usage: 30_000_000_000, inactive: 0), growthSoFar: (1 << 30) - 1, expected: [30_000_000_000 + (64 << 20)]),
        Row(name: "short, target shrank since last: the whole growth_threshold",
            node: node(usage: 30_000_000_000, inactive: 0), growthSoFar: -(5 << 30), expected: [30_000_000_000 + (1 << 30)]),
        Row(name: "global thresh above MemTotal: short at any usage",
            node: node(total: 1 << 30, usage: 500_000_000, inactive: 400_000_000), expected: [500_000_000 + (1 << 30)]),
        Row(name: "usage at Int64.max (hostile): nothing armed, the poll still runs",
            node: node(usage: .max, inactive: 0), expected: []),
        Row(name: "watermark moves the level",
            node: node(usage: 10_000_000_000, inactive: 3_000_000_000, watermark: .mib(256)),
            expected: [level + globalThresh - (4 << 30) - (256 << 20)]),
    ]

    @Test("thresholds()", arguments: rows)
    func thresholds(row: Row) {
        let got = WatchArming.thresholds(node: row.node, policy: Self.policy, growthSoFar: Bytes(row.growthSoFar))
        #expect(got.map(\.value) == row.expected)
    }

    @Test("the level is exactly where decide() turns short")
    func levelAgreesWithDecide() throws {
        for inactive in [Int64(0), 1, 3_000_000_000, 20 << 30] {
            let base = Self.node(usage: 0, inactive: inactive)
            let level = try #require(WatchArming.shortUsageLevel(node: base, policy: Self.policy))
            for (usage, short) in [(level.value - 1, false), (level.value, true), (level.value + 4096, true)] {
                let n = Self.node(usage: usage, inactive: inactive)
                let d = decide(node: n, current: 0, last: 0, policy: Self.policy)
                #expect(d.needsReclaim == short, "inactive \(inactive) usage \(usage)")
            }
        }
    }

    @Test("the safety poll quickens near the threshold", arguments: [
        ("far: poll_interval", Int64(20) << 30, Int64(5_000)),
        ("5 GiB of headroom: poll_interval", Int64(5) << 30, 5_000),
        ("1 GiB: every second", Int64(1) << 30, 1_000),
        ("256 MiB: every 250 ms", Int64(256) << 20, 250),
        ("1 byte: the minimum", 1, 200),
        ("exactly at the threshold (short): poll_interval", 0, 5_000),
        ("deep in short: poll_interval", -(Int64(50) << 30), 5_000),
    ])
    func pollDelay(row: (String, Int64, Int64)) {
        // available - global thresh = headroom
        let g = Self.globalThresh
        let node = Self.node(total: 30 << 30, usage: (30 << 30) - g - row.1, inactive: 0)
        #expect(node.available.value - g == row.1)
        #expect(WatchArming.pollDelayMilliseconds(node: node, policy: Self.policy, pollIntervalMilliseconds: 5_000) == row.2, "\(row.0)")
    }

    struct PollRow: NamedRow {
        var name: String
        var headroom: Int64
        var rate: Int64
        var lead: Int64 = 0
        var delay: Int64
    }

    static let gib = Int64(1) << 30
    static let mib = Int64(1) << 20
    static let pollRows: [PollRow] = [
        PollRow(name: "1 GiB at 100 MiB/s: poll_interval (10 s of headroom)", headroom: gib, rate: 100 * mib, delay: 5_000),
        PollRow(name: "1 GiB at 512 MiB/s: two seconds", headroom: gib, rate: 512 * mib, delay: 2_000),
        PollRow(name: "1 GiB at 512 MiB/s, a step takes 1.4 s: 0.6 s", headroom: gib, rate: 512 * mib, lead: 1_400, delay: 600),
        PollRow(name: "1 GiB at 4 GiB/s: 250 ms", headroom: gib, rate: 4 * gib, delay: 250),
        PollRow(name: "1 GiB at 8 GiB/s: the minimum 200 ms", headroom: gib, rate: 8 * gib, delay: 200),
        PollRow(name: "the step longer than the headroom lasts: the minimum", headroom: gib, rate: 512 * mib, lead: 10_000, delay: 200),
        PollRow(name: "a rate of 0 (hostile): poll_interval", headroom: gib, rate: 0, delay: 5_000),
        PollRow(name: "short already: poll_interval", headroom: -1, rate: 4 * gib, lead: 1_000, delay: 5_000),
        PollRow(name: "a negative lead (hostile) counts as none", headroom: gib, rate: 512 * mib, lead: -9_000, delay: 2_000),
    ]

    @Test("the safety poll at the measured fall rate, early by a step's time", arguments: pollRows)
    func pollDelayMeasured(row: PollRow) {
        let g = Self.globalThresh
        let node = Self.node(total: 30 << 30, usage: (30 << 30) - g - row.headroom, inactive: 0)
        #expect(WatchArming.pollDelayMilliseconds(node: node, policy: Self.policy, pollIntervalMilliseconds: 5_000,
                                                  fallPerSecond: Bytes(row.rate), leadMilliseconds: row.lead) == row.delay)
    }

    @Test("a crossing during registration is noticed")
    func crossedWhileArming() {
        #expect(WatchArming.crossedWhileArming(usage: 100, thresholds: [100]))
        #expect(WatchArming.crossedWhileArming(usage: 101, thresholds: [200, 100]))
        #expect(!WatchArming.crossedWhileArming(usage: 99, thresholds: [100]))
        #expect(!WatchArming.crossedWhileArming(usage: 99, thresholds: []))
    }
}
