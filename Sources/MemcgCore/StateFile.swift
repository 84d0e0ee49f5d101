/// What survives between runs. Each run is a new process, so this is the
/// tool's only memory.
public struct RunState: Equatable, Sendable {
    /// The target's `total_rss + total_cache` recorded after the last
    /// reclaim or at the last decline; nil when never recorded.
    public var last: Bytes?
    /// Wall-clock epoch seconds of the last `drop_caches` escalation; it may
    /// run at most once per `drop_caches_interval`, across runs.
    public var lastDropCaches: Int64?
    /// Totals for the metrics (reclaims, skips, ...); zeros when never written.
    public var counters = RunCounters()

    public init(last: Bytes? = nil, lastDropCaches: Int64? = nil) {
        self.last = last
        self.lastDropCaches = lastDropCaches
    }
}

/// The state file format: a version line, then `key value` lines.
///
///     mon_memcg-state 1
///     last 915800064
///     last_drop_caches 1726282125
///
/// Every key is optional and appears at most once.
///     reclaims 12
///     reclaimed_bytes 524174295040
///
/// Every key is optional and appears at most once; the counters
/// (`RunCounters.stateKeys`) are written only when non-zero.
/// Anything else (empty, truncated, another version, a huge or negative
/// number) is rejected whole, so a half-written file can never be read as
/// a plausible but wrong `last`.
public enum StateFile {
    public static let version = 1
    static let magic = "mon_memcg-state"

    public static func render(_ state: RunState) -> String {
        var text = "\(magic) \(version)\n"
        if let last = state.last { text += "last \(last)\n" }
        if let stamp = state.lastDropCaches { text += "last_drop_caches \(stamp)\n" }
        text += state.counters.stateLines()
        return text
    }

    public static func parse(_ text: String) throws(ParseError) -> RunState {
        guard text.hasSuffix("\n") else { throw ParseError("state does not end with a newline (truncated write?)") }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        lines.removeLast()
        guard let header = lines.first else { throw ParseError("state is empty") }
        guard header == "\(magic) \(version)" else {
            if header.hasPrefix(magic + " ") {
                throw ParseError(line: 1, "state format \(header.dropFirst(magic.count + 1)) is not the supported version \(version)")
            }
            throw ParseError(line: 1, "not a mon_memcg state file (first line \"\(header.prefix(40))\")")
        }
        var state = RunState()
        var seenCounters = Set<Substring>()
        for (index, line) in lines.enumerated().dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 2 else { throw ParseError(line: index + 1, "expected \"key value\"") }
            switch fields[0] {
            case "last":
                guard state.last == nil else { throw ParseError(line: index + 1, "last appears twice") }
                guard let n = Units.parseCounter(fields[1]) else {
                    throw ParseError(line: index + 1, "last \"\(fields[1].prefix(40))\" is not a byte count")
                }
                state.last = Bytes(n)
            case "last_drop_caches":
                guard state.lastDropCaches == nil else { throw ParseError(line: index + 1, "last_drop_caches appears twice") }
                guard let n = Units.parseCounter(fields[1]) else {
                    throw ParseError(line: index + 1, "last_drop_caches \"\(fields[1].prefix(40))\" is not epoch seconds")
                }
                state.lastDropCaches = n
            case let key where RunCounters.stateKeys.contains(key):
                try state.counters.set(stateKey: key, value: fields[1], line: index + 1, seen: &seenCounters)
            default:
                throw ParseError(line: index + 1, "unknown key \"\(fields[0].prefix(40))\"")
            }
        }
        return state
    }
}
