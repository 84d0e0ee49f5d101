import MemcgCore
import MemcgKernel

/// The dying-cgroup part of a check: measure them around the reclaim, log
/// them, and escalate (reaper, drop_caches) when the reclaim was not enough.
/// The policy is `nextEscalation` in MemcgCore; this only measures, acts and
/// logs.
struct DyingEscalation {
    var config: Config
    var dryRun: Bool
    var log: EventLog
    var controller: any MemoryController
    var targetPath: String
    /// Monotonic milliseconds at the start of the run; the run's deadline
    /// (`RunDeadline`) counts from it.
    var runStarted: Int64
    /// This boot's id, read once per run (`BootClock.bootID`): without it the
    /// drop_caches rate limit is judged on the wall clock.
    var boot: Result<BootID, KernelError>
    var escalation: Escalation { Escalation(config: config) }

    func remainingMilliseconds() -> Int64 {
        runStarted + RunDeadline.milliseconds - MonotonicClock.nowMilliseconds()
    }

    /// Measures and logs `dying cgroups <when>: COUNT n BYTES b`; a failure
    /// is logged the same way and gives nil (escalation then does nothing).
    func measure(_ when: String) -> DyingCgroups? {
        do {
            let dying = try controller.dyingSource.measure(targetPath: targetPath)
            log.info(LogLines.dying(when, dying))
            return dying
        } catch {
            log.info(LogLines.dyingUnmeasured(when, problem: "\(error)"))
            return nil
        }
    }

    /// What the reclaim can change, read just before it (a few files and
    /// the target's children); `completeAndLog` finishes and logs it once
    /// the write returned, so the first write waits on no walk of the node.
    func read() -> Result<DyingReading, KernelError> {
        Result { () throws(KernelError) in try controller.dyingSource.read(targetPath: targetPath) }
    }

    /// Completes the readings with one walk and logs each as `measure`
    /// would, in order: `dying cgroups <when>: COUNT n BYTES b`, or why it
    /// could not be measured (then nil).
    func completeAndLog(_ readings: [(when: String, reading: Result<DyingReading, KernelError>)]) -> [DyingCgroups?] {
        let read = readings.compactMap { try? $0.reading.get() }
        let completed = Result { () throws(KernelError) in try controller.dyingSource.complete(read) }
        var next = 0
        return readings.map { item in
            let result: Result<DyingCgroups, KernelError>
            switch (item.reading, completed) {
            case (.failure(let error), _):
                result = .failure(error)
            case (.success, .failure(let error)):
                result = .failure(error)
                next += 1
            case (.success, .success(let all)):
                result = .success(all[next])
                next += 1
            }
            switch result {
            case .success(let dying):
                log.info(LogLines.dying(item.when, dying))
                return dying
            case .failure(let error):
                log.info(LogLines.dyingUnmeasured(item.when, problem: "\(error)"))
                return nil
            }
        }
    }

    /// Both clocks now, as a drop_caches now would stamp them.
    func now() -> ClockStamp { BootClock.now(bootID: try? boot.get()) }

    func situation(node: NodeObservation, dying: DyingCgroups?, lastDropCaches: ClockStamp?, remaining: Int64) -> EscalationSituation {
        EscalationSituation(config: config, node: node, dying: dying, reaperPresent: escalation.reaperPresent,
                            lastDropCaches: lastDropCaches, now: now(), remainingMilliseconds: remaining)
    }

    /// A dry run cannot know what the reclaim would leave: it judges on the
    /// node as the check read it, with the time a full `reclaim_timeout`
    /// would leave.
    func planDryRun(node: NodeObservation, dying: DyingCgroups?, lastDropCaches: ClockStamp?) {
        let remaining = remainingMilliseconds() - config.reclaimTimeoutMilliseconds
        let s = situation(node: node, dying: dying, lastDropCaches: lastDropCaches, remaining: remaining)
        let plan = planEscalation(mode: config.dyingReclaim, situation: s)
        guard !plan.steps.isEmpty else {
            log.info(LogLines.dryRunNoEscalation(plan.stop))
            return
        }
        for (index, step) in plan.steps.enumerated() {
            log.info(LogLines.dryRunEscalation(step, file: escalation.path(for: step), first: index == 0))
        }
        log.info(LogLines.dryRunEscalationStop(plan.stop))
    }

    struct Outcome {
        var stepsRun: [EscalationStep] = []
        var lastDropCaches: ClockStamp?
    }

    /// Runs the policy's steps until it says stop. `recordDropCaches` saves
    /// the drop_caches stamp before the write, so a run killed while the
    /// kernel drops still counts against the interval.
    func escalate(dyingAfterReclaim: DyingCgroups?, lastDropCaches: ClockStamp?,
                  recordDropCaches: (ClockStamp) throws(Failure) -> Void) throws(Failure) -> Outcome {
        var outcome = Outcome(lastDropCaches: lastDropCaches)
        var node = try observe()
        var dying = dyingAfterReclaim
        while true {
            let s = situation(node: node, dying: dying, lastDropCaches: outcome.lastDropCaches, remaining: remainingMilliseconds())
            let step: EscalationStep
            switch nextEscalation(mode: config.dyingReclaim, situation: s, tried: outcome.stepsRun) {
            case .stop(let why):
                if !outcome.stepsRun.isEmpty || !why.isQuiet { log.info(LogLines.escalationStopped(why)) }
                return outcome
            case .run(let next):
                step = next
            }
            outcome.stepsRun.append(step)
            if step == .dropCaches {
                let stamp = now()
                if case .failure(let problem) = boot { log.info(LogLines.dropCachesStampWallOnly(problem: "\(problem)")) }
                try recordDropCaches(stamp)
                outcome.lastDropCaches = stamp
            }
            let result: WriteOutcome
            do {
                result = try escalation.perform(step, timeoutMilliseconds: remainingMilliseconds())
            } catch {
                log.error(LogLines.escalationFailed(step, problem: "\(error)"))
                continue
            }
            Escalation.settle(maxMilliseconds: remainingMilliseconds() - 1000)
            let before = (dying, node.available)
            node = try observe()
            dying = try? controller.dyingSource.measure(targetPath: targetPath)
            log.info(LogLines.escalationRan(step, file: escalation.path(for: step), milliseconds: result.milliseconds,
                                            interrupted: result.wasInterrupted, dyingBefore: before.0, dyingAfter: dying,
                                            availableBefore: before.1, availableAfter: node.available))
        }
    }

    private func observe() throws(Failure) -> NodeObservation {
        do {
            return try controller.observeNode()
        } catch {
            throw Failure(status: error.exitStatus, message: "during dying reclaim: \(error)")
        }
    }
}
