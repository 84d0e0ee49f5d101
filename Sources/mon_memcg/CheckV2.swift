import MemcgCore
import MemcgKernel

/// A check's reclaim on cgroup v2: `memory.reclaim` instead of v1's
/// `force_empty`, asked for what the decision says is missing (see
/// `ReclaimPlanV2`), in bounded writes under the run's reclaim_timeout.
/// Log lines, state and exit statuses are v1's; lines that would name a v1
/// file name the v2 one.
extension CheckRun {
    /// `state` is what was loaded: only its `last` is replaced, so fields
    /// other features keep in the state survive a v2 reclaim.
    func reclaimV2(host: MemcgHost, store: StateStore, targetPath: String, decision: Decision, state: RunState,
                   dying: DyingReclaimRun) throws(Failure) {
        let file = "\(targetPath)/\(KernelFile.reclaim)"
        var plan = ReclaimPlanV2(request: ReclaimPlanV2.request(for: decision))
        // Never a silent no-op: a kernel without memory.reclaim is a failure.
        guard MemoryReclaim.isAvailable(cgroupPath: targetPath) else {
            throw Failure(status: .reclaimFailed,
                          message: "\(file) does not exist: this kernel has no memory.reclaim (Linux 5.19 or later is needed to reclaim on cgroup v2); nothing was reclaimed")
        }
        let dyingBefore = dying.measure("before reclaim")
        if dryRun {
            log.info("dry-run: would have written \(plan.request) to \(file) (\(SeedLogV2.requestReason(decision))) in steps of at most \(plan.stepSize), then stored the usage after it as last")
            dying.planDryRun(decision: decision, dying: dyingBefore, lastDropCaches: state.lastDropCaches)
            return
        }
        log.info(SeedLogV2.request(plan, decision: decision))

        let start = MonotonicClock.nowMilliseconds()
        let deadline = start + config.reclaimTimeoutMilliseconds
        var before = decision.current
        var interrupted = false
        while let step = plan.nextStep {
            let stepStart = MonotonicClock.nowMilliseconds()
            let outcome: MemoryReclaim.Outcome
            do {
                outcome = try MemoryReclaim.write(cgroupPath: targetPath, bytes: step, deadlineMilliseconds: deadline - stepStart)
            } catch {
                throw Failure(status: .reclaimFailed, message: error.description)
            }
            let now = try usage(host, targetPath)
            let took = seconds(MonotonicClock.nowMilliseconds() - stepStart)
            let freed = before - now
            before = now
            switch outcome {
            case .completed:
                plan.record(asked: step, .completed(freed: freed))
                log.info("memory.reclaim step \(plan.steps): asked \(step) bytes, done in \(took) s, current \(now), freed \(freed) bytes in this step")
            case .partial:
                plan.record(asked: step, .partial(freed: freed))
                let next = plan.stop == .noProgress ? "nothing more is reclaimable now, stopping" : "going on"
                log.info("memory.reclaim step \(plan.steps): asked \(step) bytes, the kernel reclaimed less (EAGAIN) in \(took) s, current \(now), freed \(freed) bytes in this step; \(next)")
            case .interrupted:
                log.info("memory.reclaim step \(plan.steps + 1): asked \(step) bytes, interrupted by reclaim_timeout after \(took) s, current \(now)")
                interrupted = true
            }
            if interrupted { break }
        }

        let after = try usage(host, targetPath)
        var stateAfter = state
        stateAfter.last = after
        let ms = MonotonicClock.nowMilliseconds() - start
        record.reclaimed(interrupted ? .interrupted(milliseconds: ms) : .completed(milliseconds: ms), freed: decision.current - after)
        log.info(SeedLog.afterReclaim)
        log.info(SeedLogV2.usageAfter(after))
        if interrupted {
            log.info("reclaim interrupted after \(seconds(ms)) s, current \(after), freed \(decision.current - after) bytes (reclaim_timeout \(seconds(config.reclaimTimeoutMilliseconds)) s)")
            try save(store, stateAfter)
            try escalateDying(host: host, store: store, targetPath: targetPath, dying: dying, after: after, state: state)
            throw Failure(status: .reclaimInterrupted, message: "reclaim of \(file) interrupted after \(seconds(ms)) s (reclaim_timeout); the usage after it was recorded")
        }
        log.info("reclaim took \(seconds(ms)) s, freed \(decision.current - after) bytes")
        switch plan.stop {
        case .noProgress:
            log.info("memory.reclaim: \(plan.request - plan.remaining) of \(plan.request) bytes requested reclaimed in \(plan.steps) writes; the rest is not reclaimable now")
        case .stepLimit:
            log.info("memory.reclaim: stopped after \(plan.steps) writes with \(plan.remaining) of \(plan.request) bytes requested still to go")
        case .done, nil:
            break
        }
        try save(store, stateAfter)
        try escalateDying(host: host, store: store, targetPath: targetPath, dying: dying, after: after, state: state)
    }

    private func usage(_ host: MemcgHost, _ targetPath: String) throws(Failure) -> Bytes {
        do {
            return try host.targetUsage(at: targetPath)
        } catch {
            throw Failure(status: error.exitStatus, message: "after reclaim: \(error)")
        }
    }
}
