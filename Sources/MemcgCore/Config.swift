/// Every setting of the tool. Defaults are the original script's.
public struct Config: Equatable, Sendable {
    public var availableThreshold: Bytes = .gib(4)
    public var growthThreshold: Bytes = .gib(1)
    /// Target cgroup, relative to `cgroupRoot`.
    public var target = "user.slice"
    /// The cgroup v1 memory controller mount or the cgroup v2 mount. Every
    /// cgroup path derives from it.
    public var cgroupRoot = "/sys/fs/cgroup/memory"
    /// False while `cgroupRoot` is the default: the kernel layer then finds
    /// the memory controller in `proc_root/self/mountinfo` (v1 or v2).
    /// Set, it is used as given and only probed for its version.
    public var cgroupRootIsSet = false
    /// Where procfs is mounted. Every /proc path derives from it.
    public var procRoot = "/proc"
    public var stateFile = "/var/lib/mon_memcg/state"
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

    public init() {}

    public static let defaultPath = "/etc/mon_memcg.conf"

    /// What `plan(for:amount:)` needs to size a reclaim.
    public var reclaimAmountSetting: ReclaimAmountSetting {
        ReclaimAmountSetting(mode: reclaimAmount, margin: reclaimMargin)
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
        let value = raw.trimmingBlanks()
        switch key {
        case .availableThreshold: availableThreshold = try Units.parseSize(value)
        case .growthThreshold: growthThreshold = try Units.parseSize(value)
        case .target: target = try Self.validTarget(value, cgroupRoot: cgroupRoot)
        case .cgroupRoot:
            cgroupRoot = try Self.absolutePath(value, key: key)
            cgroupRootIsSet = true
        case .procRoot: procRoot = try Self.absolutePath(value, key: key)
        case .stateFile: stateFile = try Self.absolutePath(value, key: key, isFile: true)
        case .logFile: logFile = value == "-" ? value : try Self.absolutePath(value, key: key, isFile: true)
        case .reclaimTimeout:
            let ms = try Units.parseDurationMilliseconds(value)
            guard ms >= 100, ms < 60_000 else {
                throw ParseError("reclaim_timeout \(value) must be between 100ms and 59s: the service's TimeoutStartSec=1min must never be what ends a run")
            }
            reclaimTimeoutMilliseconds = ms
        case .dyingReclaim:
            guard let mode = DyingReclaimMode(rawValue: value) else {
                throw ParseError("dying_reclaim \"\(value.prefix(40))\" is not one of \(DyingReclaimMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            dyingReclaim = mode
        case .dropCachesInterval:
            let ms = try Units.parseDurationMilliseconds(value)
            guard ms >= 10_000 else {
                throw ParseError("drop_caches_interval \(value) must be at least 10s: drop_caches empties the page cache of the whole node")
            }
            dropCachesIntervalSeconds = ms / 1000
        case .sysRoot: sysRoot = try Self.absolutePath(value, key: key)
        case .pollInterval:
            let ms = try Units.parseDurationMilliseconds(value)
            guard ms >= 100, ms <= 3_600_000 else {
                throw ParseError("poll_interval \(value) must be between 100ms and 60m")
            }
            pollIntervalMilliseconds = ms
        case .metricsFile:
            metricsFile = value.isEmpty || value == "off" ? nil : try Self.absolutePath(value, key: key, isFile: true)
        case .reclaimAmount:
            guard let mode = ReclaimAmountMode(rawValue: value) else {
                throw ParseError("reclaim_amount \"\(value.prefix(40))\" is not one of \(ReclaimAmountMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            reclaimAmount = mode
        case .reclaimMargin: reclaimMargin = try Units.parseSize(value)
        }
    }

    /// The value of one key as the config file would spell it; sizes in
    /// bytes, so what `mon_memcg config` prints is exact.
    public func text(for key: ConfigKey) -> String {
        switch key {
        case .availableThreshold: "\(availableThreshold)"
        case .growthThreshold: "\(growthThreshold)"
        case .target: target
        case .cgroupRoot: cgroupRoot
        case .procRoot: procRoot
        case .stateFile: stateFile
        case .logFile: logFile
        case .reclaimTimeout: reclaimTimeoutMilliseconds % 1000 == 0 ? "\(reclaimTimeoutMilliseconds / 1000)s" : "\(reclaimTimeoutMilliseconds)ms"
        case .dyingReclaim: dyingReclaim.rawValue
        case .dropCachesInterval: "\(dropCachesIntervalSeconds)s"
        case .sysRoot: sysRoot
        case .pollInterval: pollIntervalMilliseconds % 1000 == 0 ? "\(pollIntervalMilliseconds / 1000)s" : "\(pollIntervalMilliseconds)ms"
        case .metricsFile: metricsFile ?? "off"
        case .reclaimAmount: reclaimAmount.rawValue
        case .reclaimMargin: "\(reclaimMargin)"
        }
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

    static func absolutePath(_ value: String, key: ConfigKey, isFile: Bool = false) throws(ParseError) -> String {
        guard value.hasPrefix("/") else { throw ParseError("\(key.rawValue) \"\(value)\" must be an absolute path") }
        guard value.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7f }) else { throw ParseError("\(key.rawValue) contains control characters") }
        var path = value
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        if isFile, path == "/" { throw ParseError("\(key.rawValue) must name a file, not /") }
        return path
    }
}

/// The configuration keys: a contract other tools and checks rely on.
public enum ConfigKey: String, CaseIterable, Sendable {
    case availableThreshold = "available_threshold"
    case growthThreshold = "growth_threshold"
    case target
    case cgroupRoot = "cgroup_root"
    case procRoot = "proc_root"
    case stateFile = "state_file"
    case logFile = "log_file"
    case reclaimTimeout = "reclaim_timeout"
    case dyingReclaim = "dying_reclaim"
    case dropCachesInterval = "drop_caches_interval"
    case sysRoot = "sys_root"
    case pollInterval = "poll_interval"
    case metricsFile = "metrics_file"
    case reclaimAmount = "reclaim_amount"
    case reclaimMargin = "reclaim_margin"

    /// The default as it is written in the shipped config file.
    public var defaultText: String {
        switch self {
        case .availableThreshold: "4G"
        case .growthThreshold: "1G"
        case .target: "user.slice"
        case .cgroupRoot: "/sys/fs/cgroup/memory"
        case .procRoot: "/proc"
        case .stateFile: "/var/lib/mon_memcg/state"
        case .logFile: "/var/log/mon_memcg.log"
        case .reclaimTimeout: "45s"
        case .dyingReclaim: "auto"
        case .dropCachesInterval: "10m"
        case .sysRoot: "/sys"
        case .pollInterval: "5s"
        case .metricsFile: "off"
        case .reclaimAmount: "auto"
        case .reclaimMargin: "256M"
        }
    }
}
