/// The words that differ between cgroup v1 and v2 in log lines and
/// `status`, in one place: everywhere else the engine says the same thing
/// on both hierarchies, and the kernel layer hides the files behind them.
public struct HierarchyWords: Equatable, Sendable {
    public let hierarchy: CgroupHierarchy

    public init(_ hierarchy: CgroupHierarchy) { self.hierarchy = hierarchy }

    /// What "mem usage" of the target is read from.
    public var targetUsage: String {
        switch hierarchy {
        case .v1: "total_rss+total_cache"
        case .v2: "memory.current"
        }
    }

    /// The same, as `status` spells it in its notes.
    public var targetUsageNote: String {
        switch hierarchy {
        case .v1: "total_rss + total_cache"
        case .v2: "memory.current"
        }
    }

    /// What wakes `mon_memcg watch` early.
    public var wakeEvents: String {
        switch hierarchy {
        case .v1: "threshold events"
        case .v2: "memory pressure events"
        }
    }

    /// `threshold events from /sys/fs/cgroup/memory/cgroup.event_control`.
    public func eventSource(_ path: String) -> String { "\(wakeEvents) from \(path)" }

    /// Said when the controller cannot be found (the first check will say
    /// why): cgroup_root's default is the v1 memory mount.
    public static func eventSource(undetected cgroupRoot: String) -> String {
        HierarchyWords(.v1).eventSource("\(cgroupRoot)/cgroup.event_control")
    }

    /// Whether watch logs a wake source it cannot arm as an error. v1's
    /// threshold events exist on every v1 kernel, so failing to arm them is
    /// a fault; v2 kernels without PSI are supported, by polling.
    public var wakeUnavailableIsError: Bool { hierarchy == .v1 }

    /// `status` rows for the root's usage and inactive file: name and note.
    public func rootRows(cgroupRoot: String) -> (usage: (String, String), inactive: (String, String)) {
        switch hierarchy {
        case .v1: (("root usage_in_bytes", "\(cgroupRoot)/memory.usage_in_bytes"),
                   ("root total_inactive_file", "\(cgroupRoot)/memory.stat"))
        case .v2: (("root anon + file", "\(cgroupRoot)/memory.stat (the root has no memory.current)"),
                   ("root inactive_file", "\(cgroupRoot)/memory.stat"))
        }
    }

    /// Where the dying-cgroup count comes from and what it covers.
    public var dyingCountScope: String {
        switch hierarchy {
        case .v1: "whole memory hierarchy: /proc/cgroups num_cgroups - live directories"
        case .v2: "below the target: cgroup.stat nr_dying_subsys_memory or nr_dying_descendants"
        }
    }

    /// How the bytes held by dying cgroups are estimated.
    public var dyingBytesNote: String {
        switch hierarchy {
        case .v1: "under the target: total - own - live children's total"
        case .v2: "under the target: memory.current - live children's memory.current"
        }
    }
}
