import MemcgCore
import MemcgKernel

/// What one check saw and did, filled in by `CheckRun` as it goes. The
/// metrics file is rendered from it, and `watch` arms its next threshold
/// from it. A class so the non-mutating `CheckRun.run()` can fill it.
public final class CheckRecord {
    /// Counters are kept only while metrics_file is set: without it the
    /// state file and the writes a run makes stay exactly the original script's (a skip
    /// writes nothing). Counters already in the state file are carried over
    /// unchanged, so turning metrics off and on again never resets them.
    public let counting: Bool
    /// The check held the run lock (not a dry run, and no other run had it).
    public internal(set) var locked = false
    public internal(set) var node: NodeObservation?
    var globalThreshold: Bytes?
    /// Target usage read before any reclaim.
    public internal(set) var current: Bytes?
    public internal(set) var decision: Decision?
    /// The value stored as last: loaded, then as saved.
    var last: Bytes?
    var counters = RunCounters()
    /// Dying cgroups below the target, as last measured by this check (only
    /// around a reclaim).
    public internal(set) var dying: DyingCgroups?
    /// The counters came from the state file (not just zeros).
    var stateLoaded = false

    init(counting: Bool) { self.counting = counting }

    func observed(node: NodeObservation, current: Bytes, globalThreshold: Bytes, state: RunState) {
        self.node = node
        self.current = current
        self.globalThreshold = globalThreshold
        self.last = state.last
        self.counters = state.counters
        self.stateLoaded = true
    }

    func reclaimed(_ outcome: WriteOutcome, freed: Bytes) {
        guard counting else { return }
        counters.recordReclaim(freed: freed, milliseconds: outcome.milliseconds, interrupted: outcome.wasInterrupted,
                               endedAtEpochSeconds: EpochClock.nowSeconds())
    }

    func escalated(steps: Int) {
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
        s.available = node?.available
        s.workingSet = node?.workingSet
        s.globalThreshold = globalThreshold
        s.targetCurrent = current
        s.targetLast = last ?? (stateLoaded ? .zero : nil)  // the original script starts from 0
        s.dyingCgroups = dying?.count
        s.dyingBytes = dying?.bytes
        s.escalations = counters.escalations
        return s
    }
}
