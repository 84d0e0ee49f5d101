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
        return out
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
