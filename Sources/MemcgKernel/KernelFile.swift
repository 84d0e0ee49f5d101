import MemcgCore

/// Every kernel file the tool reads or writes, spelled the kernel's way, in
/// one place (the levers' files are named by `Lever`, which the log uses too).
public enum KernelFile {
    // Below proc_root.
    public static let meminfo = "meminfo"
    public static let minFreeKbytes = "sys/vm/min_free_kbytes"
    /// The node's dirty pages and the kernel's limits on them (`NodeDirty`,
    /// shown by `status`): counters in pages, and the sysctls they follow.
    public static let vmstat = "vmstat"
    public static let dirtyRatio = "sys/vm/dirty_ratio"
    public static let dirtyBytes = "sys/vm/dirty_bytes"
    public static let dirtyBackgroundRatio = "sys/vm/dirty_background_ratio"
    public static let dirtyBackgroundBytes = "sys/vm/dirty_background_bytes"
    public static let cgroups = "cgroups"
    public static let mountinfo = "self/mountinfo"
    /// PSI: node-wide memory pressure, with triggers (`mon_memcg watch` on v2).
    public static let pressureMemory = "pressure/memory"
    /// A random UUID, new at every boot: says whether a CLOCK_BOOTTIME stamp
    /// in the state file is from this boot (the drop_caches rate limit).
    public static let bootID = "sys/kernel/random/boot_id"
    // In a cgroup v1 memory controller directory.
    public static let usageInBytes = "memory.usage_in_bytes"
    public static let stat = "memory.stat"
    public static let forceEmpty = "memory.force_empty"
    /// The target's hard limit, set by a held episode (`MemoryLimitLever`).
    public static let limitInBytes = Lever.memoryLimit.file
    // In a cgroup v2 directory (memory.stat is shared with v1, other fields).
    public static let controllers = "cgroup.controllers"
    public static let memoryCurrent = "memory.current"
    public static let reclaim = "memory.reclaim"
    /// The target's throttle limit, set by a held episode (`MemoryHighLever`).
    public static let memoryHigh = Lever.memoryHigh.file
    /// Swap a v2 cgroup may use, and uses (`ReclaimableMemory.swapRoom`);
    /// absent where the kernel does not account swap per cgroup.
    public static let swapMax = "memory.swap.max"
    public static let swapCurrent = "memory.swap.current"
    // Dying-cgroup escalation.
    /// Below proc_root: `echo 1` drops clean page cache node-wide.
    public static let dropCaches = "sys/vm/drop_caches"
    /// Below sys_root: Alibaba Cloud Linux's one-shot reaper of dying memcgs.
    public static let memcgReaper = "kernel/mm/memcg_reaper/reap"
    // In a cgroup v2 directory, for dying cgroups (the v2 seam).
    public static let cgroupStat = "cgroup.stat"
    public static let cgroupSubtreeControl = "cgroup.subtree_control"
    /// v1: registers an eventfd for a usage threshold (`mon_memcg watch`).
    public static let eventControl = "cgroup.event_control"
}
