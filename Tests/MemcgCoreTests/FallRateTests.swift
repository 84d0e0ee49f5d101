import Testing
import TestSupport
@testable import MemcgCore

/// The fall rate of available measured between wake-ups, as named tables:
/// readings in, the rate planned with out.
struct FallRateTests {
    struct Row: NamedRow {
        var name: String
        /// (available, monotonic milliseconds) readings, in order.
        var readings: [(Int64, Int64)]
        /// A reclaim between reading `restartAfter` and the next (its rise is not a sample).
        var restartAt: Int? = nil
        var samples: Int
        var perSecond: Int64
    }

    static let gib = Int64(1) << 30
    static let mib = Int64(1) << 20

    static let rows: [Row] = [
        Row(name: "no reading: the old fixed 1 GiB/s", readings: [], samples: 0, perSecond: gib),
        Row(name: "one reading: still no sample", readings: [(10 * gib, 0)], samples: 0, perSecond: gib),
        Row(name: "falls 200 MiB in a second: halfway from 1 GiB/s to 200 MiB/s",
            readings: [(10 * gib, 0), (10 * gib - 200 * mib, 1_000)], samples: 1, perSecond: (gib + 200 * mib) / 2),
        Row(name: "steady 200 MiB/s for five wake-ups: close to 200 MiB/s",
            readings: (0...5).map { (10 * gib - Int64($0) * 200 * mib, Int64($0) * 1_000) }, samples: 5,
            perSecond: 200 * mib + (gib - 200 * mib) / 32),
        Row(name: "a burst of 2.5 GB/s after quiet: shows at once",
            readings: [(10 * gib, 0), (10 * gib, 1_000), (10 * gib - 1_250_000_000, 1_500)], samples: 2,
            perSecond: (2_500_000_000 + (gib / 2)) / 2),
        Row(name: "available rising: decays to the floor, never negative",
            readings: (0...10).map { (gib + Int64($0) * gib, Int64($0) * 1_000) }, samples: 10, perSecond: 64 * mib),
        Row(name: "a hostile fall of Int64.max/2 in 50 ms: counts as the cap, halfway from 1 GiB/s",
            readings: [(Int64.max / 2, 0), (0, 50)], samples: 1, perSecond: (8 * gib + gib) / 2),
        Row(name: "three hostile falls: towards the cap (7/8 of the way), never beyond",
            readings: [(Int64.max / 2, 0), (0, 50), (-(Int64.max / 2), 100), (-(Int64.max / 2) - (1 << 62), 150)],
            samples: 3, perSecond: (7 * 8 * gib + gib) / 8),
        Row(name: "readings 10 ms apart are not a sample: the older one measures the longer interval",
            readings: [(10 * gib, 0), (10 * gib - 10 * mib, 10), (10 * gib - 400 * mib, 1_000)], samples: 1,
            perSecond: (gib + 400 * mib) / 2),
        Row(name: "the reclaim's rise restarts the measurement instead of counting",
            readings: [(5 * gib, 0), (4 * gib, 1_000), (9 * gib, 1_100), (9 * gib - 100 * mib, 2_100)], restartAt: 2,
            samples: 2, perSecond: ((gib + gib) / 2 + 100 * mib) / 2),
        Row(name: "time going backwards (hostile): no sample",
            readings: [(10 * gib, 5_000), (9 * gib, 1_000)], samples: 0, perSecond: gib),
    ]

    @Test("the measured fall rate", arguments: rows)
    func rate(row: Row) {
        var fall = FallRate()
        for (index, reading) in row.readings.enumerated() {
            if index == row.restartAt {
                fall.restart(available: Bytes(reading.0), atMilliseconds: reading.1)
            } else {
                fall.observe(available: Bytes(reading.0), atMilliseconds: reading.1)
            }
        }
        #expect(fall.samples == row.samples)
        #expect(fall.perSecond == Bytes(row.perSecond), "smoothed \(fall.smoothed)")
    }

    @Test("how far available falls in a step, at the rate planned with", arguments: [
        ("200 ms at the initial 1 GiB/s", Int64(200), Int64(1) << 30 / 5),
        ("no time: nothing", 0, 0),
        ("negative time (hostile): nothing", -5, 0),
        ("Int64.max ms (hostile): saturates", Int64.max, Int64.max),
    ])
    func fallInStep(row: (String, Int64, Int64)) {
        #expect(FallRate().fall(inMilliseconds: row.1) == Bytes(row.2), "\(row.0)")
    }
}
