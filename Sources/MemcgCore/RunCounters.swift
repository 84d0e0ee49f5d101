/// Totals that survive between runs (each timer run is a new process), kept
/// in the state file so the metrics' `_total` counters only ever grow, and
/// shared by the oneshot and `mon_memcg watch` so switching between them
/// loses nothing. Counted while metrics_file is set (see CheckRecord).
public struct RunCounters: Equatable, Sendable {
    /// Writes to memory.force_empty started (interrupted ones included).
    public var reclaims: Int64 = 0
    /// Memory was short but the target grew less than growth_threshold.
    public var skips: Int64 = 0
    /// Reclaims interrupted: by reclaim_timeout, or by SIGTERM/SIGINT in watch.
    public var interruptions: Int64 = 0
    /// Escalation steps run after a reclaim left memory short (memcg reaper,
    /// drop_caches).
    public var escalations: Int64 = 0
    /// Sum over reclaims of the target's usage before minus after (never negative).
    public var reclaimedBytes: Bytes = .zero
    /// How long the most recent reclaim's write took.
    public var lastReclaimMilliseconds: Int64?
    /// Wall clock (epoch seconds) when the most recent reclaim ended.
    public var lastReclaimEpochSeconds: Int64?

    public init() {}

    /// Counts one write to memory.force_empty. Time is passed in: no clock here.
    public mutating func recordReclaim(freed: Bytes, milliseconds: Int64, interrupted: Bool, endedAtEpochSeconds: Int64) {
        reclaims = reclaims.addingSaturating(1)
        if interrupted { interruptions = interruptions.addingSaturating(1) }
        reclaimedBytes = reclaimedBytes + freed.clampedAtZero
        lastReclaimMilliseconds = max(0, milliseconds)
        lastReclaimEpochSeconds = endedAtEpochSeconds
    }

    public mutating func recordSkip() { skips = skips.addingSaturating(1) }

    public mutating func recordEscalations(_ steps: Int64) { escalations = escalations.addingSaturating(max(0, steps)) }

    // MARK: state file lines

    /// The state-file keys, each optional: a zero or unset value is not
    /// written, so a state file from before the counters reads as zeros.
    static let stateKeys: Set<Substring> = ["reclaims", "skips", "interruptions", "escalations", "reclaimed_bytes", "last_reclaim_ms", "last_reclaim_at"]

    func stateLines() -> String {
        var text = ""
        func put(_ key: String, _ value: Int64?) {
            if let value, value != 0 { text += "\(key) \(value)\n" }
        }
        put("reclaims", reclaims)
        put("skips", skips)
        put("interruptions", interruptions)
        put("escalations", escalations)
        put("reclaimed_bytes", reclaimedBytes.value)
        put("last_reclaim_ms", lastReclaimMilliseconds)
        put("last_reclaim_at", lastReclaimEpochSeconds)
        return text
    }

    /// Sets one counter from its state-file line; `seen` rejects duplicates.
    mutating func set(stateKey key: Substring, value: Substring, line: Int, seen: inout Set<Substring>) throws(ParseError) {
        guard seen.insert(key).inserted else { throw ParseError(line: line, "\(key) appears twice") }
        guard let n = Units.parseCounter(value) else {
            throw ParseError(line: line, "\(key) \"\(value.prefix(40))\" is not a non-negative integer")
        }
        switch key {
        case "reclaims": reclaims = n
        case "skips": skips = n
        case "interruptions": interruptions = n
        case "escalations": escalations = n
        case "reclaimed_bytes": reclaimedBytes = Bytes(n)
        case "last_reclaim_ms": lastReclaimMilliseconds = n
        case "last_reclaim_at": lastReclaimEpochSeconds = n
        default: throw ParseError(line: line, "unknown key \"\(key.prefix(40))\"")
        }
    }
}

extension Int64 {
    func addingSaturating(_ other: Int64) -> Int64 {
        let (r, overflow) = addingReportingOverflow(other)
        return overflow ? .max : r
    }
}
