import MemcgCore
import MemcgKernel

extension CheckRun {
    /// One check, then the metrics file (also after a failure, marked as
    /// such): what the oneshot and every wake-up of `watch` run.
    /// A metrics file that cannot be written is reported through
    /// `metricsFailed` and changes neither the check nor its exit status.
    public func runAndPublish(wakeups: [WakeReason: Int64] = [:], metricsFailed: ((String) -> Void)? = nil) throws(Failure) {
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
    private func publishMetrics(success: Bool, wakeups: [WakeReason: Int64]) -> String? {
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
        var snapshot = record.snapshot(success: success, timestampSeconds: EpochClock.nowSeconds())
        snapshot.wakeups = Dictionary(uniqueKeysWithValues: wakeups.map { ($0.key.rawValue, $0.value) })
        do {
            try MetricsFile.write(Metrics.render(snapshot), to: path)
            return nil
        } catch {
            return LogLines.cannotWriteMetrics("\(error)")
        }
    }
}
