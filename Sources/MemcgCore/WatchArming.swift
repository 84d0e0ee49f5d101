/// Where `mon_memcg watch` asks the kernel to wake it: root usage levels for
/// a cgroup v1 usage threshold (cgroup.event_control on the root's
/// memory.usage_in_bytes). Pure: the observation is passed in.
///
/// kubelet's available memory is `MemTotal - max(0, usage - inactive_file)`
/// and memory is short when that is below `global_thresh`. With
/// `total_inactive_file` held at its observed value, that happens exactly
/// when
///
///     usage >= MemTotal - global_thresh + total_inactive_file + 1
///
/// so that is the level to arm. It moves whenever inactive_file or the
/// watermark move (page cache turning active raises the working set without
/// changing usage), which no usage event can see: the daemon re-arms after
/// every check, and the safety poll bounds how stale the level can get.
public enum WatchArming {
    /// Armed thresholds never sit closer than this above the current usage
    /// while memory is short, so a target that keeps growing cannot turn
    /// every page charged into a wake-up (growth_threshold = 0).
    public static let minimumShortStep: Bytes = .mib(64)

    /// The lowest root usage at which memory is short, for this
    /// observation's MemTotal, inactive_file and watermark; nil when memory
    /// is short at any usage (global thresh above MemTotal).
    public static func shortUsageLevel(node: NodeObservation, policy: Policy) -> Bytes? {
        let headroom = node.memTotal - policy.globalThreshold(watermark: node.watermark)
        guard headroom >= .zero else { return nil }
        return headroom + node.rootInactiveFile + Bytes(1)
    }

    /// The usage thresholds to arm after a check.
    ///
    /// - Memory not short: the level where it becomes short (the crossing
    ///   the daemon exists to catch).
    /// - Memory short: the next reclaim needs the target to grow by what is
    ///   left of growth_threshold since `last`, and root usage grows at
    ///   least as much when it does, so arm that far above the current
    ///   usage (at least `minimumShortStep`). The way back to "not short" is
    ///   left to the poll: waking on it would, for usage hovering around
    ///   the level, log the original script's "need reclaim ... change is too small"
    ///   lines on every wobble.
    ///
    /// `growthSoFar` is the target's `current - last` at the check (0 after
    /// a reclaim, which records the usage after it as last).
    public static func thresholds(node: NodeObservation, policy: Policy, growthSoFar: Bytes) -> [Bytes] {
        if let level = shortUsageLevel(node: node, policy: policy), node.rootUsage < level {
            return [level]
        }
        let remaining = policy.growthThreshold - growthSoFar.clampedAtZero
        let step = max(remaining, minimumShortStep)
        let above = node.rootUsage + step
        return above.value < Int64.max ? [above] : []
    }

    /// Growth rate the safety poll assumes when memory is close to short.
    public static let assumedGrowthPerSecond: Bytes = .gib(1)
    /// The shortest safety poll.
    public static let minimumPollMilliseconds: Int64 = 200

    /// Milliseconds until the next safety poll: `poll_interval`, shortened
    /// while memory is close to short to the time the remaining headroom
    /// (available - global thresh) lasts at `assumedGrowthPerSecond`, at
    /// least `minimumPollMilliseconds`.
    ///
    /// The usage event cannot see the working set grow without usage
    /// growing (inactive page cache turning active, or shrinking under
    /// reclaim elsewhere), and it wakes early when usage grows by inactive
    /// page cache; near the threshold, that is when it matters. With 1 GiB/s:
    /// 5 GiB of headroom or more polls every 5 s, 1 GiB every second, 200 MiB
    /// or less every 200 ms (at most 5 checks a second, about 1.4 ms of CPU
    /// each). Memory already short keeps `poll_interval`: the armed growth
    /// step and the poll decide the next reclaim there.
    public static func pollDelayMilliseconds(node: NodeObservation, policy: Policy, pollIntervalMilliseconds: Int64) -> Int64 {
        pollDelayMilliseconds(node: node, policy: policy, pollIntervalMilliseconds: pollIntervalMilliseconds,
                              fallPerSecond: assumedGrowthPerSecond, leadMilliseconds: 0)
    }

    /// Milliseconds until the next safety poll, from the fall rate `watch`
    /// measured (`FallRate.perSecond`) instead of a fixed guess, and early
    /// by `leadMilliseconds`: the time a reclaim step takes, so that a step
    /// started at that wake-up ends before available reaches global thresh
    /// (the poll wakes at `headroom / rate - lead`). At least
    /// `minimumPollMilliseconds`, at most `pollIntervalMilliseconds`;
    /// memory already short keeps `poll_interval`, as above.
    public static func pollDelayMilliseconds(node: NodeObservation, policy: Policy, pollIntervalMilliseconds: Int64,
                                             fallPerSecond: Bytes, leadMilliseconds: Int64) -> Int64 {
        let headroom = node.available - policy.globalThreshold(watermark: node.watermark)
        guard headroom > .zero else { return pollIntervalMilliseconds }
        let lasts = headroom.value / max(1, fallPerSecond.value / 1000)
        return min(pollIntervalMilliseconds, max(minimumPollMilliseconds, lasts - max(0, leadMilliseconds)))
    }

    /// True when a usage read just after arming is already at or past an
    /// armed threshold: it was crossed between the observation and the
    /// registration, and the kernel will not report a crossing that happened
    /// before it was told to look.
    public static func crossedWhileArming(usage: Bytes, thresholds: [Bytes]) -> Bool {
        thresholds.contains { usage >= $0 }
    }
}
