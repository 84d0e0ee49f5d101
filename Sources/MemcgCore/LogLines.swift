/// Every line mon_memcg writes to its event log, in one place.
///
/// The original script's lines come first and are kept word for word (its
/// misspelling `avalible_mem` and the space before `)` included), so that
/// the greps and dashboards built on them keep matching. mon_memcg's own
/// lines follow; they are added beside the original ones, never in their
/// place. Where cgroup v1 and v2 need different words, `HierarchyWords`
/// supplies them.
public enum LogLines {
    // MARK: The original script's lines

    /// The path as the original script printed it: `$ROOT/` + `/user.slice`, hence `//`.
    public static func targetPath(cgroupRoot: String, target: String) -> String {
        "\(cgroupRoot)//\(target)"
    }

    public static func needReclaim(available: Bytes, globalThreshold: Bytes, targetPath: String) -> String {
        "avalible_mem \(available) is less global thresh \(globalThreshold), need reclaim \(targetPath) !!"
    }

    public static let beforeReclaim = "Before reclaim:"

    public static func usage(current: Bytes, last: Bytes, change: Bytes) -> String {
        "mem usage: CURRENT \(current) LAST \(last) CHANGE \(change)"
    }

    public static func changeTooSmall(growthThreshold: Bytes) -> String {
        "change is too small (less than \(growthThreshold) ), so skip reclaim"
    }

    public static let afterReclaim = "After reclaim:"

    /// `mem usage total_rss+total_cache N` (v1), `mem usage memory.current N` (v2).
    public static func usageAfter(_ current: Bytes, words: HierarchyWords) -> String {
        "mem usage \(words.targetUsage) \(current)"
    }

    public static func decline(from last: Bytes, to current: Bytes) -> String {
        "mem usage decline, change last usage mem \(last) -> \(current)"
    }

    /// The lines a decision produces before any action, in the original script's order.
    public static func preamble(for decision: Decision, targetPath: String) -> [String] {
        switch decision.action {
        case .reclaim, .skipGrowthBelowThreshold:
            var lines = [
                needReclaim(available: decision.available, globalThreshold: decision.globalThreshold, targetPath: targetPath),
                beforeReclaim,
                usage(current: decision.current, last: decision.last, change: decision.change),
            ]
            if decision.action == .skipGrowthBelowThreshold { lines.append(changeTooSmall(growthThreshold: decision.growthThreshold)) }
            return lines
        case .lowerLast, .nothing:
            return []
        }
    }

    // MARK: A check's own lines

    public static func lockHeld(_ lockFile: String) -> String {
        "another mon_memcg run holds \(lockFile); this run does nothing"
    }

    public static func stateUnusable(_ why: String) -> String {
        "state file unusable (\(why)); starting with no last value"
    }

    public static func dryRun(_ what: String) -> String { "dry-run: \(what)" }

    public static func dryRunDecline(from last: Bytes, to current: Bytes) -> String {
        dryRun("would have changed last usage mem \(last) -> \(current) (mem usage decline)")
    }

    /// The request's bound: the target's usage, or what its memory.stat
    /// says it can give back when that is less (`ReclaimableMemory`).
    static func requestCap(_ decision: Decision) -> String {
        if let reclaimable = decision.reclaimable, reclaimable < decision.current {
            return "reclaimable \(reclaimable.clampedAtZero) (memory.stat; current \(decision.current))"
        }
        return "current \(decision.current)"
    }

    /// Why an amount is what it is, for the request and dry-run lines.
    public static func requestReason(_ decision: Decision, basis: RequestBasis = .growthThreshold) -> String {
        switch basis {
        case .growthThreshold:
            "global thresh \(decision.globalThreshold) + growth threshold \(decision.growthThreshold) - available \(decision.available), at most \(requestCap(decision))"
        case .margin(let margin):
            "global thresh \(decision.globalThreshold) + reclaim_margin \(margin) - available \(decision.available), at most \(requestCap(decision))"
        case .everything:
            "reclaim_amount all: everything the target holds, \(requestCap(decision))"
        case .held(let margin):
            "global thresh \(decision.globalThreshold) + hold margin \(margin) - available \(decision.available), at most \(requestCap(decision))"
        }
    }

    /// Closes a force_empty stopped by amount, after the original script's
    /// `After reclaim:` lines: what was asked, what the target's usage fell
    /// by, and why the write ended.
    public static func reclaimByAmountEnded(asked: Bytes, freed: Bytes, milliseconds: Int64, stop: ReclaimStop) -> String {
        "reclaim asked \(asked) bytes, freed \(freed) bytes in \(seconds(milliseconds)) s, stopped: \(stop.text)"
    }

    /// How one write of a reclaim by amount ended.
    public enum StepEnd: Equatable, Sendable {
        case completed
        /// EAGAIN; `stopped` when the plan gives up after it.
        case partial(stopped: Bool)
        /// By the deadline or a stop signal: `cause` says which.
        case interrupted(cause: String)
    }

    public static func reclaimStep(file: String, number: Int, asked: Bytes, end: StepEnd, took: Int64, current: Bytes, freed: Bytes) -> String {
        let name = fileName(file)
        switch end {
        case .completed:
            return "\(name) step \(number): asked \(asked) bytes, done in \(seconds(took)) s, current \(current), freed \(freed) bytes in this step"
        case .partial(let stopped):
            let next = stopped ? "nothing more is reclaimable now, stopping" : "going on"
            return "\(name) step \(number): asked \(asked) bytes, the kernel reclaimed less (EAGAIN) in \(seconds(took)) s, current \(current), freed \(freed) bytes in this step; \(next)"
        case .interrupted(let cause):
            return "\(name) step \(number): asked \(asked) bytes, interrupted by \(cause) after \(seconds(took)) s, current \(current)"
        }
    }

    public static func reclaimTook(_ ms: Int64, freed: Bytes) -> String {
        "reclaim took \(seconds(ms)) s, freed \(freed) bytes"
    }

    /// `cause`: `reclaim_timeout 45.000 s`, or `by SIGTERM: stopping`.
    public static func reclaimInterrupted(_ ms: Int64, current: Bytes, freed: Bytes, cause: String) -> String {
        "reclaim interrupted after \(seconds(ms)) s, current \(current), freed \(freed) bytes (\(cause))"
    }

    /// After a reclaim reclaim_timeout interrupted: what of the target was
    /// not on disk yet. Worded so that no "reclaim took/interrupted … freed"
    /// reader counts it as a reclaim of its own.
    public static func unwrittenAtTimeout(_ unwritten: Unwritten, hierarchy: CgroupHierarchy) -> String {
        let (dirty, writeback) = Unwritten.fields(hierarchy)
        return "at reclaim_timeout the target held \(dirty.rawValue) \(unwritten.dirty) and \(writeback.rawValue) "
            + "\(unwritten.writeback) bytes: page cache no reclaim frees before it is written "
            + "(gigabytes of it mean the writers outpace the disk: docs/troubleshooting.md, section 8)"
    }

    /// What a reclaim by amount left undone, when it stopped short.
    public static func reclaimStoppedShort(_ plan: ReclaimAmountPlan, file: String) -> String? {
        let name = fileName(file)
        switch plan.stop {
        case .noProgress:
            return "\(name): \(plan.request - plan.remaining) of \(plan.request) bytes requested reclaimed in \(plan.steps) writes; the rest is not reclaimable now"
        case .stepLimit:
            return "\(name): stopped after \(plan.steps) writes with \(plan.remaining) of \(plan.request) bytes requested still to go"
        case .done, nil:
            return nil
        }
    }

    // MARK: Dying cgroups and escalation

    public static func dying(_ when: String, _ dying: DyingCgroups) -> String {
        "dying cgroups \(when): \(dying.logText)"
    }

    public static func dyingUnmeasured(_ when: String, problem: String) -> String {
        "dying cgroups \(when): cannot measure (\(problem))"
    }

    public static func escalationStopped(_ stop: EscalationStop) -> String {
        "dying reclaim stopped: \(stop.reason)"
    }

    public static func escalationFailed(_ step: EscalationStep, problem: String) -> String {
        "dying reclaim \(step.rawValue): \(problem)"
    }

    /// `interrupted`: the run's deadline ended the write.
    public static func escalationRan(_ step: EscalationStep, file: String, milliseconds: Int64, interrupted: Bool,
                                     dyingBefore: DyingCgroups?, dyingAfter: DyingCgroups?, availableBefore: Bytes, availableAfter: Bytes) -> String {
        let what = interrupted
            ? "write of 1 to \(file) interrupted after \(seconds(milliseconds)) s (the run's deadline)"
            : "wrote 1 to \(file), took \(seconds(milliseconds)) s"
        return "dying reclaim \(step.rawValue): \(what); dying cgroups \(dyingChange(dyingBefore, dyingAfter)); avalible_mem \(availableBefore) -> \(availableAfter)"
    }

    /// `COUNT 16 -> 13 BYTES 209833984 -> 8192`, `unknown` where unmeasured.
    public static func dyingChange(_ a: DyingCgroups?, _ b: DyingCgroups?) -> String {
        func count(_ d: DyingCgroups?) -> String { d.map { String($0.count) } ?? "unknown" }
        func bytes(_ d: DyingCgroups?) -> String { d.map { String($0.bytes.value) } ?? "unknown" }
        return "COUNT \(count(a)) -> \(count(b)) BYTES \(bytes(a)) -> \(bytes(b))"
    }

    /// A drop_caches whose stamp has no boot-clock part: the next runs judge
    /// the interval on the wall clock, which a step can shorten or stretch.
    public static func dropCachesStampWallOnly(problem: String) -> String {
        "dying reclaim drop_caches: stamped on the wall clock only, the boot id is unreadable: \(problem) (the rate limit falls back to the wall clock)"
    }

    public static func usageAfterEscalation(_ now: Bytes, words: HierarchyWords) -> String {
        "mem usage \(words.targetUsage) after dying reclaim \(now), stored as last"
    }

    public static func dryRunEscalation(_ step: EscalationStep, file: String, first: Bool) -> String {
        let condition = first ? "if the reclaim left avalible_mem below global thresh" : "if still short after that"
        return dryRun("\(condition), dying reclaim would have written 1 to \(file)")
    }

    public static func dryRunEscalationStop(_ stop: EscalationStop) -> String {
        dryRun("dying reclaim would then stop: \(stop.reason)")
    }

    public static func dryRunNoEscalation(_ stop: EscalationStop) -> String {
        dryRun("no dying reclaim: \(stop.reason)")
    }

    // MARK: mon_memcg watch

    public static func watchStarted(pid: Int32, eventSource: String, pollMilliseconds: Int64) -> String {
        "watch started (pid \(pid)): checks on \(eventSource) and every \(seconds(pollMilliseconds)) s"
    }

    public static func watchReloaded(eventSource: String, pollMilliseconds: Int64) -> String {
        "reloaded the configuration on SIGHUP and reopened the log; checks on \(eventSource) and every \(seconds(pollMilliseconds)) s"
    }

    public static func watchReloadRefused(_ problem: String) -> String {
        "reload on SIGHUP refused, keeping the previous configuration: \(problem)"
    }

    public static func watchStopped(signal: String, interruptedReclaim: Bool) -> String {
        "watch stopped on \(signal)\(interruptedReclaim ? " (the reclaim in progress was interrupted; the usage after it was recorded)" : "")"
    }

    public static func watchCannotStart(_ problem: String) -> String { "watch cannot start: \(problem)" }

    /// mlockall(2) at start: the daemon's pages stay in RAM under pressure.
    public static let memoryLocked = "watch locked its memory (mlockall MCL_CURRENT|MCL_FUTURE|MCL_ONFAULT: pages stay in RAM once touched)"

    public static let memoryLockDisabled = "watch did not lock its memory: MON_MEMCG_LOCK_MEMORY=0"

    public static func memoryLockRefused(_ problem: String) -> String {
        "watch runs with its memory unlocked, so memory pressure can page it out: \(problem)"
    }

    public static func wakeArmed(_ description: String) -> String { "armed the \(description)" }

    public static func wakeUnavailable(_ problem: String, words: HierarchyWords, pollMilliseconds: Int64) -> String {
        "no \(words.wakeEvents) (\(problem)); checking every \(seconds(pollMilliseconds)) s only"
    }

    public static func wakeOffUntilNextCheck(_ problem: String) -> String {
        "threshold events off until the next check: \(problem)"
    }

    public static func wakeWorksAgain(_ description: String) -> String { "\(description) work again" }

    public static let checksSucceedAgain = "checks succeed again"
    public static let metricsWrittenAgain = "metrics_file is written again"
    public static let notifyWorksAgain = "notifying systemd works again"

    public static func cannotNotify(_ problem: String) -> String {
        "cannot tell systemd this service is ready: \(problem)"
    }

    public static func cannotWriteMetrics(_ problem: String) -> String { "cannot write metrics_file: \(problem)" }

    /// Said once a repeated failure ends, with how often it recurred.
    public static func resolved(_ message: String, repeats: Int) -> String {
        repeats > 0 ? "\(message) (the last error repeated \(repeats) more times)" : message
    }

    // MARK: Errors

    public static func error(_ message: String) -> String { "error: \(message)" }

    /// The last part of a path (Core does no I/O; this only splits the string).
    static func fileName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
