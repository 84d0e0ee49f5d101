import MemcgCore
import MemcgKernel

/// What `watch` hands a check so it can hold the line (`HoldEpisode`): the
/// fall rate measured between wake-ups and how long a reclaim step takes
/// (`StepLengths.lead`). The oneshot check has none and never holds.
public struct HoldContext: Sendable {
    public var fall: FallRate
    /// The median of the recent reclaims' lengths (`StepLengths.lead`), within `HoldEpisode.lead(afterStepOf:)`'s bounds.
    public var leadMilliseconds: Int64
    /// How the last episode ended, as `HoldEpisode.remembered` keeps it;
    /// nil when there is none to remember. `HoldEpisode.continues` reads it.
    public var previous: HoldMemory?

    public init(fall: FallRate, leadMilliseconds: Int64, previous: HoldMemory? = nil) {
        self.fall = fall
        self.leadMilliseconds = HoldEpisode.lead(afterStepOf: leadMilliseconds)
        self.previous = previous
    }
}

/// A held episode as the check ran it, for `watch` and the tests.
public struct HeldEpisode: Equatable, Sendable {
    /// Reclaims in the episode, the check's own first one included.
    public var steps: Int
    public var stop: HoldStop
    /// It began ahead of the line (available still above global thresh).
    public var ahead: Bool
    /// Its last step asked for an amount (`HoldMemory.byAmount`).
    public var byAmount: Bool

    public init(steps: Int, stop: HoldStop, ahead: Bool, byAmount: Bool) {
        (self.steps, self.stop, self.ahead, self.byAmount) = (steps, stop, ahead, byAmount)
    }

    /// What `watch` keeps of it for the next check.
    public var memory: HoldMemory { HoldMemory(stop: stop, byAmount: byAmount) }
}

extension CheckRun {
    /// Whether this check holds the line: `watch` with hold = on, not a dry run.
    var holds: Bool { hold != nil && config.hold == .on && !dryRun }

    /// The decision this check acts on: the original's, except that a node
    /// short again after an episode that left the target giving (cut short
    /// by its bounds, or recovered by amount) goes on holding
    /// (`HoldEpisode.continues`); `announceContinued` says so.
    func holding(_ decision: Decision) -> Decision {
        guard holds, HoldEpisode.continues(decision, after: hold?.previous) else { return decision }
        var continued = decision
        continued.action = .reclaim
        return continued
    }

    /// The line under the original's usage line when `holding` overrode
    /// its growth rule: why this wake-up reclaims although the change is
    /// below growth threshold.
    func announceContinued(_ decision: Decision, original: Decision) {
        guard decision.action != original.action, let previous = hold?.previous else { return }
        log.info(LogLines.holdContinues(after: previous, decision: original, hysteresis: config.holdHysteresis))
    }

    /// After the check's own reclaim (step 1 of the episode): reclaim again
    /// in steps while kubelet's available memory, re-read after each, stays
    /// below global thresh + hold_hysteresis (`HoldEpisode` decides). Each
    /// step stores the usage after it as last, as a check's reclaim does,
    /// so the original's growth rule holds after the episode. Not after an
    /// interrupted reclaim (act has thrown), nor when `watch` is stopping.
    func holdLine(after decision: Decision, controller: any MemoryController, target: NodeSnapshot.Target,
                  runStarted: Int64, _ record: inout CheckRecord) throws(Failure) {
        guard holds, let hold, let first = record.lastReclaim, StopRequest.signal == nil else { return }
        var episode = HoldEpisode(globalThreshold: decision.globalThreshold, setting: config.holdSetting)
        let node = try observeAfterStep(controller, &record)
        episode.record(HoldStepResult(asked: first.asked, freed: first.freed, availableBefore: decision.available,
                                      availableAfter: node.available, milliseconds: first.milliseconds, ranOut: first.ranOut))
        try steps(&episode, from: node, decision: decision, controller: controller, target: target, hold: hold,
                  runStarted: runStarted, ahead: false, &record)
    }

    /// A wake-up that found memory not short, but falling fast enough to
    /// be short within one step while the target grew by growth_threshold
    /// since last: reclaim ahead, then hold as after any reclaim.
    func holdAhead(_ decision: Decision, node: NodeObservation, controller: any MemoryController, target: NodeSnapshot.Target,
                   runStarted: Int64, _ record: inout CheckRecord) throws(Failure) {
        guard holds, let hold, StopRequest.signal == nil,
              HoldEpisode.reclaimsAhead(decision, fallDuringStep: hold.fall.fall(inMilliseconds: hold.leadMilliseconds)) else { return }
        log.info(LogLines.holdAhead(available: decision.available, globalThreshold: decision.globalThreshold,
                                    fallPerSecond: hold.fall.perSecond, leadMilliseconds: hold.leadMilliseconds))
        var episode = HoldEpisode(globalThreshold: decision.globalThreshold, setting: config.holdSetting)
        let growth = hold.fall.fall(inMilliseconds: hold.leadMilliseconds)
        // The lever is engaged on what available will be when the step
        // ends, below global thresh (or this wake-up would not reclaim
        // ahead): without it the step's reclaim runs while the writers
        // grow the target, as in a short node (the v1 lab: a 10.5 s
        // unclamped force_empty, 4.3 s below the eviction threshold).
        try engageLever(available: decision.available - growth, line: episode.line, controller: controller, target: target,
                        runStarted: runStarted, &record)
        let result = try step(1, margin: config.holdHysteresis + growth, decision: decision, controller: controller,
                              target: target, runStarted: runStarted, &record)
        episode.record(result.step)
        try steps(&episode, from: result.node, decision: decision, controller: controller, target: target, hold: hold,
                  runStarted: runStarted, ahead: true, &record)
    }

    /// The episode's further steps, until `HoldEpisode` says stop.
    private func steps(_ episode: inout HoldEpisode, from start: NodeObservation, decision: Decision, controller: any MemoryController,
                       target: NodeSnapshot.Target, hold: HoldContext, runStarted: Int64, ahead: Bool,
                       _ record: inout CheckRecord) throws(Failure) {
        var node = start
        while true {
            let elapsed = MonotonicClock.nowMilliseconds() - runStarted
            switch episode.next(available: node.available, elapsedMilliseconds: elapsed, fall: hold.fall) {
            case .stop(let why):
                log.info(LogLines.holdEnded(why, steps: episode.steps, milliseconds: elapsed, available: node.available, episode: episode))
                record.held = HeldEpisode(steps: episode.steps, stop: why, ahead: ahead, byAmount: episode.byAmount)
                return
            case .step(let margin, let growth):
                guard StopRequest.signal == nil else { return }
                log.info(LogLines.holdStep(episode.steps + 1, available: node.available, episode: episode, margin: margin, growth: growth))
                var now = decision
                now.available = node.available
                let result = try step(episode.steps + 1, margin: margin, decision: now, controller: controller, target: target,
                                      runStarted: runStarted, &record)
                episode.record(result.step)
                node = result.node
            }
        }
    }

    /// One step: the controller's reclaim for the node as it is now, sized
    /// with `margin` and bounded by what is left of reclaim_timeout since
    /// the check began; the usage after it stored as last.
    private func step(_ number: Int, margin: Bytes, decision: Decision, controller: any MemoryController, target: NodeSnapshot.Target,
                      runStarted: Int64, _ record: inout CheckRecord) throws(Failure) -> (step: HoldStepResult, node: NodeObservation) {
        let probe = CheckReclaim(config: config, log: log, controller: controller, targetPath: target.path, decision: decision)
        let current = try probe.usage("before hold step \(number)")
        var stepDecision = decision
        stepDecision.action = .reclaim
        stepDecision.current = current
        stepDecision.last = record.last ?? .zero
        var bounded = config
        bounded.reclaimTimeoutMilliseconds = max(HoldEpisode.minimumBudgetMilliseconds,
                                                 config.reclaimTimeoutMilliseconds - (MonotonicClock.nowMilliseconds() - runStarted))
        let reclaim = CheckReclaim(config: bounded, log: log, controller: controller, targetPath: target.path,
                                   decision: stepDecision, heldMargin: margin, lever: record.lever)
        let outcome = try reclaim.run()
        record.reclaimed(outcome)
        var saved = record.saved ?? RunState(last: nil)
        saved.last = outcome.usageAfter
        try save(StateStore(path: config.stateFile), saved, &record)
        // A stop signal ends the episode as it ends a check's reclaim (exit
        // 6, watch stops). The deadline is the episode's own bound, what is
        // left of reclaim_timeout: the next decision says timeLimit.
        if case .signal = outcome.stop {
            throw Failure(status: .reclaimInterrupted,
                          message: "hold step \(number): reclaim of \(reclaim.file) interrupted after \(seconds(outcome.milliseconds)) s (\(reclaim.cause(outcome.stop, detailed: false))); the usage after it was recorded")
        }
        let node = try observeAfterStep(controller, &record)
        return (HoldStepResult(asked: outcome.asked, freed: outcome.freed, availableBefore: decision.available,
                               availableAfter: node.available, milliseconds: outcome.milliseconds, ranOut: outcome.ranOut), node)
    }

    /// kubelet's available memory again, after a step: progress is judged
    /// by it, never by what the kernel says it freed.
    private func observeAfterStep(_ controller: any MemoryController, _ record: inout CheckRecord) throws(Failure) -> NodeObservation {
        do {
            let node = try controller.observeNode()
            record.nodeAfter = (node, MonotonicClock.nowMilliseconds())
            return node
        } catch {
            throw Failure(status: error.exitStatus, message: "after a held reclaim step: \(error.description)")
        }
    }
}
