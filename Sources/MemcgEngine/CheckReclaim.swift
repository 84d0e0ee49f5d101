import MemcgCore
import MemcgKernel

/// A check's reclaim, one path for both hierarchies: the controller picks
/// the plan from `reclaim_amount` (v1 empties the target with force_empty,
/// or stops it once the deficit is freed; v2 asks memory.reclaim for the
/// shortfall) and runs it under reclaim_timeout; this logs it,
/// stores the usage after it as `last`, and escalates to the dying cgroups
/// when it was not enough.
struct CheckReclaim {
    var check: CheckRun
    var controller: any MemoryController
    var store: StateStore
    var targetPath: String
    var decision: Decision
    /// As loaded: only `last` is replaced, so other fields survive.
    var state: RunState
    /// Monotonic milliseconds at the start of the run.
    var runStarted: Int64

    private var log: EventLog { check.log }
    private var config: Config { check.config }

    func run() throws(Failure) {
        let file = controller.reclaimFile(targetPath: targetPath)
        let plan = controller.plan(for: decision, amount: config.reclaimAmountSetting)
        do {
            try controller.checkCanReclaim(targetPath: targetPath)
        } catch {
            throw Failure(status: .reclaimFailed, message: error.description)
        }
        let dying = DyingEscalation(config: config, dryRun: check.dryRun, log: log, controller: controller,
                                    targetPath: targetPath, runStarted: runStarted,
                                    boot: Result { () throws(KernelError) in try BootClock.bootID(procRoot: config.procRoot) })
        let dyingBefore = dying.measure("before reclaim")
        check.record.dying = dyingBefore
        if check.dryRun {
            log.info(LogLines.dryRunReclaim(plan, file: file, decision: decision))
            dying.planDryRun(decision: decision, dying: dyingBefore, lastDropCaches: state.lastDropCaches)
            return
        }
        if let line = LogLines.reclaimRequest(plan, file: file, decision: decision) { log.info(line) }

        let report: ReclaimReport
        do {
            report = try controller.reclaim(plan, targetPath: targetPath, usageBefore: decision.current,
                                            deadlineMilliseconds: config.reclaimTimeoutMilliseconds) { step in
                log.info(LogLines.reclaimStep(file: file, number: step.number, asked: step.asked, end: stepEnd(step),
                                              took: step.outcome.milliseconds, current: step.current, freed: step.freed))
            }
        } catch {
            switch error {
            case .usage(let e), .usageBefore(let e): throw Failure(status: e.exitStatus, message: error.description)
            case .write, .unavailable: throw Failure(status: .reclaimFailed, message: error.description)
            }
        }
        let after = try usage("after reclaim")
        let freed = decision.current - after
        check.record.reclaimed(report.outcome, freed: freed)
        log.info(LogLines.afterReclaim)
        log.info(LogLines.usageAfter(after, words: controller.words))
        let ms = report.outcome.milliseconds
        if report.outcome.wasInterrupted {
            log.info(LogLines.reclaimInterrupted(ms, current: after, freed: freed, cause: interruptionCause(report.outcome, detailed: true)))
        } else if case .emptyUntilFreed = report.plan {
            // Said by the line below.
        } else {
            log.info(LogLines.reclaimTook(ms, freed: freed))
            if case .amount(let amount) = report.plan, let line = LogLines.reclaimStoppedShort(amount, file: file) { log.info(line) }
        }
        if case .emptyUntilFreed(let deficit) = report.plan {
            log.info(LogLines.reclaimByAmountEnded(asked: deficit.request, freed: freed, milliseconds: ms, stop: stop(report)))
        }
        var stateAfter = state
        stateAfter.last = after
        try check.save(store, stateAfter)

        try escalate(dying, after: after)
        if report.outcome.wasInterrupted {
            throw Failure(status: .reclaimInterrupted,
                          message: "reclaim of \(file) interrupted after \(seconds(ms)) s (\(interruptionCause(report.outcome, detailed: false))); the usage after it was recorded")
        }
    }

    /// Why a reclaim ended: the amount, a stop signal, the deadline, or the
    /// kernel by itself.
    private func stop(_ report: ReclaimReport) -> ReclaimStop {
        if report.amountReached { return .amountReached }
        guard report.outcome.wasInterrupted else { return .finished }
        if let signal = report.outcome.cause?.stopSignal { return .signal(signal.name) }
        return .deadline
    }

    /// The target's usage once a write went out. The session manager may
    /// have removed the target meanwhile: that is the target missing (exit
    /// 4), said as such, not an unreadable kernel file. Either way the
    /// usage after the write is not recorded and the next run measures again.
    private func usage(_ when: String) throws(Failure) -> Bytes {
        do {
            return try controller.targetUsage(at: targetPath)
        } catch {
            do {
                _ = try controller.resolveTarget(config.target)
            } catch {
                if case .targetMissing(let path) = error {
                    throw Failure(status: .targetMissing,
                                  message: "\(when): target cgroup \(path) disappeared during the reclaim; the usage after it was not recorded (the next run measures it again)")
                }
            }
            throw Failure(status: error.exitStatus, message: "\(when): \(error.descriptionAfterReclaim)")
        }
    }

    /// Why a write returned EINTR: a stop signal (`watch` is stopping) or
    /// the deadline.
    private func interruptionCause(_ outcome: WriteOutcome, detailed: Bool) -> String {
        if let signal = outcome.cause?.stopSignal { return "by \(signal.name): stopping" }
        return detailed ? "reclaim_timeout \(seconds(config.reclaimTimeoutMilliseconds)) s" : "reclaim_timeout"
    }

    private func stepEnd(_ step: ReclaimStepReport) -> LogLines.StepEnd {
        switch step.outcome {
        case .completed: .completed
        case .partial: .partial(stopped: step.stoppedForNoProgress)
        case .interrupted(_, let cause): .interrupted(cause: cause.stopSignal?.name ?? "reclaim_timeout")
        }
    }

    /// Dying cgroups, measured after every reclaim (also an interrupted
    /// one) and escalated when the reclaim left memory short and they still
    /// hold growth_threshold. `after` has been saved as `last` already; an
    /// escalation that ran stores the usage after it. Not when `watch` is
    /// stopping.
    private func escalate(_ dying: DyingEscalation, after: Bytes) throws(Failure) {
        guard Interruption.stopRequested == nil else { return }
        let dyingAfter = dying.measure("after reclaim")
        check.record.dying = dyingAfter ?? check.record.dying
        let escalated = try dying.escalate(dyingAfterReclaim: dyingAfter, lastDropCaches: state.lastDropCaches) { stamp throws(Failure) in
            var stamped = state
            stamped.last = after
            stamped.lastDropCaches = stamp
            try check.save(store, stamped)
        }
        check.record.escalated(steps: escalated.stepsRun.count)
        guard !escalated.stepsRun.isEmpty else { return }
        let now = try usage("after dying reclaim")
        log.info(LogLines.usageAfterEscalation(now, words: controller.words))
        var final = state
        final.last = now
        final.lastDropCaches = escalated.lastDropCaches
        try check.save(store, final)
    }
}
