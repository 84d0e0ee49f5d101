/// Why `mon_memcg watch` ran a check. The raw value is the `reason` label
/// of `mon_memcg_watch_wakeups_total` and the word in trace lines.
public enum WakeReason: String, CaseIterable, Equatable, Sendable {
    /// The first check after the daemon started.
    case start
    /// The configuration was reloaded on SIGHUP.
    case reload
    /// v1: root usage crossed a registered threshold (cgroup.event_control).
    case threshold
    /// v2: the PSI trigger on the node's memory pressure fired.
    case pressure
    /// poll_interval passed.
    case poll
    /// The shorter poll used while memory is close to short.
    case near

    /// Sent by the kernel: rate-limited, since a kernel can send many.
    public var isKernelEvent: Bool { self == .threshold || self == .pressure }
}
