/// Dying memory cgroups: removed (`rmdir`ed) cgroups whose pages are still
/// charged, so the kernel keeps them, and the parent's hierarchical counters
/// keep their bytes, until those pages are reclaimed. The original design's timeout case
/// is made of them: `force_empty` on a busy `user.slice` keeps reclaiming
/// from live sessions and the dying cgroups' page cache stays charged.
///
/// How they are seen, per hierarchy (the kernel layer reads, this file judges):
///
/// | | count | bytes under the target |
/// |---|---|---|
/// | v1 | `/proc/cgroups` `memory` `num_cgroups` − live directories under the memory mount (the root included): hierarchy-wide, v1 has no per-cgroup dying counter | target `total_rss + total_cache` − its own `rss + cache` − Σ live children's `total_rss + total_cache` |
/// | v2 | target `cgroup.stat` `nr_dying_subsys_memory` (6.x+), else `nr_dying_descendants`: below the target | 0 when the count is 0; else target `memory.current` − Σ live children's `memory.current` (v2 charges no processes to a cgroup whose children have the memory controller, so it has no "own" part) |
public struct DyingCgroups: Equatable, Sendable {
    /// What `count` covers: v1 can only count the whole hierarchy.
    public enum Scope: String, Equatable, Sendable {
        case hierarchy
        case target
    }

    /// How many dying memory cgroups.
    public var count: Int64
    public var scope: Scope
    /// The bytes they hold below the target, never negative.
    public var bytes: Bytes

    public init(count: Int64, scope: Scope, bytes: Bytes) {
        self.count = count
        self.scope = scope
        self.bytes = bytes
    }

    /// The log's form, one grep-able shape for before, after and each step.
    public var logText: String { "COUNT \(count) BYTES \(bytes)" }

    /// v1 count: `num_cgroups` counts every cgroup of the memory hierarchy,
    /// live or dying; the live ones are the directories. Read while cgroups
    /// come and go, the difference can be off by the ones that changed in
    /// between; it is never reported below zero.
    public static func countV1(numCgroups: Int64, liveDirectories: Int64) -> Int64 {
        max(0, numCgroups - max(0, liveDirectories))
    }

    /// Bytes below the target that no live cgroup accounts for: the
    /// target's hierarchical usage minus what is charged to the target itself
    /// and minus each live child's hierarchical usage. Read the target first
    /// and the children after: a child that grows in between makes the
    /// estimate smaller, never larger (an escalation is never started on
    /// bytes that are not there); a child that vanished in between is left
    /// out, and its pages, now dying, are rightly counted. Never negative.
    public static func bytes(targetTotal: Bytes, targetOwn: Bytes, liveChildren: [Bytes]) -> Bytes {
        var rest = targetTotal - targetOwn.clampedAtZero
        for child in liveChildren { rest = rest - child.clampedAtZero }
        return rest.clampedAtZero
    }
}

/// `/proc/cgroups`: one header line, then `subsys_name hierarchy num_cgroups
/// enabled` per controller, tab-separated.
public struct ProcCgroups: Equatable, Sendable {
    public struct Row: Equatable, Sendable {
        public var name: String
        /// 0 when the controller is on cgroup v2 (or not mounted).
        public var hierarchy: Int64
        public var numCgroups: Int64
        public var enabled: Bool
    }

    public var rows: [Row]

    /// Fails closed: every row must have four fields, numbers where numbers
    /// belong, and a controller may appear once.
    public init(parsing text: String) throws(ParseError) {
        var rows: [Row] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.hasPrefix("#") || line.trimmingBlanks().isEmpty { continue }
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            guard fields.count == 4,
                  let hierarchy = Units.parseCounter(fields[1]),
                  let num = Units.parseCounter(fields[2]),
                  let enabled = Units.parseCounter(fields[3]), enabled <= 1
            else {
                throw ParseError(line: index + 1, "expected \"subsys_name hierarchy num_cgroups enabled\", got \"\(line.prefix(80))\"")
            }
            let name = String(fields[0])
            guard !rows.contains(where: { $0.name == name }) else { throw ParseError(line: index + 1, "\(name) appears twice") }
            rows.append(Row(name: name, hierarchy: hierarchy, numCgroups: num, enabled: enabled == 1))
        }
        guard !rows.isEmpty else { throw ParseError("no controller rows (truncated read?)") }
        self.rows = rows
    }

    /// The memory controller's `num_cgroups`; an error when the kernel has
    /// no memory controller or it is disabled.
    public func memoryCgroups() throws(ParseError) -> Int64 {
        guard let row = rows.first(where: { $0.name == "memory" }) else { throw ParseError("no memory row") }
        guard row.enabled else { throw ParseError("the memory controller is disabled") }
        return row.numCgroups
    }
}

/// cgroup v2 `cgroup.stat`: `nr_descendants`, `nr_dying_descendants` and, on
/// 6.x kernels, `nr_subsys_<controller>` / `nr_dying_subsys_<controller>`.
/// The v2 seam: a v2 reader reads the target's file and counts with this.
public struct CgroupStat: Equatable, Sendable {
    public var values: [String: Int64]

    /// The same "name value" lines as memory.stat, with the same rules.
    public init(parsing text: String) throws(ParseError) {
        let values = try MemoryStat(parsing: text).values
        guard values["nr_dying_descendants"] != nil else { throw ParseError("no nr_dying_descendants field") }
        self.values = values
    }

    /// Dying cgroups that still hold memory-controller state when the kernel
    /// says so (`nr_dying_subsys_memory`); else every dying descendant, which
    /// is an upper bound.
    public var dyingMemoryCgroups: Int64 {
        values["nr_dying_subsys_memory"] ?? values["nr_dying_descendants"] ?? 0
    }
}
