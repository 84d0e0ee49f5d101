import Testing
@testable import MemcgCore

/// The counters kept in the state file for the metrics: additive keys that
/// an older state file simply lacks, parsed as strictly as `last`.
struct RunCountersTests {
    @Test("round trip, and zeros are not written")
    func roundTrip() throws {
        var state = RunState(last: 2_005_598_208)
        state.counters.recordReclaim(freed: 524_174_295_040, milliseconds: 412, interrupted: false, endedAtEpochSeconds: 1_726_282_125)
        state.counters.recordSkip()
        let text = StateFile.render(state)
        #expect(text == """
            mon_memcg-state 1
            last 2005598208
            reclaims 1
            skips 1
            reclaimed_bytes 524174295040
            last_reclaim_ms 412
            last_reclaim_at 1726282125
            reclaims_le_500 1
            reclaim_ms_sum 412

            """)
        #expect(try StateFile.parse(text) == state)
        #expect(StateFile.render(RunState(last: 5)) == "mon_memcg-state 1\nlast 5\n")
    }

    @Test("escalations are a counter line too")
    func escalations() throws {
        var state = RunState(last: 1)
        state.counters.recordEscalations(2)
        state.counters.recordEscalations(-1)
        #expect(StateFile.render(state) == "mon_memcg-state 1\nlast 1\nescalations 2\n")
        #expect(try StateFile.parse("mon_memcg-state 1\nescalations 3\nlast 1\n").counters.escalations == 3)
    }

    @Test("reclaim durations land in their bucket (bounds inclusive), failures by cause, both kept in the state file")
    func histogramAndFailures() throws {
        var state = RunState(last: 1)
        for ms: Int64 in [0, 10, 11, 45_000, 45_001, 61_000] {
            state.counters.recordReclaim(freed: 1, milliseconds: ms, interrupted: false, endedAtEpochSeconds: 1)
        }
        state.counters.recordFailure(FailureCause.kernel.rawValue)
        state.counters.recordFailure(FailureCause.kernel.rawValue)
        state.counters.recordFailure(FailureCause.reclaimInterrupted.rawValue)
        let c = state.counters
        // buckets: 10 50 100 250 500 1000 2500 5000 10000 30000 45000 60000 +Inf
        #expect(c.reclaimDurationCounts == [2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1])
        #expect(c.reclaimDurationSumMs == 151_022)
        let text = StateFile.render(state)
        #expect(text.contains("reclaims_le_10 2\nreclaims_le_50 1\nreclaims_le_45000 1\nreclaims_le_60000 1\nreclaims_le_inf 1\nreclaim_ms_sum 151022\n"))
        #expect(text.contains("failures_kernel 2\nfailures_reclaim_interrupted 1\n"))
        #expect(try StateFile.parse(text) == state)
        #expect(throws: ParseError.self) { try StateFile.parse("mon_memcg-state 1\nreclaims_le_7 1\n") }
        #expect(throws: ParseError.self) { try StateFile.parse("mon_memcg-state 1\nfailures_ 1\n") }
        #expect(throws: ParseError.self) { try StateFile.parse("mon_memcg-state 1\nfailures_kernel 1\nfailures_kernel 2\n") }
    }

    @Test("a state file written before the counters reads as zeros")
    func oldFile() throws {
        let state = try StateFile.parse("mon_memcg-state 1\nlast 915800064\n")
        #expect(state.last == 915_800_064)
        #expect(state.counters == RunCounters())
    }

    @Test("counters never go backwards or negative", arguments: [Int64(-5), 0, 7])
    func recordReclaim(freed: Int64) {
        var c = RunCounters()
        c.reclaimedBytes = 10
        c.recordReclaim(freed: Bytes(freed), milliseconds: -3, interrupted: true, endedAtEpochSeconds: 9)
        #expect(c.reclaimedBytes.value == 10 + max(0, freed))
        #expect(c.reclaims == 1 && c.interruptions == 1)
        #expect(c.lastReclaimMilliseconds == 0)
        var full = RunCounters()
        full.reclaims = .max
        full.recordSkip()
        full.recordReclaim(freed: .init(.max), milliseconds: 1, interrupted: false, endedAtEpochSeconds: 1)
        #expect(full.reclaims == .max)
    }

    @Test("hostile counter lines reject the whole file", arguments: [
        ("duplicate counter", "mon_memcg-state 1\nreclaims 1\nreclaims 2\n", "twice"),
        ("negative counter", "mon_memcg-state 1\nskips -1\n", "not a non-negative integer"),
        ("huge counter", "mon_memcg-state 1\nreclaimed_bytes 99999999999999999999\n", "not a non-negative integer"),
        ("garbage counter", "mon_memcg-state 1\ninterruptions x\n", "not a non-negative integer"),
        ("near-miss key", "mon_memcg-state 1\nreclaim 1\n", "unknown key"),
        ("metric name as key", "mon_memcg-state 1\nreclaims_total 1\n", "unknown key"),
        ("empty value", "mon_memcg-state 1\nlast_reclaim_ms \n", "not a non-negative integer"),
    ])
    func rejects(row: (String, String, String)) {
        #expect(throws: ParseError.self, "\(row.0)") { try StateFile.parse(row.1) }
        #expect { _ = try StateFile.parse(row.1) } throws: { String(describing: $0).contains(row.2) }
    }
}
