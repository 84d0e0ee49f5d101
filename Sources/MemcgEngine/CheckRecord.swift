import MemcgCore
import MemcgKernel

/// What one check saw and did, filled in by `CheckRun` as it goes. The
/// metrics file is rendered from it, and `watch` arms its next threshold
/// from it.
public struct CheckRecord: Sendable {
    /// Counters are kept only while metrics_file is set: without it the
    /// state file and the writes a run makes stay exactly the original script's (a skip
    /// writes nothing). Counters already in the state file are carried over
    /// unchanged, so turning metrics off and on again never resets them.
    public let counting: Bool
    /// The check held the run lock (not a dry run, and no other run had it).
    public internal(set) var locked = false
    public internal(set) var node: NodeObservation?
    /// What the check read of the node and the target, once.
    public internal(set) var snapshot: NodeSnapshot?
    /// A reclaim wrote to the kernel: the node has changed since `snapshot`.
    public internal(set) var wrote = false
    var globalThreshold: Bytes?
    /// Target usage read before any reclaim.
    public internal(set) var current: Bytes?
    public internal(set) var decision: Decision?
    /// The value stored as last: loaded, then as saved.
    var last: Bytes?
    var counters = RunCounters()
    /// memory.high set by a held episode and not restored yet, as loaded
    /// and then as this check left it: every save carries it.
    public internal(set) var lever: LeverRecord?
    /// The state as loaded: what a save before any other (the lever's
    /// record) is made onto, so it keeps last_drop_caches and the rest.
    var loadedState: RunState?
    /// Dying cgroups below the target, as last measured by this check (only
    /// around a reclaim).
    public internal(set) var dying: DyingCgroups?
    /// The state as this check last saved it (nil: not saved yet): what a
    /// failure's count is saved onto.
    var saved: RunState?
    /// `v1` or `v2` once the memory controller was found, for build_info.
    var hierarchy: String?
    /// The target's page cache not on disk yet, read as the check ends
    /// (only while metrics_file is set).
    var unwritten: Unwritten?
    /// The check got as far as observing (a failure before that leaves
    /// `last` out of the metrics unless the state file holds one).
    var stateLoaded = false

    init(counting: Bool) { self.counting = counting }

    /// The state file as loaded right after the lock: the counters and
    /// `last` carried on, also by a check that fails before deciding.
    mutating func loaded(_ state: RunState) {
        last = state.last
        counters = state.counters
        lever = state.lever
        loadedState = state
    }

    mutating func observed(_ snapshot: NodeSnapshot, current: Bytes, globalThreshold: Bytes) {
        self.snapshot = snapshot
        self.node = snapshot.node
        self.current = current
        self.globalThreshold = globalThreshold
        self.stateLoaded = true
    }

    /// The last reclaim's outcome (a held episode's last step included).
    var lastReclaim: ReclaimOutcome?
    /// A held episode (`watch` with hold on) that ran in this check.
    public internal(set) var held: HeldEpisode?
    /// The node as re-read after the last reclaim, with its monotonic time:
    /// a held episode reads it; `watch` measures the fall rate from it.
    public internal(set) var nodeAfter: (node: NodeObservation, at: Int64)?

    mutating func reclaimed(_ outcome: ReclaimOutcome) {
        lastReclaim = outcome
        wrote = true
        guard counting else { return }
        counters.recordReclaim(freed: outcome.freed, milliseconds: outcome.milliseconds, interrupted: outcome.interrupted,
                               endedAtEpochSeconds: EpochClock.nowSeconds())
    }

    /// The node as the check left it, when it still is what it read (no
    /// reclaim since): `watch` arms from it without reading it again.
    public var nodeUnchanged: NodeObservation? { wrote ? nil : snapshot?.node }

    /// How long the last reclaim took, for `watch`'s lead before the line.
    public var lastReclaimMilliseconds: Int64? { lastReclaim?.milliseconds }

    mutating func escalated(steps: Int) {
        guard counting, steps > 0 else { return }
        counters.recordEscalations(Int64(steps))
    }

    /// The target's growth since last that the decision saw, when memory was
    /// short and it skipped; 0 otherwise (a reclaim resets last).
    var growthSinceLast: Bytes {
        guard let decision, decision.action == .skipGrowthBelowThreshold else { return .zero }
        return decision.change
    }

    func snapshot(success: Bool, timestampSeconds: Int64) -> MetricsSnapshot {
        var s = MetricsSnapshot(counters: counters, success: success, timestampSeconds: timestampSeconds)
        s.hierarchy = hierarchy
        s.available = node?.available
        s.workingSet = node?.workingSet
        s.globalThreshold = globalThreshold
        s.targetCurrent = current
        s.targetLast = last ?? (stateLoaded ? .zero : nil)  // the original script starts from 0
        s.targetUnwritten = unwritten
        s.dyingCgroups = dying?.count
        s.dyingBytes = dying?.bytes
        s.escalations = counters.escalations
        return s
    }
}
