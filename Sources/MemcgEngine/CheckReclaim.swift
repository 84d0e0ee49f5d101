import MemcgCore
import MemcgKernel

/// What one reclaim did: what it asked, what the target's usage fell by,
/// how long it took and why it stopped. The check records and saves it.
struct ReclaimOutcome: Equatable, Sendable {
    /// The amount asked for; nil when the plan takes all the target holds.
    var asked: Bytes?
    var freed: Bytes
    var milliseconds: Int64
    var stop: ReclaimStop
    /// The target's usage after it: the new `last`.
    var usageAfter: Bytes
    /// The kernel could take no more from the target (`ReclaimPlan.ranOut`).
    var ranOut = false

    /// The deadline or a stop signal ended the write.
    var interrupted: Bool {
        switch stop {
        case .deadline, .signal: true
        case .amountReached, .finished: false
        }
    }
}

/// A check's reclaim, one path for both hierarchies: the controller's plan,
/// sized by `reclaim_amount` (v1 empties the target with force_empty, or
/// stops it once the deficit is freed; v2 asks memory.reclaim for the
/// shortfall), run under reclaim_timeout and logged in the plan's words.
/// It saves nothing: it returns what it did.
struct CheckReclaim {
    var config: Config
    var log: EventLog
    var controller: any MemoryController
    var targetPath: String
    var decision: Decision
    /// A held episode's step (`CheckRun.holdLine`): the margin a reclaim by
    /// amount asks for beyond the shortfall; nil for a check's reclaim.
    var heldMargin: Bytes? = nil
    /// The v1 lever engaged on the target (`MemoryLimitLever`): followed
    /// down while the reclaim runs (`MemoryLimitFollow`).
    var lever: LeverRecord? = nil

    var file: String { controller.reclaimFile(targetPath: targetPath) }

    /// reclaim_amount and reclaim_margin, with a held step's margin.
    var amount: ReclaimAmountSetting {
        var amount = config.reclaimAmountSetting
        amount.heldMargin = heldMargin
        return amount
    }

    /// The dry run's line: the plan for this decision, as a reclaim now would size it.
    func dryRunLine() throws(Failure) -> String {
        let decision = try measured()
        return controller.plan(for: decision, amount: amount).dryRunLine(file: file, decision: decision)
    }

    /// The decision with what the target can give back now (v2's
    /// memory.stat, `ReclaimableMemory`), read just before the plan is
    /// sized: it bounds the request. v1 reads nothing.
    func measured() throws(Failure) -> Decision {
        var decision = self.decision
        do {
            decision.reclaimable = try controller.reclaimable(at: targetPath)
        } catch {
            throw Failure(status: error.exitStatus, message: "before reclaim: \(error)")
        }
        return decision
    }

    /// Refuses a reclaim this kernel cannot do, before anything is measured.
    func checkCanReclaim() throws(Failure) {
        do {
            try controller.checkCanReclaim(targetPath: targetPath)
        } catch {
            throw Failure(status: .reclaimFailed, message: error.description)
        }
    }

    func run() throws(Failure) -> ReclaimOutcome {
        try run(controller)
    }

    private func run<Controller: MemoryController>(_ controller: Controller) throws(Failure) -> ReclaimOutcome {
        let decision = try measured()
        let plan = controller.plan(for: decision, amount: amount)
        if let line = plan.requestLine(file: file, decision: decision) { log.info(line) }
        let report: ReclaimReport<Controller.Plan>
        let follow = LimitWatch.start(lever, targetPath: targetPath, controller: controller, mode: .follow,
                                      when: "during the reclaim", since: "into it", log: log)
        defer { follow?.stop(log: log) }
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
        let ended = stop(report.outcome, amountReached: report.amountReached)
        let outcome = ReclaimOutcome(asked: plan.asked, freed: decision.current - after, milliseconds: report.outcome.milliseconds,
                                     stop: ended, usageAfter: after, ranOut: report.plan.ranOut(ended))
        log.info(LogLines.afterReclaim)
        log.info(LogLines.usageAfter(after, words: controller.words))
        let interruption = outcome.interrupted
            ? LogLines.reclaimInterrupted(outcome.milliseconds, current: after, freed: outcome.freed, cause: cause(outcome.stop, detailed: true))
            : nil
        let end = ReclaimEnd(milliseconds: outcome.milliseconds, freed: outcome.freed, interruption: interruption, stop: outcome.stop)
        for line in report.plan.endLines(end, file: file) { log.info(line) }
        // Why the deadline came first, when it was the writers: best effort,
        // a memory.stat that cannot be read here changes nothing of the run.
        if outcome.stop == .deadline, let unwritten = try? controller.unwritten(at: targetPath) {
            log.info(LogLines.unwrittenAtTimeout(unwritten, hierarchy: controller.hierarchy))
        }
        return outcome
    }

    /// Why a reclaim ended: the amount, a stop signal, the deadline, or the
    /// kernel by itself.
    private func stop(_ outcome: WriteOutcome, amountReached: Bool) -> ReclaimStop {
        if amountReached { return .amountReached }
        guard outcome.wasInterrupted else { return .finished }
        return outcome.cause?.stopSignal.map { .signal($0.name) } ?? .deadline
    }

    /// The target's usage once a write went out. The session manager may
    /// have removed the target meanwhile: that is the target missing (exit
    /// 4), said as such, not an unreadable kernel file. Either way the
    /// usage after the write is not recorded and the next run measures again.
    func usage(_ when: String) throws(Failure) -> Bytes {
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

    /// Why a write returned EINTR, in the log's words: a stop signal
    /// (`watch` is stopping) or the deadline.
    func cause(_ stop: ReclaimStop, detailed: Bool) -> String {
        if case .signal(let name) = stop { return "by \(name): stopping" }
        return detailed ? "reclaim_timeout \(seconds(config.reclaimTimeoutMilliseconds)) s" : "reclaim_timeout"
    }

    private func stepEnd(_ step: ReclaimStepReport) -> LogLines.StepEnd {
        switch step.outcome {
        case .completed: .completed
        case .partial: .partial(stopped: step.stoppedForNoProgress)
        case .interrupted(_, let cause): .interrupted(cause: cause.stopSignal?.name ?? "reclaim_timeout")
        }
    }
}
