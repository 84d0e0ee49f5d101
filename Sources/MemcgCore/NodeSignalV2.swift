/// kubelet's `memory.available` on a cgroup v2 node.
///
/// kubelet takes the node's memory from cAdvisor's root container, and
/// cAdvisor from runc's cgroup v2 reader (libcontainer `fs2`). The root
/// cgroup has no `memory.current`, so runc emulates its usage from the
/// root's `memory.stat` as `anon + file` ("to report the same value as
/// usage_in_bytes in v1"); cAdvisor's working set is that usage minus
/// `inactive_file` (the v2 name of `total_inactive_file`), saturating at 0;
/// kubelet's available is `MemTotal` (cAdvisor's machine capacity, from
/// `/proc/meminfo`) minus the working set:
///
///     workingSet = max(0, (anon + file) - inactive_file)      root memory.stat, bytes
///     available  = MemTotal - workingSet
///
/// The result is a `NodeObservation` whose `rootUsage` is `anon + file` and
/// whose `rootInactiveFile` is `inactive_file`, so the original script's decision and
/// its log lines apply unchanged.
public enum NodeSignalV2 {
    public static func observation(memTotal: Bytes, rootStat: MemoryStat, watermark: Bytes) throws(ParseError) -> NodeObservation {
        let usage = try rootStat.bytes(StatField.anon) + rootStat.bytes(StatField.file)
        let inactive = try rootStat.bytes(StatField.inactiveFile)
        return NodeObservation(memTotal: memTotal, rootUsage: usage, rootInactiveFile: inactive, watermark: watermark)
    }
}
