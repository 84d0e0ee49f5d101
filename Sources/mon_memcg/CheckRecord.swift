#if canImport(Glibc)
import Glibc
#endif
import MemcgCore
import MemcgKernel

/// What one check saw and did, filled in by `CheckRun` as it goes. The
/// metrics file is rendered from it, and `watch` arms its next threshold
/// from it. A class so the non-mutating `CheckRun.run()` can fill it.
final class CheckRecord {
    /// Counters are kept only while metrics_file is set: without it the
    /// state file and the writes a run makes stay exactly the seed's (a skip
    /// writes nothing). Counters already in the state file are carried over
    /// unchanged, so turning metrics off and on again never resets them.
    let counting: Bool
    /// The check held the run lock (not a dry run, and no other run had it).
    var locked = false
    var node: NodeObservation?
    var globalThreshold: Bytes?
    /// Target usage read before any reclaim.
    var current: Bytes?
    var decision: Decision?
    /// The value stored as last: loaded, then as saved.
    var last: Bytes?
    var counters = RunCounters()
    /// Dying cgroups below the target, as last measured by this check (only
    /// around a reclaim).
    var dying: DyingCgroups?
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

    func reclaimed(_ outcome: ReclaimOutcome, freed: Bytes) {
        guard counting else { return }
        let (ms, interrupted) = switch outcome {
        case .completed(let ms): (ms, false)
        case .interrupted(let ms): (ms, true)
        }
        counters.recordReclaim(freed: freed, milliseconds: ms, interrupted: interrupted, endedAtEpochSeconds: Int64(time(nil)))
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
        s.targetLast = last ?? (stateLoaded ? .zero : nil)  // the seed starts from 0
        s.dyingCgroups = dying?.count
        s.dyingBytes = dying?.bytes
        s.escalations = counters.escalations
        return s
    }
}

extension CheckRun {
    /// One check, then the metrics file (also after a failure, marked as
    /// such): what the oneshot and every wake-up of `watch` run.
    /// A metrics file that cannot be written is reported through
    /// `metricsFailed` and changes neither the check nor its exit status.
    func runAndPublish(wakeups: [String: Int64] = [:], metricsFailed: ((String) -> Void)? = nil) throws(Failure) {
        var failure: Failure?
        do {
            try run()
        } catch {
            failure = error
        }
        if let problem = publishMetrics(success: failure == nil, wakeups: wakeups) {
            if let metricsFailed { metricsFailed(problem) } else { log.error(problem) }
        }
        if let failure { throw failure }
    }

    /// Writes `metrics_file` when set; returns what went wrong, if anything.
    private func publishMetrics(success: Bool, wakeups: [String: Int64]) -> String? {
        // A dry run writes nothing; a run that did not get the lock leaves
        // the file to the run that has it.
        guard let path = config.metricsFile, !dryRun, record.locked else { return nil }
        if !record.stateLoaded {
            // Failed before reading the state: still report the totals, so a
            // failing check never looks like a counter reset.
            let state = StateStore(path: config.stateFile).load().state
            record.counters = state.counters
            record.last = state.last
        }
        var snapshot = record.snapshot(success: success, timestampSeconds: Int64(time(nil)))
        snapshot.wakeups = wakeups
        do {
            try MetricsFile.write(Metrics.render(snapshot), to: path)
            return nil
        } catch {
            return "cannot write metrics_file: \(error)"
        }
    }
}
