/// `dying_reclaim`: how a run frees dying cgroups when a reclaim was not
/// enough. The names are a contract (config key values).
public enum DyingReclaimMode: String, CaseIterable, Equatable, Sendable {
    /// The reaper when the kernel has it, then drop_caches.
    case auto
    /// Only Alibaba Cloud Linux's memcg reaper.
    case reaper
    /// Only `echo 1 > /proc/sys/vm/drop_caches`.
    case dropCaches = "drop_caches"
    /// Never escalate; dying cgroups are still measured and logged.
    case off
}

/// One escalation step.
public enum EscalationStep: String, Equatable, Sendable {
    /// `/sys/kernel/mm/memcg_reaper/reap`: reclaims offline (dying) cgroups
    /// only. Interruptible by the run's deadline.
    case reaper
    /// `/proc/sys/vm/drop_caches` with 1: clean page cache, node-wide. The
    /// kernel does not check signals while dropping, so it is started only
    /// with a margin of time left, and at most once per interval.
    case dropCaches = "drop_caches"

    /// Time left before the run's deadline below which the step is not
    /// started at all.
    public var minimumBudgetMilliseconds: Int64 {
        switch self {
        case .reaper: 1_000
        case .dropCaches: 5_000
        }
    }
}

/// What the policy looks at, all measured or read by the caller; the clock
/// readings are passed in.
public struct EscalationSituation: Equatable, Sendable {
    /// kubelet's available memory now (after the reclaim, or after the last step).
    public var available: Bytes
    public var globalThreshold: Bytes
    /// nil when the dying cgroups could not be measured.
    public var dying: DyingCgroups?
    public var growthThreshold: Bytes
    public var reaperPresent: Bool
    /// The last drop_caches on both clocks, from the state file.
    public var lastDropCaches: ClockStamp?
    /// Both clocks now.
    public var now: ClockStamp
    public var dropCachesIntervalSeconds: Int64
    /// Monotonic time left before the run's deadline.
    public var remainingMilliseconds: Int64

    public init(available: Bytes, globalThreshold: Bytes, dying: DyingCgroups?, growthThreshold: Bytes,
                reaperPresent: Bool, lastDropCaches: ClockStamp?, now: ClockStamp, dropCachesIntervalSeconds: Int64,
                remainingMilliseconds: Int64) {
        self.available = available
        self.globalThreshold = globalThreshold
        self.dying = dying
        self.growthThreshold = growthThreshold
        self.reaperPresent = reaperPresent
        self.lastDropCaches = lastDropCaches
        self.now = now
        self.dropCachesIntervalSeconds = dropCachesIntervalSeconds
        self.remainingMilliseconds = remainingMilliseconds
    }
}

extension EscalationSituation {
    /// The situation for this node under this configuration's thresholds
    /// and drop_caches interval: what a check judges after a reclaim and
    /// `status` shows.
    public init(config: Config, node: NodeObservation, dying: DyingCgroups?, reaperPresent: Bool,
                lastDropCaches: ClockStamp?, now: ClockStamp, remainingMilliseconds: Int64) {
        self.init(available: node.available, globalThreshold: config.policy.globalThreshold(watermark: node.watermark), dying: dying,
                  growthThreshold: config.growthThreshold, reaperPresent: reaperPresent, lastDropCaches: lastDropCaches, now: now,
                  dropCachesIntervalSeconds: config.dropCachesIntervalSeconds, remainingMilliseconds: remainingMilliseconds)
    }
}

/// Why no (further) step runs.
public enum EscalationStop: Equatable, Sendable {
    /// `dying_reclaim = off`.
    case disabled
    /// Available memory is at or above the global threshold: nothing to free.
    case availableRecovered(available: Bytes, globalThreshold: Bytes)
    /// The dying cgroups could not be measured: never act blind.
    case dyingUnknown
    /// The dying cgroups hold less than `growth_threshold`: not worth it.
    case dyingBelowThreshold(bytes: Bytes, growthThreshold: Bytes)
    /// `dying_reclaim = reaper` on a kernel without the reaper.
    case reaperAbsent
    /// drop_caches ran less than `drop_caches_interval` ago, on the clock
    /// the limit says.
    case rateLimited(DropCachesLimit)
    /// Too little time is left before the run's deadline to start the step.
    case noTimeLeft(EscalationStep, remainingMilliseconds: Int64)
    /// Every step the mode allows has run in this run.
    case exhausted

    /// The "why", as logged.
    public var reason: String {
        switch self {
        case .disabled:
            return "dying_reclaim is off"
        case .availableRecovered(let a, let t):
            return "avalible_mem \(a) is not less than global thresh \(t)"
        case .dyingUnknown:
            return "dying cgroups could not be measured"
        case .dyingBelowThreshold(let b, let g):
            // Also stops on no bytes at all, where "less than" a zero
            // growth_threshold would not be true.
            return b < g ? "dying cgroups hold \(b) bytes, less than growth_threshold \(g)" : "dying cgroups hold \(b) bytes: nothing to free"
        case .reaperAbsent:
            return "dying_reclaim is reaper but this kernel has no memcg reaper"
        case .rateLimited(let limit):
            return limit.reason
        case .noTimeLeft(let step, let ms):
            return "only \(ms) ms left before the run's deadline, \(step.rawValue) needs \(step.minimumBudgetMilliseconds) ms"
        case .exhausted:
            return "every step dying_reclaim allows has run"
        }
    }

    /// Stops that are the ordinary outcome and need no log line when no step
    /// ran (the original script's logs stay as they were on a node without the problem).
    public var isQuiet: Bool {
        switch self {
        case .disabled, .availableRecovered, .dyingBelowThreshold: true
        default: false
        }
    }
}

public enum EscalationVerdict: Equatable, Sendable {
    case run(EscalationStep)
    case stop(EscalationStop)
}

/// The escalation policy, pure. Called after the reclaim and again after
/// each step with fresh measurements and the steps already `tried` in this
/// run. Order: off → nothing; memory no longer short → stop; dying unknown
/// or below `growth_threshold` (or holding nothing) → stop; then the mode's steps in order
/// (auto: reaper when present, then drop_caches), each at most once per
/// run, drop_caches at most once per `drop_caches_interval` (`dropCachesLimit`:
/// the boot clock within one boot, the wall clock across boots), none started
/// without its minimum time before the deadline.
public func nextEscalation(mode: DyingReclaimMode, situation s: EscalationSituation, tried: [EscalationStep]) -> EscalationVerdict {
    if mode == .off { return .stop(.disabled) }
    if s.available >= s.globalThreshold {
        return .stop(.availableRecovered(available: s.available, globalThreshold: s.globalThreshold))
    }
    guard let dying = s.dying else { return .stop(.dyingUnknown) }
    // Nothing held is nothing to free, even with growth_threshold = 0.
    if dying.bytes < s.growthThreshold || dying.bytes <= .zero {
        return .stop(.dyingBelowThreshold(bytes: dying.bytes, growthThreshold: s.growthThreshold))
    }
    let steps: [EscalationStep]
    switch mode {
    case .off: return .stop(.disabled)
    case .auto: steps = s.reaperPresent ? [.reaper, .dropCaches] : [.dropCaches]
    case .reaper:
        guard s.reaperPresent else { return .stop(.reaperAbsent) }
        steps = [.reaper]
    case .dropCaches: steps = [.dropCaches]
    }
    guard let step = steps.first(where: { !tried.contains($0) }) else { return .stop(.exhausted) }
    if step == .dropCaches,
       let limit = dropCachesLimit(last: s.lastDropCaches, now: s.now, intervalSeconds: s.dropCachesIntervalSeconds) {
        return .stop(.rateLimited(limit))
    }
    if s.remainingMilliseconds < step.minimumBudgetMilliseconds {
        return .stop(.noTimeLeft(step, remainingMilliseconds: s.remainingMilliseconds))
    }
    return .run(step)
}

/// What a dry run reports: the steps the policy would take if none of them
/// changed anything, and why it would stop after them.
public func planEscalation(mode: DyingReclaimMode, situation: EscalationSituation) -> (steps: [EscalationStep], stop: EscalationStop) {
    var steps: [EscalationStep] = []
    while true {
        switch nextEscalation(mode: mode, situation: situation, tried: steps) {
        case .run(let step): steps.append(step)
        case .stop(let why): return (steps, why)
        }
    }
}

/// The longest a run may take from its start: the service's
/// `TimeoutStartSec=1min` less 5 s for the last log lines and the state.
/// The reclaim has its own `reclaim_timeout`; escalation steps use what is
/// left of this.
public enum RunDeadline {
    public static let milliseconds: Int64 = 55_000
}
