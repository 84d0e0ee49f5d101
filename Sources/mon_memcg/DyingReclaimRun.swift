import MemcgCore
import MemcgKernel

/// The dying-cgroup part of a check: measure them around the reclaim, log
/// them, and escalate (reaper, drop_caches) when the reclaim was not enough.
/// The policy is `nextEscalation` in MemcgCore; this only measures, acts and
/// logs.
struct DyingReclaimRun {
    var config: Config
    var dryRun: Bool
    var log: EventLog
    var targetPath: String
    /// Monotonic milliseconds at the start of the run; the run's deadline
    /// (`RunDeadline`) counts from it.
    var runStarted: Int64
    var source: any DyingCgroupsSource
    var escalation: Escalation

    /// On v2 the same run measures with `cgroup.stat` below the target; the
    /// policy, steps and log lines do not change.
    init(config: Config, dryRun: Bool, log: EventLog, targetPath: String, runStarted: Int64, hierarchy: CgroupHierarchy = .v1) {
        self.config = config
        self.dryRun = dryRun
        self.log = log
        self.targetPath = targetPath
        self.runStarted = runStarted
        self.source = hierarchy == .v2 ? DyingCgroupsV2() : DyingCgroupsV1(cgroupRoot: config.cgroupRoot, procRoot: config.procRoot)
        self.escalation = Escalation(config: config)
    }

    func remainingMilliseconds() -> Int64 {
        runStarted + RunDeadline.milliseconds - MonotonicClock.nowMilliseconds()
    }

    /// Measures and logs `dying cgroups <when>: COUNT n BYTES b`; a failure
    /// is logged the same way and gives nil (escalation then does nothing).
    func measure(_ when: String) -> DyingCgroups? {
        do {
            let dying = try source.measure(targetPath: targetPath)
            log.info("dying cgroups \(when): \(dying.logText)")
            return dying
        } catch {
            log.info("dying cgroups \(when): cannot measure (\(error))")
            return nil
        }
    }

    func situation(available: Bytes, globalThreshold: Bytes, dying: DyingCgroups?, lastDropCaches: Int64?, remaining: Int64) -> EscalationSituation {
        EscalationSituation(
            available: available, globalThreshold: globalThreshold, dying: dying,
            growthThreshold: config.growthThreshold, reaperPresent: escalation.reaperPresent,
            lastDropCaches: lastDropCaches, now: EpochClock.nowSeconds(),
            dropCachesIntervalSeconds: config.dropCachesIntervalSeconds, remainingMilliseconds: remaining)
    }

    /// A dry run cannot know what the reclaim would leave: it judges on the
    /// numbers before it, with the time a full `reclaim_timeout` would leave.
    func planDryRun(decision: Decision, dying: DyingCgroups?, lastDropCaches: Int64?) {
        let remaining = remainingMilliseconds() - config.reclaimTimeoutMilliseconds
        let s = situation(available: decision.available, globalThreshold: decision.globalThreshold, dying: dying,
                          lastDropCaches: lastDropCaches, remaining: remaining)
        let plan = planEscalation(mode: config.dyingReclaim, situation: s)
        guard !plan.steps.isEmpty else {
            log.info("dry-run: no dying reclaim: \(plan.stop.reason)")
            return
        }
        for (index, step) in plan.steps.enumerated() {
            let condition = index == 0 ? "if the reclaim left avalible_mem below global thresh" : "if still short after that"
            log.info("dry-run: \(condition), dying reclaim would have written 1 to \(escalation.path(for: step))")
        }
        log.info("dry-run: dying reclaim would then stop: \(plan.stop.reason)")
    }

    struct Outcome {
        var stepsRun: [EscalationStep] = []
        var lastDropCaches: Int64?
    }

    /// Runs the policy's steps until it says stop. `recordDropCaches` saves
    /// the drop_caches stamp before the write, so a run killed while the
    /// kernel drops still counts against the interval.
    func escalate(host: MemcgHost, dyingAfterReclaim: DyingCgroups?, lastDropCaches: Int64?,
                  recordDropCaches: (Int64) throws(Failure) -> Void) throws(Failure) -> Outcome {
        var outcome = Outcome(lastDropCaches: lastDropCaches)
        var node = try observe(host)
        var dying = dyingAfterReclaim
        while true {
            let globalThreshold = config.policy.globalThreshold(watermark: node.watermark)
            let s = situation(available: node.available, globalThreshold: globalThreshold, dying: dying,
                              lastDropCaches: outcome.lastDropCaches, remaining: remainingMilliseconds())
            let step: EscalationStep
            switch nextEscalation(mode: config.dyingReclaim, situation: s, tried: outcome.stepsRun) {
            case .stop(let why):
                if !outcome.stepsRun.isEmpty || !why.isQuiet { log.info("dying reclaim stopped: \(why.reason)") }
                return outcome
            case .run(let next):
                step = next
            }
            outcome.stepsRun.append(step)
            if step == .dropCaches {
                let now = EpochClock.nowSeconds()
                try recordDropCaches(now)
                outcome.lastDropCaches = now
            }
            let file = escalation.path(for: step)
            let result: ReclaimOutcome
            do {
                result = try escalation.perform(step, timeoutMilliseconds: remainingMilliseconds())
            } catch {
                log.error("dying reclaim \(step.rawValue): \(error)")
                continue
            }
            Escalation.settle(maxMilliseconds: remainingMilliseconds() - 1000)
            let before = (dying, node.available)
            node = try observe(host)
            dying = try? source.measure(targetPath: targetPath)
            let what: String
            switch result {
            case .completed(let ms): what = "wrote 1 to \(file), took \(seconds(ms)) s"
            case .interrupted(let ms): what = "write of 1 to \(file) interrupted after \(seconds(ms)) s (the run's deadline)"
            }
            log.info("dying reclaim \(step.rawValue): \(what); dying cgroups \(Self.change(before.0, dying)); avalible_mem \(before.1) -> \(node.available)")
        }
    }

    /// `COUNT 16 -> 13 BYTES 209833984 -> 8192`, `unknown` where unmeasured.
    static func change(_ a: DyingCgroups?, _ b: DyingCgroups?) -> String {
        func count(_ d: DyingCgroups?) -> String { d.map { String($0.count) } ?? "unknown" }
        func bytes(_ d: DyingCgroups?) -> String { d.map { String($0.bytes.value) } ?? "unknown" }
        return "COUNT \(count(a)) -> \(count(b)) BYTES \(bytes(a)) -> \(bytes(b))"
    }

    private func observe(_ host: MemcgHost) throws(Failure) -> NodeObservation {
        do {
            return try host.observeNode()
        } catch {
            throw Failure(status: error.exitStatus, message: "during dying reclaim: \(error)")
        }
    }
}
