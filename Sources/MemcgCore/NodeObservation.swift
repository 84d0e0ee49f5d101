/// What the node looks like to kubelet at one moment, read from the kernel
/// by the kernel layer and judged here.
public struct NodeObservation: Equatable, Sendable {
    /// `/proc/meminfo` MemTotal: kubelet's capacity.
    public var memTotal: Bytes
    /// Root cgroup `memory.usage_in_bytes` (v1).
    public var rootUsage: Bytes
    /// Root cgroup `memory.stat` `total_inactive_file` (v1).
    public var rootInactiveFile: Bytes
    /// `/proc/sys/vm/min_free_kbytes`, in bytes.
    public var watermark: Bytes

    public init(memTotal: Bytes, rootUsage: Bytes, rootInactiveFile: Bytes, watermark: Bytes) {
        self.memTotal = memTotal
        self.rootUsage = rootUsage
        self.rootInactiveFile = rootInactiveFile
        self.watermark = watermark
    }

    /// kubelet's working set: `usage - inactive_file`, saturating at zero
    /// (kubelet's eviction manager does the same).
    public var workingSet: Bytes { (rootUsage - rootInactiveFile).clampedAtZero }

    /// kubelet's `memory.available` signal: `MemTotal - workingSet`. Signed:
    /// charged-but-unfreed memory (dying cgroups, mis-accounted RSS) can push
    /// usage above MemTotal, and the original script's logs show exactly that.
    public var available: Bytes { memTotal - workingSet }
}
