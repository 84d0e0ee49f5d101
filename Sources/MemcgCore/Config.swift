/// Every setting of the tool. Defaults are the original script's, written
/// here once; each setting's name, syntax and meaning are its descriptor's
/// (`ConfigKey.setting`).
public struct Config: Equatable, Sendable {
    /// `available_threshold` in bytes, as every decision uses it: the
    /// setting itself when it is a size, else what `ThresholdResolution`
    /// made of it on this node when the settings were loaded.
    public var availableThreshold: Bytes = .gib(4)
    /// `available_threshold` as written: a size, a share of MemTotal, or
    /// kubelet's hard eviction threshold plus a size.
    public var availableThresholdSetting: AvailableThreshold = .size(.gib(4)) {
        didSet { if case .size(let bytes) = availableThresholdSetting { availableThreshold = bytes } }
    }
    /// kubelet's configuration file, read for `available_threshold = kubelet + …`
    /// and shown by `status`.
    public var kubeletConfig = "/var/lib/kubelet/config.yaml"
    public var growthThreshold: Bytes = .gib(1)
    /// Target cgroup, relative to `cgroupRoot`.
    public var target = "user.slice"
    /// The cgroup v1 memory controller mount or the cgroup v2 mount. Every
    /// cgroup path derives from it. Unset by default (`cgroupRootIsSet`
    /// false): this value is then only the v1 mount that words and hints
    /// fall back on, never a default a check uses.
    public var cgroupRoot = "/sys/fs/cgroup/memory"
    /// False while cgroup_root is unset: the kernel layer then finds the
    /// memory controller in `proc_root/self/mountinfo` (v1 or v2). Set, it
    /// is used as given and only probed for its version.
    public var cgroupRootIsSet = false
    /// Where procfs is mounted. Every /proc path derives from it.
    public var procRoot = "/proc"
    /// On /run (tmpfs): a write never waits behind the node's dirty page
    /// cache, which the held episode's lever record and every check's `last`
    /// did on /var/lib (docs/efficacy.md, "The lever's state file on tmpfs").
    /// What it holds is about this boot's cgroups, so a reboot may drop it.
    public var stateFile = "/run/mon_memcg/state"
    public var logFile = "/var/log/mon_memcg.log"
    /// A reclaim that has not returned by then is interrupted. Below the
    /// service's `TimeoutStartSec=1min` so systemd's kill never ends a run.
    public var reclaimTimeoutMilliseconds: Int64 = 45_000
    /// How dying cgroups are freed when a reclaim was not enough.
    public var dyingReclaim: DyingReclaimMode = .auto
    /// drop_caches runs at most once per this many seconds.
    public var dropCachesIntervalSeconds: Int64 = 600
    /// Where sysfs is mounted (the memcg reaper's knob lives below it).
    public var sysRoot = "/sys"
    /// `mon_memcg watch`: a check runs at least this often, besides the
    /// threshold events.
    public var pollIntervalMilliseconds: Int64 = 5_000
    /// Prometheus text file written after every check; nil is off.
    public var metricsFile: String?
    /// How much one reclaim takes: everything, or what is missing.
    public var reclaimAmount: ReclaimAmountMode = .auto
    /// What a `deficit` reclaim asks for beyond the shortfall.
    public var reclaimMargin: Bytes = .mib(256)
    /// `watch` only: hold the line after a reclaim (`HoldEpisode`).
    public var hold: HoldMode = .on
    /// `watch` with hold on: how far above global thresh an episode ends.
    public var holdHysteresis: Bytes = .mib(256)
    /// `watch` with hold on, cgroup v2: also set the target's memory.high
    /// during a held episode (`MemoryHighLever`). Off until the v2 lab has
    /// measured it (docs/cgroup-v2.md).
    public var memoryHigh: LeverMode = .off
    /// `watch` with hold on, cgroup v1: also clamp the target's
    /// memory.limit_in_bytes during a held episode (`MemoryLimitLever`).
    /// Off by default: a hard limit can OOM-kill in the target.
    public var memoryLimit: LeverMode = .off

    /// The setting of `lever`.
    public func leverMode(_ lever: Lever) -> LeverMode {
        switch lever {
        case .memoryHigh: memoryHigh
        case .memoryLimit: memoryLimit
        }
    }

    public init() {}

    public static let defaultPath = "/etc/mon_memcg.conf"

    /// What `plan(for:amount:)` needs to size a reclaim.
    public var reclaimAmountSetting: ReclaimAmountSetting {
        ReclaimAmountSetting(mode: reclaimAmount, margin: reclaimMargin)
    }

    /// What a held episode needs: the mode, the hysteresis, and
    /// reclaim_timeout as the bound on the whole episode.
    public var holdSetting: HoldSetting {
        HoldSetting(mode: hold, hysteresis: holdHysteresis, budgetMilliseconds: reclaimTimeoutMilliseconds)
    }

    public var policy: Policy {
        Policy(availableThreshold: availableThreshold, growthThreshold: growthThreshold)
    }

    /// The lock that keeps runs one at a time lives next to the state.
    public var lockFile: String { stateFile + ".lock" }

    /// Sets one key from its text form, validating it. The config file and
    /// the command-line options both come through here, so they cannot
    /// disagree on what is valid.
    public mutating func set(_ key: ConfigKey, to raw: String) throws(ParseError) {
        try key.setting.set(&self, to: raw.trimmingBlanks())
    }

    /// The value of one key as the config file would spell it; sizes in
    /// bytes, so what `mon_memcg config` prints is exact. Empty for a key
    /// that is unset (cgroup_root found in mountinfo).
    public func text(for key: ConfigKey) -> String {
        key.setting.text(self) ?? ""
    }

    /// cgroup_root as a setting: nil while it is found in mountinfo.
    var cgroupRootSetting: String? {
        get { cgroupRootIsSet ? cgroupRoot : nil }
        set {
            if let newValue { cgroupRoot = newValue }
            cgroupRootIsSet = newValue != nil
        }
    }

    /// drop_caches_interval as the duration syntax reads it; whole seconds
    /// are kept, as the state file's clock stamps are.
    var dropCachesIntervalMilliseconds: Int64 {
        get { dropCachesIntervalSeconds * 1000 }
        set { dropCachesIntervalSeconds = newValue / 1000 }
    }

    /// A target is a relative path below the memory mount: no `..`, no `.`,
    /// no empty component, no leading `/`. Symlinks are checked against the
    /// real tree by the kernel layer.
    static func validTarget(_ value: String, cgroupRoot: String) throws(ParseError) -> String {
        guard !value.isEmpty else { throw ParseError("target is empty (the root cgroup cannot be emptied; e.g. target = user.slice)") }
        guard !value.hasPrefix("/") else {
            throw ParseError("target \"\(value)\" must be relative to cgroup_root (write \"\(relativeTarget(value, cgroupRoot: cgroupRoot))\")")
        }
        guard value.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7f }) else { throw ParseError("target contains control characters") }
        for component in value.split(separator: "/", omittingEmptySubsequences: false) {
            guard !component.isEmpty, component != ".", component != ".." else {
                throw ParseError("target \"\(value)\" must stay inside cgroup_root: no \"..\", \".\" or empty path components")
            }
        }
        return value
    }

    /// What an absolute target most likely meant: the part below
    /// cgroup_root, or below a usual memory controller mount (v1's, then
    /// v2's) when cgroup_root is found at run time.
    static func relativeTarget(_ value: String, cgroupRoot: String) -> String {
        for mount in [cgroupRoot, "/sys/fs/cgroup/memory", "/sys/fs/cgroup"] {
            let prefix = mount.hasSuffix("/") ? mount : mount + "/"
            if value.hasPrefix(prefix), value.count > prefix.count { return String(value.dropFirst(prefix.count)) }
        }
        return String(value.drop(while: { $0 == "/" }))
    }

    static func absolutePath(_ value: String, name: String, isFile: Bool = false) throws(ParseError) -> String {
        guard value.hasPrefix("/") else { throw ParseError("\(name) \"\(value)\" must be an absolute path") }
        guard value.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7f }) else { throw ParseError("\(name) contains control characters") }
        var path = value
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        if isFile, path == "/" { throw ParseError("\(name) must name a file, not /") }
        return path
    }
}
