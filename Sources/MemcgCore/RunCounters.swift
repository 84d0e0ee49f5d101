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
    /// How long reclaims took: a count per bucket of `reclaimBucketsMs`
    /// (not cumulative; the last is everything longer), and their sum.
    public var reclaimDurationCounts: [Int64] = Array(repeating: 0, count: RunCounters.reclaimBucketsMs.count + 1)
    public var reclaimDurationSumMs: Int64 = 0
    /// Checks that failed, by cause (`FailureCause.rawValue`).
    public var failures: [String: Int64] = [:]

    /// Bucket bounds for the reclaim duration histogram, milliseconds: from a
    /// reclaim that frees a small target at once (force_empty of 512 MB took
    /// 0.17 s here) to one ended by the default reclaim_timeout (45 s).
    public static let reclaimBucketsMs: [Int64] = [10, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 45_000, 60_000]

    public init() {}

    /// Counts one write to memory.force_empty. Time is passed in: no clock here.
    public mutating func recordReclaim(freed: Bytes, milliseconds: Int64, interrupted: Bool, endedAtEpochSeconds: Int64) {
        reclaims = reclaims.addingSaturating(1)
        if interrupted { interruptions = interruptions.addingSaturating(1) }
        reclaimedBytes = reclaimedBytes + freed.clampedAtZero
        lastReclaimMilliseconds = max(0, milliseconds)
        lastReclaimEpochSeconds = endedAtEpochSeconds
        let ms = max(0, milliseconds)
        let bucket = Self.reclaimBucketsMs.firstIndex { ms <= $0 } ?? Self.reclaimBucketsMs.count
        reclaimDurationCounts[bucket] = reclaimDurationCounts[bucket].addingSaturating(1)
        reclaimDurationSumMs = reclaimDurationSumMs.addingSaturating(ms)
    }

    /// Counts one failed check by its cause.
    public mutating func recordFailure(_ cause: String) {
        failures[cause] = (failures[cause] ?? 0).addingSaturating(1)
    }

    public mutating func recordSkip() { skips = skips.addingSaturating(1) }

    public mutating func recordEscalations(_ steps: Int64) { escalations = escalations.addingSaturating(max(0, steps)) }

    // MARK: state file lines

    /// The state-file keys, each optional: a zero or unset value is not
    /// written, so a state file from before the counters reads as zeros.
    static let fixedStateKeys: Set<Substring> = ["reclaims", "skips", "interruptions", "escalations", "reclaimed_bytes", "last_reclaim_ms", "last_reclaim_at",
                                                 "reclaim_ms_sum"]
    /// `reclaims_le_<ms>` and `reclaims_le_inf`: one histogram bucket each.
    static let bucketPrefix = "reclaims_le_"
    /// `failures_<cause>`.
    static let failurePrefix = "failures_"

    static func isStateKey(_ key: Substring) -> Bool {
        fixedStateKeys.contains(key) || bucketIndex(key) != nil
            || (key.hasPrefix(failurePrefix) && key.count > failurePrefix.count
                && key.dropFirst(failurePrefix.count).allSatisfy { $0.isLowercase || $0 == "_" })
    }

    static func bucketKey(_ index: Int) -> String {
        bucketPrefix + (index < reclaimBucketsMs.count ? String(reclaimBucketsMs[index]) : "inf")
    }

    static func bucketIndex(_ key: Substring) -> Int? {
        (0...reclaimBucketsMs.count).first { bucketKey($0) == key }
    }

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
        for (i, n) in reclaimDurationCounts.enumerated() { put(Self.bucketKey(i), n) }
        put("reclaim_ms_sum", reclaimDurationSumMs)
        for cause in failures.keys.sorted() { put(Self.failurePrefix + cause, failures[cause]) }
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
        case "reclaim_ms_sum": reclaimDurationSumMs = n
        case let k where Self.bucketIndex(k) != nil: reclaimDurationCounts[Self.bucketIndex(k) ?? 0] = n
        case let k where k.hasPrefix(Self.failurePrefix): failures[String(k.dropFirst(Self.failurePrefix.count))] = n
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
