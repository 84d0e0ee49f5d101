import Foundation

/// A fake cgroup v2 host in a temp directory: `proc/` with meminfo,
/// min_free_kbytes and a `self/mountinfo` that mounts cgroup2 at this
/// tree's `cgroup/`, and `cgroup/` with the root's `cgroup.controllers` and
/// `memory.stat` and the target's `memory.current`, `memory.stat` and an
/// empty `memory.reclaim` to read back. Every value is set by the test.
public final class FixtureTreeV2: FakeRoot {
    public let root: URL

    public init(
        memTotalKB: Int64 = 1_048_576,
        // Free swap by default, so a target's whole memory.stat (anon +
        // file) is reclaimable and a request is bounded by its usage.
        swapFreeKB: Int64? = 2_097_152,
        rootAnon: Int64 = 1_000_000_000,
        rootFile: Int64 = 2_000_000_000,
        rootInactiveFile: Int64 = 100_000_000,
        minFreeKbytes: Int64 = 65536,
        controllers: String = "cpuset cpu io memory hugetlb pids rdma misc",
        target: String? = "user.slice",
        targetCurrent: Int64 = 3_000_000_000,
        reclaimFile: Bool = true
    ) throws {
        root = try Self.makeRoot(prefix: "mon_memcg-fixture-v2")
        try write("proc/meminfo", FixtureTree.meminfo(totalKB: memTotalKB, swapFreeKB: swapFreeKB))
        try write("proc/sys/vm/min_free_kbytes", "\(minFreeKbytes)\n")
        try writeNodeDirty()
        // Every real kernel has one; the drop_caches rate limit reads it.
        try write("proc/sys/kernel/random/boot_id", FixtureTree.bootID + "\n")
        try write("proc/self/mountinfo", Self.mountinfo(cgroup2At: cgroupRoot))
        try write("cgroup/cgroup.controllers", controllers + "\n")
        try setRoot(anon: rootAnon, file: rootFile, inactiveFile: rootInactiveFile)
        if let target {
            try setTarget(target, current: targetCurrent)
            // Every v2 cgroup has these; no dying descendants by default.
            try write("cgroup/\(target)/cgroup.stat", "nr_descendants 0\nnr_dying_descendants 0\n")
            try write("cgroup/\(target)/cgroup.subtree_control", "\n")
            if reclaimFile { try write("cgroup/\(target)/memory.reclaim", "") }
        }
        try FileManager.default.createDirectory(atPath: path("state"), withIntermediateDirectories: true)
    }

    /// A copy of a committed `*.fakeroot` tree (files captured from a real
    /// kernel), its mountinfo pointed at the copy, plus an empty
    /// `memory.reclaim` in `target`.
    public init(copying fakeroot: URL, target: String = "user.slice") throws {
        root = Self.fixtureParent.appendingPathComponent("mon_memcg-fixture-v2-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: fakeroot, to: root)
        let mountinfo = read("proc/self/mountinfo") ?? ""
        try write("proc/self/mountinfo", mountinfo.replacingOccurrences(of: " /sys/fs/cgroup ", with: " \(cgroupRoot) "))
        try write("cgroup/\(target)/memory.reclaim", "")
        try FileManager.default.createDirectory(atPath: path("state"), withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    public func setRoot(anon: Int64, file: Int64, inactiveFile: Int64) throws {
        try write("cgroup/memory.stat", Self.memoryStat(anon: anon, file: file, inactiveFile: inactiveFile))
    }

    public func setTarget(_ target: String, current: Int64) throws {
        try write("cgroup/\(target)/memory.current", "\(current)\n")
        let file = current * 9 / 10
        try write("cgroup/\(target)/memory.stat", Self.memoryStat(anon: current - file, file: file, inactiveFile: file / 2))
    }

    /// Options that point the binary at this tree, cgroup_root set.
    public var arguments: [String] {
        ["--cgroup-root", cgroupRoot] + argumentsDetecting
    }

    /// The same without cgroup_root: the binary must find cgroup2 in
    /// proc/self/mountinfo.
    public var argumentsDetecting: [String] {
        ["--proc-root", procRoot, "--state-file", stateFile, "--log-file", logFile, "--kubelet-config", path("kubelet/config.yaml")]
    }

    /// A v2 node's mountinfo, shaped like the 6.1 VM's.
    public static func mountinfo(cgroup2At mountPoint: String) -> String {
        """
        1 1 0:2 / / rw - rootfs rootfs rw,size=218124k,nr_inodes=54531,inode64
        21 1 0:19 / /proc rw,relatime - proc proc rw
        22 1 0:20 / /sys rw,relatime - sysfs sysfs rw
        25 22 0:22 / \(mountPoint) rw,relatime - cgroup2 cgroup2 rw
        26 1 1:0 / /mnt rw,relatime - ext2 /dev/ram0 rw

        """
    }

    /// A cgroup v2 memory.stat: bytes for sizes, counts for events.
    public static func memoryStat(anon: Int64, file: Int64, inactiveFile: Int64) -> String {
        """
        anon \(anon)
        file \(file)
        kernel 4677632
        kernel_stack 0
        sock 0
        shmem 0
        slab_reclaimable 0
        file_mapped 0
        file_dirty 0
        file_writeback 0
        inactive_anon \(anon)
        active_anon 0
        inactive_file \(inactiveFile)
        active_file \(max(0, file - inactiveFile))
        unevictable 0
        pgscan 0
        pgsteal 0
        workingset_refault_file 0

        """
    }
}
