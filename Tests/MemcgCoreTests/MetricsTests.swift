import Testing
import TestSupport
@testable import MemcgCore

/// The metrics file: exact text for a known snapshot, and a strict check of
/// the Prometheus text format (0.0.4) for every shape the file can take.
struct MetricsTests {
    static func full() -> MetricsSnapshot {
        var counters = RunCounters()
        counters.recordReclaim(freed: 524_174_295_040, milliseconds: 412, interrupted: false, endedAtEpochSeconds: 1_726_282_125)
        counters.recordReclaim(freed: -5, milliseconds: 45_001, interrupted: true, endedAtEpochSeconds: 1_726_282_205)
        counters.recordSkip()
        counters.recordFailure(FailureCause.kernel.rawValue)
        var s = MetricsSnapshot(counters: counters, success: false, timestampSeconds: 1_726_282_206)
        s.hierarchy = "v1"
        s.available = -300_967_919_616
        s.workingSet = 811_000_000_000
        s.globalThreshold = 4_362_076_160
        s.targetCurrent = 526_179_893_248
        s.targetLast = 2_005_598_208
        s.targetUnwritten = Unwritten(dirty: 3_221_225_472, writeback: 268_435_456)
        s.dyingCgroups = 1234
        s.dyingBytes = 9_000_000
        s.escalations = 2
        s.wakeups = ["threshold": 7, "poll": 100, "start": 1]
        return s
    }

    @Test("a full snapshot renders these samples")
    func samples() throws {
        let text = Metrics.render(Self.full())
        let samples = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init)
        #expect(samples == [
            "mon_memcg_available_bytes -300967919616",
            "mon_memcg_working_set_bytes 811000000000",
            "mon_memcg_global_threshold_bytes 4362076160",
            "mon_memcg_target_current_bytes 526179893248",
            "mon_memcg_target_last_bytes 2005598208",
            "mon_memcg_target_dirty_bytes 3221225472",
            "mon_memcg_target_writeback_bytes 268435456",
            "mon_memcg_reclaims_total 2",
            "mon_memcg_skips_total 1",
            "mon_memcg_interruptions_total 1",
            "mon_memcg_reclaimed_bytes_total 524174295040",
            "mon_memcg_last_reclaim_duration_seconds 45.001",
            "mon_memcg_last_reclaim_timestamp_seconds 1726282205",
            "mon_memcg_last_run_timestamp_seconds 1726282206",
            "mon_memcg_last_run_success 0",
            "mon_memcg_dying_cgroups 1234",
            "mon_memcg_dying_bytes 9000000",
            "mon_memcg_escalations_total 2",
            "mon_memcg_watch_wakeups_total{reason=\"poll\"} 100",
            "mon_memcg_watch_wakeups_total{reason=\"start\"} 1",
            "mon_memcg_watch_wakeups_total{reason=\"threshold\"} 7",
            "mon_memcg_build_info{version=\"\(MemcgVersion.current)\",hierarchy=\"v1\"} 1",
            "mon_memcg_reclaim_duration_seconds_bucket{le=\"0.01\"} 0",
            "mon_memcg_reclaim_duration_seconds_bucket{le=\"0.05\"} 0",
            "mon_memcg_reclaim_duration_seconds_bucket{le=\"0.1\"} 0",
            "mon_memcg_reclaim_duration_seconds_bucket{le=\"0.25\"} 0",
            "mon_memcg_reclaim_duration_seconds_bucket{le=\"0.5\"} 1",
            "mon_memcg_reclaim_duration_seconds_bucket{le=\"1\"} 1",
            "mon_memcg_reclaim_duration_seconds_bucket{le=\"2.5\"} 1",
            "mon_memcg_reclaim_duration_seconds_bucket{le=\"5\"} 1",
            "mon_memcg_reclaim_duration_seconds_bucket{le=\"10\"} 1",
            "mon_memcg_reclaim_duration_seconds_bucket{le=\"30\"} 1",
            "mon_memcg_reclaim_duration_seconds_bucket{le=\"45\"} 1",
            "mon_memcg_reclaim_duration_seconds_bucket{le=\"60\"} 2",
            "mon_memcg_reclaim_duration_seconds_bucket{le=\"+Inf\"} 2",
            "mon_memcg_reclaim_duration_seconds_sum 45.413",
            "mon_memcg_reclaim_duration_seconds_count 2",
            "mon_memcg_failures_total{cause=\"internal\"} 0",
            "mon_memcg_failures_total{cause=\"config\"} 0",
            "mon_memcg_failures_total{cause=\"kernel\"} 1",
            "mon_memcg_failures_total{cause=\"target_missing\"} 0",
            "mon_memcg_failures_total{cause=\"reclaim_failed\"} 0",
            "mon_memcg_failures_total{cause=\"reclaim_interrupted\"} 0",
            "mon_memcg_failures_total{cause=\"state\"} 0",
            "mon_memcg_failures_total{cause=\"not_root\"} 0",
        ])
        try PromText.validate(text)
    }

    @Test("unknown values are left out, not shown as zero")
    func minimal() throws {
        let s = MetricsSnapshot(counters: RunCounters(), success: false, timestampSeconds: 5)
        let text = Metrics.render(s)
        try PromText.validate(text)
        #expect(!text.contains("available_bytes"))
        #expect(!text.contains("dying"))
        #expect(!text.contains("last_reclaim_duration"))
        #expect(!text.contains("wakeups"))
        #expect(!text.contains("target_dirty") && !text.contains("target_writeback"))
        #expect(text.contains("mon_memcg_reclaims_total 0\n"))
        #expect(text.contains("mon_memcg_last_run_success 0\n"))
    }

    @Test("durations", arguments: [(Int64(0), "0.000"), (1, "0.001"), (412, "0.412"), (45_001, "45.001"), (1000, "1.000")])
    func durations(row: (Int64, String)) {
        #expect(Metrics.secondsText(row.0) == row.1)
    }

    @Test("label values are escaped")
    func labelEscape() throws {
        var s = MetricsSnapshot(counters: RunCounters(), success: true, timestampSeconds: 1)
        s.wakeups = ["a\"b\\c\nd": 1]
        let text = Metrics.render(s)
        #expect(text.contains(#"mon_memcg_watch_wakeups_total{reason="a\"b\\c\nd"} 1"#))
        try PromText.validate(text)
    }

    @Test("the validator rejects what Prometheus would", arguments: [
        ("sample without TYPE", "mon_memcg_x 1\n"),
        ("counter not ending in _total", "# HELP mon_memcg_x h\n# TYPE mon_memcg_x counter\nmon_memcg_x 1\n"),
        ("bad value", "# HELP mon_memcg_x h\n# TYPE mon_memcg_x gauge\nmon_memcg_x 1O\n"),
        ("bad name", "# HELP mon-memcg h\n# TYPE mon-memcg gauge\nmon-memcg 1\n"),
        ("duplicate family", "# HELP mon_memcg_x h\n# TYPE mon_memcg_x gauge\nmon_memcg_x 1\n# HELP mon_memcg_x h\n# TYPE mon_memcg_x gauge\nmon_memcg_x 2\n"),
        ("no final newline", "# HELP mon_memcg_x h\n# TYPE mon_memcg_x gauge\nmon_memcg_x 1"),
        ("unterminated label", "# HELP mon_memcg_x h\n# TYPE mon_memcg_x gauge\nmon_memcg_x{a=\"b} 1\n"),
    ])
    func validatorRejects(row: (String, String)) {
        #expect(throws: PromText.Invalid.self, "\(row.0)") { try PromText.validate(row.1) }
    }
}
