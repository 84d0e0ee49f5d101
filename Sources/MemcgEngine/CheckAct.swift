import MemcgCore
import MemcgKernel

extension CheckRun {
    /// A decision to reclaim, carried out: the dying cgroups measured, the
    /// reclaim (or what a dry run would do), its outcome recorded and saved
    /// as `last`, then the escalation when it was not enough, and exit 6
    /// when the deadline or a stop signal ended the write.
    func act(_ reclaim: CheckReclaim, snapshot: NodeSnapshot, store: StateStore, state: RunState, runStarted: Int64,
             _ record: inout CheckRecord) throws(Failure) {
        try reclaim.checkCanReclaim()
        let dying = DyingEscalation(config: config, dryRun: dryRun, log: log, controller: reclaim.controller,
                                    targetPath: reclaim.targetPath, runStarted: runStarted,
                                    boot: Result { () throws(KernelError) in try BootClock.bootID(procRoot: config.procRoot) })
        if dryRun {
            record.dying = dying.measure("before reclaim")
            log.info(try reclaim.dryRunLine())
            dying.planDryRun(node: snapshot.node, dying: record.dying, lastDropCaches: state.lastDropCaches)
            return
        }
        // Only what the reclaim changes is read before it; the walk of the
        // node's cgroups (v1's count) runs after the write, once for the
        // before and after lines (docs/dying-cgroups.md).
        let before = dying.read()
        let outcome: ReclaimOutcome
        do {
            outcome = try reclaim.run()
        } catch {
            record.dying = dying.completeAndLog([("before reclaim", before)])[0]
            throw error
        }
        record.reclaimed(outcome)
        var saved = state
        saved.last = outcome.usageAfter
        try save(store, saved, &record)

        try escalate(dying, before: before, reclaim: reclaim, saved: saved, &record)
        if outcome.interrupted {
            // A held episode bounded by reclaim_timeout in its first step
            // (force_empty against busy writers): `watch` goes on at the
            // next wake-up while the node stays short (`HoldEpisode.continues`).
            if holds, outcome.stop == .deadline { record.held = HeldEpisode(steps: 1, stop: .timeLimit, ahead: false, byAmount: outcome.asked != nil) }
            throw Failure(status: .reclaimInterrupted,
                          message: "reclaim of \(reclaim.file) interrupted after \(seconds(outcome.milliseconds)) s (\(reclaim.cause(outcome.stop, detailed: false))); the usage after it was recorded")
        }
    }

    /// Dying cgroups, measured after every reclaim (also an interrupted
    /// one) and escalated when the reclaim left memory short and they still
    /// hold growth_threshold. `saved` is the state as saved after the
    /// reclaim; an escalation that ran stores the usage after it. Not when
    /// `watch` is stopping.
    private func escalate(_ dying: DyingEscalation, before: Result<DyingReading, KernelError>, reclaim: CheckReclaim, saved: RunState,
                          _ record: inout CheckRecord) throws(Failure) {
        guard StopRequest.signal == nil else {
            record.dying = dying.completeAndLog([("before reclaim", before)])[0]
            return
        }
        let store = StateStore(path: config.stateFile)
        let measured = dying.completeAndLog([("before reclaim", before), ("after reclaim", dying.read())])
        let dyingAfter = measured[1]
        record.dying = dyingAfter ?? measured[0]
        let escalated = try dying.escalate(dyingAfterReclaim: dyingAfter, lastDropCaches: saved.lastDropCaches) { stamp throws(Failure) in
            var stamped = saved
            stamped.lastDropCaches = stamp
            try save(store, stamped, &record)
        }
        record.escalated(steps: escalated.stepsRun.count)
        guard !escalated.stepsRun.isEmpty else { return }
        let now = try reclaim.usage("after dying reclaim")
        log.info(LogLines.usageAfterEscalation(now, words: reclaim.controller.words))
        var final = saved
        final.last = now
        final.lastDropCaches = escalated.lastDropCaches
        try save(store, final, &record)
    }
}
