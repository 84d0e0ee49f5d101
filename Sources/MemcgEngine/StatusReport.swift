import MemcgCore
import MemcgKernel

/// Everything `status` shows, gathered once and rendered as text or JSON.
public struct StatusReport {
    var config: Config
    /// The detected hierarchy and where its files are read.
    var controller: any MemoryController
    var node: NodeObservation
    var memAvailable: Bytes?
    var targetPath: String
    /// Why the target cannot be used, when it cannot.
    var targetProblem: String?
    var current: Bytes?
    var loaded: LoadedState
    var decision: Decision?
    /// Dying cgroups below the target, or why they could not be measured.
    var dying: DyingCgroups?
    var dyingProblem: String?
    var dyingCountOnly: Int64?
    var reaperPresent = false
    /// What escalation would do if a reclaim left things as they are now.
    var escalationPlan: (steps: [EscalationStep], stop: EscalationStop)?
    /// Both clocks when the status was gathered, for the drop_caches rate
    /// limit; the boot clock is left out when the boot id cannot be read.
    var now = BootClock.now(bootID: nil)
    /// kubelet's eviction threshold, as its file says.
    var kubelet = StatusKubelet(eviction: .failure(KubeletFileProblem(path: "", reason: "not read")))
    /// The target's page cache not on disk yet (nil: no target to read),
    /// and the node's, with the kernel's limits (StatusUnwritten.swift).
    var unwritten: Result<Unwritten, KernelError>?
    var nodeDirty: Result<NodeDirty, KernelError>?

    public static func gather(config: Config) throws(Failure) -> StatusReport {
        let controller: any MemoryController
        let snapshot: NodeSnapshot
        do {
            controller = try MemoryControllers.detect(config: config)
            snapshot = try NodeSnapshot.read(controller, target: config.target)
        } catch {
            throw Failure(status: error.exitStatus, message: error.description)
        }
        let node = snapshot.node
        let loaded = StateStore(path: config.stateFile).load()
        var report = StatusReport(
            config: config, controller: controller, node: node, memAvailable: snapshot.memAvailable,
            targetPath: controller.cgroupPath(config.target), targetProblem: nil, current: nil,
            loaded: loaded, decision: nil)
        report.now = BootClock.now(bootID: try? BootClock.bootID(procRoot: config.procRoot))
        report.kubelet = StatusKubelet.read(config)
        report.nodeDirty = Result { () throws(KernelError) in try controller.nodeDirty() }
        switch snapshot.target {
        case .success(let target):
            report.current = target.usage
            var decision = decide(node: node, current: target.usage, last: loaded.state.last ?? .zero, policy: config.policy)
            // The request a check would size now. Unreadable, it is bounded
            // by the usage alone here; a check fails on it and says why.
            if decision.action == .reclaim { decision.reclaimable = try? controller.reclaimable(at: target.path) }
            report.decision = decision
            report.unwritten = Result { () throws(KernelError) in try controller.unwritten(at: target.path) }
            report.gatherDying(targetPath: target.path)
        case .failure(let error):
            report.targetProblem = error.description
            report.gatherDying(targetPath: nil)
        }
        return report
    }

    /// What a check would do now, when it would reclaim.
    var reclaimPlan: (any ReclaimPlan)? {
        guard let decision, decision.action == .reclaim else { return nil }
        return controller.plan(for: decision, amount: config.reclaimAmountSetting)
    }

    /// What a check would ask the kernel for now: the amount, or all the
    /// target holds (force_empty to the end).
    var reclaimRequest: Bytes? {
        guard let plan = reclaimPlan else { return nil }
        return plan.asked ?? current
    }

    var words: HierarchyWords { controller.words }

    var globalThreshold: Bytes { config.policy.globalThreshold(watermark: node.watermark) }

    /// Without a target only a hierarchy-wide count (v1) can be shown.
    private mutating func gatherDying(targetPath: String?) {
        do {
            if let targetPath {
                dying = try controller.dyingSource.measure(targetPath: targetPath)
            } else {
                dyingCountOnly = try controller.dyingCountWithoutTarget()
            }
        } catch {
            dyingProblem = error.description
        }
        let escalation = Escalation(config: config)
        reaperPresent = escalation.reaperPresent
        guard targetPath != nil else { return }
        // As a check would judge right after a reclaim that used all of
        // reclaim_timeout and changed nothing.
        escalationPlan = planEscalation(mode: config.dyingReclaim, situation: EscalationSituation(
            config: config, node: node, dying: dying, reaperPresent: reaperPresent, lastDropCaches: loaded.state.lastDropCaches,
            now: now, remainingMilliseconds: RunDeadline.milliseconds - config.reclaimTimeoutMilliseconds))
    }

    var dyingCount: Int64? { dying?.count ?? dyingCountOnly }

    /// Which clock the rate limit reads the last drop_caches on, and what it says.
    var lastDropCachesNote: String {
        let interval = "drop_caches_interval \(config.dropCachesIntervalSeconds) s"
        guard let last = loaded.state.lastDropCaches else { return "epoch seconds; \(interval)" }
        if let lastBoot = last.boot, let nowBoot = now.boot, lastBoot.bootID == nowBoot.bootID {
            let ago = nowBoot.milliseconds - lastBoot.milliseconds
            return ago < 0 ? "epoch seconds; its boot-clock stamp is in the future (not trusted); \(interval)"
                : "epoch seconds; \(ago / 1000) s ago on the boot clock (this boot); \(interval)"
        }
        let why: WallClockFallback = now.boot == nil ? .bootIDUnknown : last.boot == nil ? .noBootStamp : .otherBoot
        return "epoch seconds; judged on the wall clock: \(why.words); \(interval)"
    }

    /// Why the dying-cgroup bytes are unknown, when they are: the
    /// measurement failed, or there is no target to measure below.
    var dyingBytesProblem: String? {
        guard dying == nil else { return nil }
        return dyingProblem.map { "cannot measure: \($0)" } ?? "not measured: the target is missing (they are measured below it)"
    }

    /// Why escalation was not judged, when it was not.
    var escalationReason: String {
        escalationPlan?.stop.reason ?? "not judged: the target is missing"
    }

    /// What `last` is, or why there is none: (value, note).
    var lastValue: (Bytes?, String) {
        switch loaded {
        case .missing: (nil, "no state file yet (\(config.stateFile)); a check counts from 0")
        case .unusable(let why): (nil, "state unusable: \(why); a check counts from 0")
        case .valid(let s): (s.last, s.last == nil ? "\(config.stateFile) holds no last value; a check counts from 0" : config.stateFile)
        }
    }

    var escalationName: String {
        guard let plan = escalationPlan, !plan.steps.isEmpty else { return "none" }
        return plan.steps.map(\.rawValue).joined(separator: ",")
    }

    var decisionName: String {
        guard let decision else { return "target_missing" }
        switch decision.action {
        case .reclaim: return "reclaim"
        case .skipGrowthBelowThreshold: return "skip"
        case .lowerLast: return "lower_last"
        case .nothing: return "none"
        }
    }

    var reason: String {
        if let decision { return decision.reason }
        let short = node.available < globalThreshold
        return "\(targetProblem ?? "target unusable"); memory is \(short ? "short" : "not short") (available \(node.available) \(short ? "<" : ">=") global threshold \(globalThreshold)); a check would exit \(ExitStatus.targetMissing.rawValue) without reclaiming"
    }

    var stateName: String {
        switch loaded {
        case .missing: "missing"
        case .valid: "valid"
        case .unusable: "unusable"
        }
    }
}
