import Foundation

/// A fake host in a temp directory: `proc/` and `cgroup/` trees with the
/// files mon_memcg reads, a state directory and a log path. Every value is
/// set explicitly by the test that builds it.
public final class FixtureTree: FakeRoot {
    public let root: URL

    /// Memory short: MemTotal 1 GiB, root usage 3 GB (a working set of
    /// 3 GB less `rootInactiveFile`), so available is far below any threshold.
    public static func short(rootInactiveFile: Int64 = 0, targetRSS: Int64 = 100_000_000,
                             targetCache: Int64 = 200_000_000) throws -> FixtureTree {
        try FixtureTree(memTotalKB: 1_048_576, rootUsage: 3_000_000_000, rootInactiveFile: rootInactiveFile,
                        targetRSS: targetRSS, targetCache: targetCache)
    }

    public init(
        memTotalKB: Int64 = 24_000_000,
        rootUsage: Int64 = 2_000_000_000,
        rootInactiveFile: Int64 = 500_000_000,
        minFreeKbytes: Int64 = 65536,
        target: String? = "user.slice",
        targetRSS: Int64 = 100_000_000,
        targetCache: Int64 = 200_000_000
    ) throws {
        root = try Self.makeRoot(prefix: "mon_memcg-fixture")
        try write("proc/meminfo", Self.meminfo(totalKB: memTotalKB))
        try write("proc/sys/vm/min_free_kbytes", "\(minFreeKbytes)\n")
        try writeNodeDirty()
        // Every real kernel has one; the drop_caches rate limit reads it.
        try write("proc/sys/kernel/random/boot_id", FixtureTree.bootID + "\n")
        // The root and the target: no dying cgroups.
        try writeProcCgroups(memoryCgroups: target == nil ? 1 : 2)
        try write("cgroup/memory.usage_in_bytes", "\(rootUsage)\n")
        try write("cgroup/memory.stat", Self.memoryStat(rss: 0, cache: 0, totalRSS: rootUsage / 2, totalCache: rootUsage / 2, totalInactiveFile: rootInactiveFile))
        try write("cgroup/memory.force_empty", "")
        if let target {
            try setTarget(target, rss: targetRSS, cache: targetCache)
        }
        try FileManager.default.createDirectory(atPath: root.appendingPathComponent("state").path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// The target cgroup's memory.stat and an empty force_empty to read back.
    public func setTarget(_ target: String, rss: Int64, cache: Int64) throws {
        try write("cgroup/\(target)/memory.stat", Self.memoryStat(rss: rss, cache: cache, totalRSS: rss, totalCache: cache, totalInactiveFile: cache / 2))
        if !FileManager.default.fileExists(atPath: path("cgroup/\(target)/memory.force_empty")) {
            try write("cgroup/\(target)/memory.force_empty", "")
        }
    }

    public func setRoot(usage: Int64, inactiveFile: Int64) throws {
        try write("cgroup/memory.usage_in_bytes", "\(usage)\n")
        try write("cgroup/memory.stat", Self.memoryStat(rss: 0, cache: 0, totalRSS: usage / 2, totalCache: usage / 2, totalInactiveFile: inactiveFile))
    }

    /// `/proc/cgroups` with the memory row's `num_cgroups`; dying cgroups
    /// are this minus the directories under `cgroup/`.
    public func writeProcCgroups(memoryCgroups: Int64) throws {
        try write("proc/cgroups", """
            #subsys_name\thierarchy\tnum_cgroups\tenabled
            cpuset\t3\t1\t1
            cpu\t1\t1\t1
            memory\t4\t\(memoryCgroups)\t1
            pids\t8\t1\t1

            """)
    }

    /// The fixture's `proc/sys/kernel/random/boot_id`, the same in every
    /// tree: one fake boot.
    public static let bootID = "6f1c2b9e-3d4a-4f5b-8c7d-0e1f2a3b4c5d"

    /// Options that point the binary at this tree (kubelet's file too, so
    /// the host's kubelet never shows in a fixture's output; absent unless
    /// a test writes `kubelet/config.yaml`).
    public var arguments: [String] {
        ["--cgroup-root", cgroupRoot, "--proc-root", procRoot, "--state-file", stateFile, "--log-file", logFile,
         "--kubelet-config", path("kubelet/config.yaml")]
    }

    /// Without `swapFreeKB`, no swap lines (a kernel built without swap).
    public static func meminfo(totalKB: Int64, swapFreeKB: Int64? = nil) -> String {
        let swap = swapFreeKB.map { "SwapTotal:      \($0) kB\nSwapFree:       \($0) kB\n" } ?? ""
        return """
        MemTotal:       \(totalKB) kB
        MemFree:        \(totalKB / 2) kB
        MemAvailable:   \(totalKB / 2) kB
        Buffers:           12345 kB
        Cached:          1234567 kB
        \(swap)HugePages_Total:       0

        """
    }

    public static func memoryStat(rss: Int64, cache: Int64, totalRSS: Int64, totalCache: Int64, totalInactiveFile: Int64) -> String {
        """
        cache \(cache)
        rss \(rss)
        rss_huge 0
        shmem 0
        mapped_file 0
        inactive_file \(cache / 2)
        active_file \(cache - cache / 2)
        hierarchical_memory_limit 9223372036854771712
        total_cache \(totalCache)
        total_rss \(totalRSS)
        total_inactive_anon 0
        total_active_anon \(totalRSS)
        total_inactive_file \(totalInactiveFile)
        total_active_file \(max(0, totalCache - totalInactiveFile))
        total_dirty 0
        total_writeback 0

        """
    }
}
