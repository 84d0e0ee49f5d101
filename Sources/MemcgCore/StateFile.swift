/// What survives between runs. Each run is a new process, so this is the
/// tool's only memory.
public struct RunState: Equatable, Sendable {
    /// The target's `total_rss + total_cache` recorded after the last
    /// reclaim or at the last decline; nil when never recorded.
    public var last: Bytes?
    /// The last `drop_caches` escalation, on the wall clock and (when the
    /// boot id could be read) the boot clock; it may run at most once per
    /// `drop_caches_interval`, across runs (`dropCachesLimit`).
    public var lastDropCaches: ClockStamp?
    /// Totals for the metrics (reclaims, skips, ...); zeros when never written.
    public var counters = RunCounters()
    /// A lever set on the target by a held episode and not yet put back
    /// (`Lever`): the next run restores it.
    public var lever: LeverRecord?

    public init(last: Bytes? = nil, lastDropCaches: ClockStamp? = nil) {
        self.last = last
        self.lastDropCaches = lastDropCaches
    }
}

/// The state file format: a version line, then `key value` lines.
///
///     mon_memcg-state 1
///     last 915800064
///     last_drop_caches 1726282125
///     last_drop_caches_boot_id 6f1c2b9e-3d4a-4f5b-8c7d-0e1f2a3b4c5d
///     last_drop_caches_boottime_ms 8123456
///     reclaims 12
///     reclaimed_bytes 524174295040
///     memory_high_target /sys/fs/cgroup/user.slice
///     memory_high_original max
///     memory_high_written 9663676416
///
/// Every key is optional and appears at most once; the counters
/// (`RunCounters.isStateKey`) are written only when non-zero.
/// `last_drop_caches_boot_id` (`/proc/sys/kernel/random/boot_id` when the
/// drop ran) and `last_drop_caches_boottime_ms` (CLOCK_BOOTTIME then) come
/// both or neither, and only with `last_drop_caches`: a boot-clock stamp
/// without its boot, or without the wall-clock stamp that is the only
/// evidence across a reboot, is a file something else wrote. Files without
/// the two keys (written before they existed) stay valid and are judged on
/// the wall clock. The keys were added without a new version: a version
/// that predates them rejects the file as an unknown key (the documented
/// loss: `last` 0, the stamp forgotten) rather than misreading it.
/// The three `memory_high_*` keys (`LeverRecord`) come all or none:
/// saved before memory.high is written, removed once it is restored; the
/// same for `memory_limit_*` (cgroup v1's memory.limit_in_bytes), and a
/// file holds one lever's or none. A
/// target path with a blank or a newline cannot be a value here: the
/// lever is not engaged on such a target (`LeverRecord.storable`).
/// A version that predates them rejects the file (unknown key): the
/// documented loss is then that run's restore, which the next start of
/// this version still does, the file having been replaced by neither.
/// Anything else (empty, truncated, another version, a huge or negative
/// number, an unknown key) is rejected whole, so a half-written file can
/// never be read as a plausible but wrong `last`.
public enum StateFile {
    public static let version = 1
    static let magic = "mon_memcg-state"

    public static func render(_ state: RunState) -> String {
        var text = "\(magic) \(version)\n"
        if let last = state.last { text += "last \(last)\n" }
        if let stamp = state.lastDropCaches {
            text += "last_drop_caches \(stamp.epochSeconds)\n"
            if let boot = stamp.boot {
                text += "last_drop_caches_boot_id \(boot.bootID)\nlast_drop_caches_boottime_ms \(boot.milliseconds)\n"
            }
        }
        text += state.counters.stateLines()
        if let lever = state.lever {
            let p = lever.lever.stateKeyPrefix
            text += "\(p)_target \(lever.target)\n\(p)_original \(lever.original)\n\(p)_written \(lever.written)\n"
        }
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
        var epochStamp: Int64?
        var bootID: (BootID, line: Int)?
        var bootMilliseconds: (Int64, line: Int)?
        var levers = Lever.allCases.map { LeverKeys(lever: $0) }
        for (index, line) in lines.enumerated().dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 2 else { throw ParseError(line: index + 1, "expected \"key value\"") }
            if let i = levers.firstIndex(where: { $0.names.contains(fields[0]) }) {
                try levers[i].set(fields[0], fields[1], line: index + 1)
                continue
            }
            switch fields[0] {
            case "last":
                guard state.last == nil else { throw ParseError(line: index + 1, "last appears twice") }
                guard let n = Units.parseCounter(fields[1]) else {
                    throw ParseError(line: index + 1, "last \"\(fields[1].prefix(40))\" is not a byte count")
                }
                state.last = Bytes(n)
            case "last_drop_caches":
                guard epochStamp == nil else { throw ParseError(line: index + 1, "last_drop_caches appears twice") }
                guard let n = Units.parseCounter(fields[1]) else {
                    throw ParseError(line: index + 1, "last_drop_caches \"\(fields[1].prefix(40))\" is not epoch seconds")
                }
                epochStamp = n
            case "last_drop_caches_boot_id":
                guard bootID == nil else { throw ParseError(line: index + 1, "last_drop_caches_boot_id appears twice") }
                do {
                    bootID = (try BootID(parsing: fields[1]), index + 1)
                } catch {
                    throw ParseError(line: index + 1, "last_drop_caches_boot_id: \(error.reason)")
                }
            case "last_drop_caches_boottime_ms":
                guard bootMilliseconds == nil else { throw ParseError(line: index + 1, "last_drop_caches_boottime_ms appears twice") }
                guard let n = Units.parseCounter(fields[1]) else {
                    throw ParseError(line: index + 1, "last_drop_caches_boottime_ms \"\(fields[1].prefix(40))\" is not milliseconds")
                }
                bootMilliseconds = (n, index + 1)
            case let key where RunCounters.isStateKey(key):
                try state.counters.set(stateKey: key, value: fields[1], line: index + 1, seen: &seenCounters)
            default:
                throw ParseError(line: index + 1, "unknown key \"\(fields[0].prefix(40))\"")
            }
        }
        switch (bootID, bootMilliseconds) {
        case (nil, nil):
            state.lastDropCaches = epochStamp.map { ClockStamp(epochSeconds: $0) }
        case (let id?, let ms?):
            guard let epochStamp else {
                throw ParseError(line: min(id.line, ms.line), "a boot-clock stamp without last_drop_caches")
            }
            state.lastDropCaches = ClockStamp(epochSeconds: epochStamp, boot: BootTime(bootID: id.0, milliseconds: ms.0))
        case (let id?, nil):
            throw ParseError(line: id.line, "last_drop_caches_boot_id without last_drop_caches_boottime_ms")
        case (nil, let ms?):
            throw ParseError(line: ms.line, "last_drop_caches_boottime_ms without last_drop_caches_boot_id")
        }
        var records: [LeverRecord] = []
        for keys in levers {
            if let record = try keys.record() { records.append(record) }
        }
        guard records.count <= 1 else {
            throw ParseError(line: levers.compactMap(\.firstLine).max(), "records of two levers (\(records.map(\.lever.settingName).joined(separator: ", "))); a target has one")
        }
        state.lever = records.first
        return state
    }
}

extension LeverRecord {
    /// A target path the state file can hold as one value.
    public static func storable(_ target: String) -> Bool {
        !target.isEmpty && !target.contains(" ") && !target.contains("\n") && !target.contains("\t")
    }
}

/// One lever's `<prefix>_*` keys as read, judged together at the end.
private struct LeverKeys {
    let lever: Lever
    let names: Set<Substring>
    var target: (String, line: Int)?
    var original: CgroupLimit?
    var written: Bytes?
    var firstLine: Int?

    init(lever: Lever) {
        self.lever = lever
        let p = lever.stateKeyPrefix
        names = ["\(p)_target", "\(p)_original", "\(p)_written"]
    }

    mutating func set(_ key: Substring, _ value: Substring, line: Int) throws(ParseError) {
        firstLine = firstLine ?? line
        switch key.dropFirst(lever.stateKeyPrefix.count + 1) {
        case "target":
            guard target == nil else { throw ParseError(line: line, "\(key) appears twice") }
            guard value.hasPrefix("/"), LeverRecord.storable(String(value)) else {
                throw ParseError(line: line, "\(key) \"\(value.prefix(40))\" is not an absolute cgroup path")
            }
            target = (String(value), line)
        case "original":
            guard original == nil else { throw ParseError(line: line, "\(key) appears twice") }
            do {
                original = try CgroupLimit(parsing: String(value))
            } catch {
                throw ParseError(line: line, "\(key) \"\(value.prefix(40))\" is not max or a byte count")
            }
        default:
            guard written == nil else { throw ParseError(line: line, "\(key) appears twice") }
            guard let n = Units.parseCounter(value) else {
                throw ParseError(line: line, "\(key) \"\(value.prefix(40))\" is not a byte count")
            }
            written = Bytes(n)
        }
    }

    func record() throws(ParseError) -> LeverRecord? {
        switch (target, original, written) {
        case (nil, nil, nil): return nil
        case (let t?, let o?, let w?): return LeverRecord(lever: lever, target: t.0, original: o, written: w)
        default:
            let p = lever.stateKeyPrefix
            throw ParseError(line: firstLine, "\(p)_target, \(p)_original and \(p)_written come all three or none")
        }
    }
}
