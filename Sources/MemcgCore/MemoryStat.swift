/// A cgroup's `memory.stat`: "name value" lines. cgroup v1 reports bytes for
/// the fields used here (`total_rss`, `total_cache`, `total_inactive_file`,
/// `rss`, `cache`); page counters such as `pgfault` are counts.
public struct MemoryStat: Equatable, Sendable {
    public private(set) var values: [String: Int64]

    public init(values: [String: Int64]) { self.values = values }

    /// Every line must be `name non-negative-integer`; a duplicate name is an
    /// error. Unknown names are kept: the kernel adds fields over time.
    public init(parsing text: String) throws(ParseError) {
        var values: [String: Int64] = [:]
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.trimmingBlanks().isEmpty { continue }
            let fields = line.split(separator: " ")
            guard fields.count == 2, let n = Units.parseCounter(fields[1]) else {
                throw ParseError(line: index + 1, "expected \"name value\", got \"\(line.prefix(80))\"")
            }
            let name = String(fields[0])
            guard values[name] == nil else { throw ParseError(line: index + 1, "\(name) appears twice") }
            values[name] = n
        }
        guard !values.isEmpty else { throw ParseError("no \"name value\" lines (empty or truncated read?)") }
        self.values = values
    }

    /// A field in bytes; a missing field is an error that names it.
    public func bytes(_ field: StatField) throws(ParseError) -> Bytes {
        guard let v = values[field.rawValue] else { throw ParseError("no \(field.rawValue) field") }
        return Bytes(v)
    }

    /// `total_rss + total_cache`: what the original script calls the target's "mem usage".
    public func hierarchicalUsage() throws(ParseError) -> Bytes {
        try bytes(StatField.totalRSS) + bytes(StatField.totalCache)
    }
}

/// The `memory.stat` fields the tool reads (bytes), spelled the kernel's
/// way: one closed set, so asking for a field it does not know is a
/// compile error rather than a "no such field" at run time.
public enum StatField: String, Sendable {
    // cgroup v1.
    case totalRSS = "total_rss", totalCache = "total_cache", totalInactiveFile = "total_inactive_file"
    case rss, cache
    // cgroup v1, for memory.limit_in_bytes's floor (MemoryLimitLever).
    case totalShmem = "total_shmem", totalMappedFile = "total_mapped_file"
    // cgroup v2 (NodeSignalV2).
    case anon, file, inactiveFile = "inactive_file"
    // cgroup v2, for memory.high's floor (MemoryHighLever).
    case shmem, fileMapped = "file_mapped"
    // cgroup v2, for what memory.reclaim can take (ReclaimableMemory).
    case slabReclaimable = "slab_reclaimable"
    // Not on disk yet, v1 and v2 (Unwritten).
    case totalDirty = "total_dirty", totalWriteback = "total_writeback"
    case fileDirty = "file_dirty", fileWriteback = "file_writeback"
}
