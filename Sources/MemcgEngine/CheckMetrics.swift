import MemcgCore
import MemcgKernel

extension CheckRun {
    /// One check, then the metrics file (also after a failure, marked as
    /// such): what the oneshot and every wake-up of `watch` run.
    /// A metrics file that cannot be written is reported through
    /// `metricsFailed` and changes neither the check nor its exit status.
    /// Returns what the check saw and did, and how it failed if it did.
    public func runAndPublish(wakeups: [WakeReason: Int64] = [:],
                              metricsFailed: ((String) -> Void)? = nil) -> (record: CheckRecord, failure: Failure?) {
        var record = CheckRecord(counting: config.metricsFile != nil)
        var failure: Failure?
        do {
            try run(&record)
        } catch {
            failure = error
        }
        if let problem = publishMetrics(record, success: failure == nil, wakeups: wakeups) {
            if let metricsFailed { metricsFailed(problem) } else { log.error(problem) }
        }
        return (record, failure)
    }

    /// Writes `metrics_file` when set; returns what went wrong, if anything.
    private func publishMetrics(_ record: CheckRecord, success: Bool, wakeups: [WakeReason: Int64]) -> String? {
        // A dry run writes nothing; a run that did not get the lock leaves
        // the file to the run that has it. A check that failed early still
        // reports the totals it loaded, so it never looks like a counter reset.
        guard let path = config.metricsFile, !dryRun, record.locked else { return nil }
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
