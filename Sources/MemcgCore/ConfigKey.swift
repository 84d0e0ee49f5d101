/// The configuration keys: a contract other tools and checks rely on.
/// The order is the order of the shipped file, `mon_memcg config`, the
/// option help and the docs; each key's name is in its descriptor.
public enum ConfigKey: CaseIterable, Sendable {
    case availableThreshold, growthThreshold, target, cgroupRoot, procRoot, stateFile, logFile
    case reclaimTimeout, dyingReclaim, dropCachesInterval, sysRoot, pollInterval, metricsFile
    case reclaimAmount, reclaimMargin, kubeletConfig, hold, holdHysteresis, memoryHigh, memoryLimit

    /// The one place a setting is described: where it lives in `Config`,
    /// its name, its syntax and bounds, and what it means. Adding a key is
    /// a case above, its `Config` property, and an arm here.
    public var setting: SettingDescriptor { Self.descriptors[index] }

    /// The key's place in `allCases`: the index of its descriptor.
    public var index: Int { Self.allCases.firstIndex(of: self) ?? 0 }

    /// Built once: a descriptor holds closures and text, and `setting` is
    /// read for every key by the argument fixups and the option
    /// declarations of each run (building them on each read cost a check
    /// 0.4 ms, measured with scripts/bench-check-cost.sh).
    /// An array, not a dictionary keyed by the key: each generic type the
    /// runtime instantiates costs a static binary a scan of its conformances.
    private static let descriptors = allCases.map(\.described)

    private var described: SettingDescriptor {
        switch self {
        case .availableThreshold:
            SettingDescriptor(self, "available_threshold", { $0.availableThresholdSetting }, { $0.availableThresholdSetting = $1 }, .threshold, meaning: [
                "Reclaim when kubelet's available memory (MemTotal - (root usage -",
                "root total_inactive_file)) falls below this plus vm.min_free_kbytes.",
                "A size (4G), a share of MemTotal (10%), or kubelet's own hard",
                "eviction threshold plus a size (kubelet + 3G, read from kubelet_config)."])
        case .growthThreshold:
            SettingDescriptor(self, "growth_threshold", { $0.growthThreshold }, { $0.growthThreshold = $1 }, .size, meaning: [
                "Skip a reclaim unless the target's total_rss+total_cache grew by at",
                "least this much since the value recorded after the last reclaim."])
        case .target:
            SettingDescriptor(self, "target", { $0.target }, { $0.target = $1 }, .cgroup, meaning: [
                "The cgroup to reclaim, relative to cgroup_root."],
                optionNote: "relative to cgroup_root")
        case .cgroupRoot:
            SettingDescriptor(self, "cgroup_root", { $0.cgroupRootSetting }, { $0.cgroupRootSetting = $1 }, .pathOrUnset, meaning: [
                "Mount point of the cgroup v1 memory controller, or of cgroup2. Unset by",
                "default: the memory controller, v1 or v2, is found in /proc/self/mountinfo.",
                "Set, it is used as given: a v1 mount on a cgroup v2 node fails every check."],
                unsetMeaning: { "the memory controller is found in \($0.procRoot)/self/mountinfo" })
        case .procRoot:
            SettingDescriptor(self, "proc_root", { $0.procRoot }, { $0.procRoot = $1 }, .path(), meaning: [
                "Mount point of procfs (meminfo, sys/vm/min_free_kbytes)."])
        case .stateFile:
            SettingDescriptor(self, "state_file", { $0.stateFile }, { $0.stateFile = $1 }, .path(isFile: true), meaning: [
                "Where the last recorded usage survives between runs (until a",
                "reboot: /run is memory); the run lock is this path plus \".lock\"."])
        case .logFile:
            SettingDescriptor(self, "log_file", { $0.logFile }, { $0.logFile = $1 }, .path(isFile: true, literal: "-"), meaning: [
                "Where each event is appended, one line each, in the original script's format;",
                "- is standard output (a container's log)."])
        case .reclaimTimeout:
            SettingDescriptor(self, "reclaim_timeout", { $0.reclaimTimeoutMilliseconds }, { $0.reclaimTimeoutMilliseconds = $1 }, .duration(
                allowed: { $0 >= 100 && $0 < 60_000 },
                rule: "between 100ms and 59s: the service's TimeoutStartSec=1min must never be what ends a run"), meaning: [
                "A reclaim still running after this long is interrupted, logged, and",
                "the run exits 6. Must stay below the service's TimeoutStartSec (1min)."])
        case .dyingReclaim:
            SettingDescriptor(self, "dying_reclaim", { $0.dyingReclaim }, { $0.dyingReclaim = $1 }, .mode, meaning: [
                "When a reclaim leaves available memory short and dying (removed but",
                "still charged) cgroups below the target hold at least growth_threshold:",
                "auto = the memcg reaper if the kernel has it, then drop_caches;",
                "reaper, drop_caches = only that step; off = never."])
        case .dropCachesInterval:
            SettingDescriptor(self, "drop_caches_interval", { $0.dropCachesIntervalMilliseconds }, { $0.dropCachesIntervalMilliseconds = $1 }, .duration(
                allowed: { $0 >= 10_000 },
                rule: "at least 10s: drop_caches empties the page cache of the whole node"), meaning: [
                "echo 1 > /proc/sys/vm/drop_caches drops clean page cache node-wide:",
                "at most once per this long (at least 10s), timed on the boot clock,",
                "which wall-clock steps do not move (the wall clock only across a reboot)."])
        case .sysRoot:
            SettingDescriptor(self, "sys_root", { $0.sysRoot }, { $0.sysRoot = $1 }, .path(), meaning: [
                "Mount point of sysfs (kernel/mm/memcg_reaper/reap)."])
        case .pollInterval:
            SettingDescriptor(self, "poll_interval", { $0.pollIntervalMilliseconds }, { $0.pollIntervalMilliseconds = $1 }, .duration(
                allowed: { $0 >= 100 && $0 <= 3_600_000 }, rule: "between 100ms and 60m"), meaning: [
                "mon_memcg watch only: besides reacting to the kernel's threshold event,",
                "check at least this often (100ms to 60m)."],
                scope: "watch only")
        case .metricsFile:
            SettingDescriptor(self, "metrics_file", { $0.metricsFile }, { $0.metricsFile = $1 }, .pathOrOff, meaning: [
                "After every check, write Prometheus text metrics to this file (e.g.",
                "/var/lib/node_exporter/textfile_collector/mon_memcg.prom), replaced",
                "atomically; off writes none. The service must be allowed to write",
                "its directory (ReadWritePaths=, see README)."])
        case .reclaimAmount:
            SettingDescriptor(self, "reclaim_amount", { $0.reclaimAmount }, { $0.reclaimAmount = $1 }, .mode, meaning: [
                "How much one reclaim takes from the target:",
                "all = everything (v1: force_empty runs to the end, the original script);",
                "deficit = what available memory lacks below global thresh, plus",
                "reclaim_margin, then stop (v1: force_empty is interrupted once the",
                "target's usage has fallen to its working set, usage -",
                "total_inactive_file, minus that; v2: memory.reclaim of it);",
                "auto = all on cgroup v1, and on v2 memory.reclaim of the shortfall",
                "plus growth_threshold."])
        case .reclaimMargin:
            SettingDescriptor(self, "reclaim_margin", { $0.reclaimMargin }, { $0.reclaimMargin = $1 }, .size, meaning: [
                "reclaim_amount = deficit only: asked for beyond the shortfall, so the",
                "reclaim lifts available memory clear of global thresh (see",
                "docs/benchmarks.md for how much a stopped force_empty overshoots)."],
                scope: "reclaim_amount deficit only")
        case .kubeletConfig:
            SettingDescriptor(self, "kubelet_config", { $0.kubeletConfig }, { $0.kubeletConfig = $1 }, .path(isFile: true), meaning: [
                "kubelet's configuration file (its --config): evictionHard and",
                "evictionSoft memory.available are read from it for",
                "available_threshold = kubelet + ..., and shown by status."])
        case .hold:
            SettingDescriptor(self, "hold", { $0.hold }, { $0.hold = $1 }, .mode, meaning: [
                "mon_memcg watch only: on = after a reclaim that left available memory",
                "below global thresh + hold_hysteresis, reclaim again in steps (each",
                "the shortfall plus what the measured growth adds during a step),",
                "re-reading the node after each, until it is back above that line,",
                "the kernel can take no more, or reclaim_timeout has passed since the",
                "first; an episode ended by reclaim_timeout goes on at the next",
                "wake-up while the node stays short, past the growth rule, and so",
                "does one that recovered by amount (memory.reclaim, or",
                "reclaim_amount = deficit) once the target refills and the node is",
                "short again; and reclaim ahead when the measured fall rate reaches",
                "global thresh within one step. off = one reclaim per wake-up, as a",
                "check does."],
                scope: "watch only")
        case .holdHysteresis:
            SettingDescriptor(self, "hold_hysteresis", { $0.holdHysteresis }, { $0.holdHysteresis = $1 }, .size, meaning: [
                "hold = on only: a held episode ends once available memory is this",
                "much above global thresh."],
                scope: "watch with hold on only")
        case .memoryHigh:
            SettingDescriptor(self, "memory_high", { $0.memoryHigh }, { $0.memoryHigh = $1 }, .mode, meaning: [
                "hold = on, cgroup v2 only: on = a held episode also sets the target's",
                "memory.high to its usage minus the shortfall, never below what it",
                "cannot give back without swap (anon, shmem, mapped files, kernel",
                "memory) + 128M, so the kernel reclaims it and slows its growth between",
                "wake-ups; put back to what it was once available is above global",
                "thresh + hold_hysteresis, on stop and reload, and at the next start",
                "after a crash (the original value is in state_file). off = never."],
                scope: "watch with hold on, cgroup v2 only")
        case .memoryLimit:
            SettingDescriptor(self, "memory_limit", { $0.memoryLimit }, { $0.memoryLimit = $1 }, .mode, meaning: [
                "hold = on, cgroup v1 only: on = a held episode also clamps the",
                "target's memory.limit_in_bytes at its usage + 16M, never below what it",
                "cannot give back without swap (rss, shmem, mapped files, kernel",
                "memory) + 256M, and follows it down as the reclaim lowers the usage,",
                "so the target's writers reclaim themselves instead of growing; let go",
                "when that part nears the limit (looked at every 50 ms), and put back",
                "like memory_high. A hard limit: a task that finds nothing to reclaim",
                "is OOM-killed, so it is off by default (docs/memory-limit.md has what",
                "it held and where it can still kill). off = never."],
                scope: "watch with hold on, cgroup v1 only")
        }
    }

    /// The default as it is written in the shipped config file.
    public var defaultText: String { setting.defaultText }
}

/// The key's name is its descriptor's, so a name is written once. Not a
/// `RawRepresentable` conformance: with one, equality and hashing of keys
/// (every dictionary keyed by them) would go through the name.
extension ConfigKey {
    public init?(name: String) {
        guard let key = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = key
    }

    public var name: String { setting.name }
}
