/// Everything the metrics file shows after one check. Optional values are
/// left out of the file when unknown (a check that failed before reading
/// them), so a scrape never sees a made-up zero.
public struct MetricsSnapshot: Equatable, Sendable {
    /// kubelet's memory.available at the check; signed.
    public var available: Bytes?
    /// Root usage - total_inactive_file, at least 0.
    public var workingSet: Bytes?
    /// available_threshold + min_free_kbytes.
    public var globalThreshold: Bytes?
    /// Target total_rss + total_cache when the check read it (before any reclaim).
    public var targetCurrent: Bytes?
    /// The value stored as last after the check.
    public var targetLast: Bytes?
    /// The target's page cache not on disk yet at the end of the check
    /// (`Unwritten`): what a reclaim of it waits on.
    public var targetUnwritten: Unwritten?
    public var counters: RunCounters
    /// The check ended without a failure (an interrupted reclaim is a failure).
    public var success: Bool
    /// Wall clock of the check, epoch seconds.
    public var timestampSeconds: Int64

    // Dying cgroups are measured around reclaims only: left out while nil.
    /// Dying memory cgroups found (removed but still charged).
    public var dyingCgroups: Int64?
    /// Bytes those dying cgroups are estimated to hold.
    public var dyingBytes: Bytes?
    /// Escalations run when a reclaim was not enough.
    public var escalations: Int64?

    /// `mon_memcg watch` only: wake-ups since the daemon started, by reason
    /// (`threshold`, `poll`, `reload`). Empty for the oneshot.
    public var wakeups: [String: Int64] = [:]
    /// `v1` or `v2`, when the check found the memory controller.
    public var hierarchy: String?

    public init(counters: RunCounters, success: Bool, timestampSeconds: Int64) {
        self.counters = counters
        self.success = success
        self.timestampSeconds = timestampSeconds
    }
}

/// Prometheus text exposition format (version 0.0.4), for node_exporter's
/// textfile collector. Rendered by hand rather than with swift-prometheus:
/// the counters are totals loaded from the state file by a process that
/// lives for one check, not increments made in a long-lived registry, and a
/// dozen `# HELP`/`# TYPE`/sample triples do not justify three more
/// packages in the static binary and the RPM's vendored sources.
public enum Metrics {
    public static let prefix = "mon_memcg_"

    public static func render(_ s: MetricsSnapshot) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            guard !samples.isEmpty else { return }
            out += "# HELP \(prefix)\(name) \(help)\n# TYPE \(prefix)\(name) \(type)\n"
            for sample in samples { out += "\(prefix)\(name)\(sample.labels) \(sample.value)\n" }
        }
        func gauge(_ name: String, _ help: String, _ value: Bytes?) {
            family(name, "gauge", help, value.map { [("", "\($0.value)")] } ?? [])
        }
        func gauge(_ name: String, _ help: String, _ value: Int64?) {
            family(name, "gauge", help, value.map { [("", "\($0)")] } ?? [])
        }
        func counter(_ name: String, _ help: String, _ value: Int64?) {
            family(name, "counter", help, value.map { [("", "\($0)")] } ?? [])
        }

        gauge("available_bytes", "kubelet's memory.available: MemTotal - (root usage_in_bytes - root total_inactive_file), at the last check.", s.available)
        gauge("working_set_bytes", "Root usage_in_bytes - total_inactive_file (at least 0), at the last check.", s.workingSet)
        gauge("global_threshold_bytes", "available_threshold + vm.min_free_kbytes: a check reclaims below this.", s.globalThreshold)
        gauge("target_current_bytes", "Target cgroup total_rss + total_cache read by the last check, before any reclaim.", s.targetCurrent)
        gauge("target_last_bytes", "Target usage stored as last after the last check.", s.targetLast)
        gauge("target_dirty_bytes", "Target page cache dirty at the end of the last check (total_dirty on v1, file_dirty on v2): no reclaim frees it before it is written.",
              s.targetUnwritten?.dirty)
        gauge("target_writeback_bytes", "Target page cache under writeback at the end of the last check (total_writeback on v1, file_writeback on v2).",
              s.targetUnwritten?.writeback)
        counter("reclaims_total", "Writes to memory.force_empty started, interrupted ones included.", s.counters.reclaims)
        counter("skips_total", "Checks that found memory short but the target grew by less than growth_threshold since last.", s.counters.skips)
        counter("interruptions_total", "Reclaims interrupted by reclaim_timeout or by a stop signal.", s.counters.interruptions)
        counter("reclaimed_bytes_total", "Sum over reclaims of the target's usage before minus after.", s.counters.reclaimedBytes.value)
        family("last_reclaim_duration_seconds", "gauge", "How long the most recent reclaim's write took.",
               s.counters.lastReclaimMilliseconds.map { [("", secondsText($0))] } ?? [])
        gauge("last_reclaim_timestamp_seconds", "When the most recent reclaim ended, seconds since the epoch.", s.counters.lastReclaimEpochSeconds)
        gauge("last_run_timestamp_seconds", "When the last check ran, seconds since the epoch.", s.timestampSeconds)
        gauge("last_run_success", "1 if the last check ended without a failure, else 0 (see the log).", Int64(s.success ? 1 : 0))
        gauge("dying_cgroups", "Dying memory cgroups (removed, still charged) found by the last check.", s.dyingCgroups)
        gauge("dying_bytes", "Bytes estimated to be held by dying memory cgroups at the last check.", s.dyingBytes)
        counter("escalations_total", "Escalation steps (memcg reaper, drop_caches) run after a reclaim that left memory short.", s.escalations)
        family("watch_wakeups_total", "counter", "mon_memcg watch wake-ups since it started, by reason.",
               s.wakeups.keys.sorted().map { (labels: "{reason=\"\(escapeLabel($0))\"}", value: "\(s.wakeups[$0]!)") })
        family("build_info", "gauge", "Always 1: the version of mon_memcg that wrote this file, and the cgroup hierarchy it found.",
               [(labels: "{version=\"\(escapeLabel(MemcgVersion.current))\",hierarchy=\"\(escapeLabel(s.hierarchy ?? "unknown"))\"}", value: "1")])
        out += histogram(s.counters)
        family("failures_total", "counter", "Checks that failed, by cause (the exit status's meaning: mon_memcg --help).",
               FailureCause.allCases.map { (labels: "{cause=\"\($0.rawValue)\"}", value: "\(s.counters.failures[$0.rawValue] ?? 0)") })
        return out
    }

    /// How long reclaims took, as a Prometheus histogram (cumulative
    /// buckets, _sum, _count), from the counts the state file keeps.
    static func histogram(_ c: RunCounters) -> String {
        let name = "\(prefix)reclaim_duration_seconds"
        var out = "# HELP \(name) How long each reclaim took, interrupted ones included (counted while metrics_file is set).\n# TYPE \(name) histogram\n"
        var cumulative: Int64 = 0
        for (i, n) in c.reclaimDurationCounts.enumerated() {
            cumulative = cumulative.addingSaturating(n)
            let le = i < RunCounters.reclaimBucketsMs.count ? secondsBound(RunCounters.reclaimBucketsMs[i]) : "+Inf"
            out += "\(name)_bucket{le=\"\(le)\"} \(cumulative)\n"
        }
        out += "\(name)_sum \(secondsText(c.reclaimDurationSumMs))\n\(name)_count \(cumulative)\n"
        return out
    }

    /// A bucket bound as Prometheus writes one: `0.01`, `2.5`, `45`.
    static func secondsBound(_ ms: Int64) -> String {
        if ms % 1000 == 0 { return "\(ms / 1000)" }
        var text = secondsText(ms)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    /// Milliseconds as decimal seconds, without String(format:).
    static func secondsText(_ ms: Int64) -> String {
        let sign = ms < 0 ? "-" : ""
        let m = ms.magnitude
        let frac = String(m % 1000)
        return "\(sign)\(m / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
    }

    /// Label values escape backslash, double quote and newline.
    static func escapeLabel(_ value: String) -> String {
        var out = ""
        for c in value {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }
}
