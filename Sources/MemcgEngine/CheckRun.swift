import MemcgCore
import MemcgKernel

/// One check, the original script's run: observe, decide, act, remember.
/// What the oneshot runs once and `watch` runs at every wake-up.
public struct CheckRun {
    public var config: Config
    public var dryRun: Bool
    public var log: EventLog
    /// The memory controller found once for this run (`watch`: once per
    /// start or reload); nil finds it when the check needs it.
    public var controller: DetectedController?
    /// `watch`'s measurements for holding the line (hold = on); nil for the
    /// oneshot, which reclaims once per run as the original script did.
    public var hold: HoldContext?

    public init(config: Config, dryRun: Bool, log: EventLog, controller: DetectedController? = nil, hold: HoldContext? = nil) {
        (self.config, self.dryRun, self.log, self.controller, self.hold) = (config, dryRun, log, controller, hold)
    }

    /// The whole oneshot command: the settings (read once), the root check
    /// unless it is a dry run, the check, the metrics file, and each failure
    /// reported once (stderr and log).
    public static func execute(_ request: SettingsRequest, dryRun: Bool, console: any Console) -> ExitStatus {
        switch RunStart.begin(request, command: "check", writes: !dryRun, console: console) {
        case .refused(let status): return status
        case .ready(let config, let controller):
            let log = EventLog(path: config.logFile, dryRun: dryRun, console: console)
            guard let failure = CheckRun(config: config, dryRun: dryRun, log: log, controller: controller).runAndPublish().failure else { return .ok }
            log.error(failure.message)
            return failure.status
        }
    }

    /// The check; `record` says what it saw and did, also when it fails.
    public func run(_ record: inout CheckRecord) throws(Failure) {
        let started = MonotonicClock.nowMilliseconds()
        let store = StateStore(path: config.stateFile)

        // One run at a time. A dry run writes nothing, not even the lock.
        let lock = RunLock(path: config.lockFile)
        if !dryRun {
            do {
                guard try lock.tryLock() else {
                    log.info(LogLines.lockHeld(config.lockFile))
                    return
                }
            } catch {
                throw Failure(status: .stateError, message: error.description)
            }
            record.locked = true
            store.removeLeftovers()
        }
        let loaded = store.load()
        record.loaded(loaded.state)
        restoreUnheldLever(store: store, loaded: loaded.state, &record)
        do {
            try check(store: store, loaded: loaded, started: started, &record)
        } catch {
            // A reclaim cut by reclaim_timeout (or a stop signal) is the
            // held episode's bound, not a node the daemon cannot see: the
            // lever stays for the next wake-up (a busy v1 target's
            // force_empty ends on its deadline), and a stop restores it.
            if error.status != .reclaimInterrupted {
                restoreLever(.checkFailed, store: store, loaded: loaded.state, &record)
            }
            countFailure(error, store: store, loaded: loaded.state, &record)
            throw error
        }
    }

    /// A failed check counts under its cause while metrics_file is set,
    /// saved onto the state as this run left it (a failure to save it is
    /// the failure already being reported, or a lesser one: not said again).
    private func countFailure(_ failure: Failure, store: StateStore, loaded: RunState, _ record: inout CheckRecord) {
        guard record.counting, record.locked, !dryRun, let cause = failure.status.failureCause else { return }
        record.counters.recordFailure(cause.rawValue)
        var state = record.saved ?? loaded
        state.counters = record.counters
        state.lever = record.lever
        try? store.save(state)
    }

    /// The check under the lock, with the state as loaded.
    private func check(store: StateStore, loaded: LoadedState, started: Int64, _ record: inout CheckRecord) throws(Failure) {

        let controller: any MemoryController
        let snapshot: NodeSnapshot
        let target: NodeSnapshot.Target
        do {
            controller = try (self.controller ?? MemoryControllers.detected(config: config)).get()
            record.hierarchy = controller.hierarchy.rawValue
            snapshot = try NodeSnapshot.read(controller, target: config.target)
            target = try snapshot.target.get()
        } catch {
            throw Failure(status: error.exitStatus, message: error.description)
        }
        // For the metrics: read as the check ends, so no reclaim waits on it;
        // unreadable, the two gauges are left out.
        defer { if record.counting { record.unwritten = try? controller.unwritten(at: target.path) } }
        let node = snapshot.node
        let current = target.usage
        record.observed(snapshot, current: current, globalThreshold: config.policy.globalThreshold(watermark: node.watermark))
        if case .unusable(let why) = loaded {
            log.info(LogLines.stateUnusable(why))
        }
        let original = decide(node: node, current: current, last: loaded.state.last ?? .zero, policy: config.policy)
        let line = original.globalThreshold + config.holdHysteresis
        settleLever(available: node.available, line: line, targetPath: target.path, store: store, loaded: loaded.state, &record)
        let originalPath = LogLines.targetPath(cgroupRoot: controller.cgroupRoot, target: config.target)
        let decision = holding(original)
        record.decision = decision
        for line in LogLines.preamble(for: decision, targetPath: originalPath) { log.info(line) }
        announceContinued(decision, original: original)

        switch decision.action {
        case .reclaim:
            // The kernel's own loop first (memory_high or memory_limit = on):
            // set before the episode's first reclaim, while the target still
            // holds what it can give back, and kept between wake-ups until
            // available is back above the line.
            try engageLever(available: node.available, line: line, controller: controller, target: target,
                            runStarted: started, &record)
            var reclaim = CheckReclaim(config: config, log: log, controller: controller, targetPath: target.path, decision: decision)
            reclaim.lever = record.lever
            try act(reclaim, snapshot: snapshot, store: store, state: loaded.state, runStarted: started, &record)
            try holdLine(after: decision, controller: controller, target: target, runStarted: started, &record)
            if let after = record.nodeAfter {
                settleLever(available: after.node.available, line: line, targetPath: target.path, store: store, loaded: loaded.state, &record)
            }
        case .lowerLast:
            if dryRun {
                log.info(LogLines.dryRunDecline(from: decision.last, to: current))
            } else {
                log.info(LogLines.decline(from: decision.last, to: current))
                try save(store, RunState(last: current, lastDropCaches: loaded.state.lastDropCaches), &record)
            }
        case .nothing where holds:
            try holdAhead(decision, node: node, controller: controller, target: target, runStarted: started, &record)
            if let after = record.nodeAfter {
                settleLever(available: after.node.available, line: line, targetPath: target.path, store: store, loaded: loaded.state, &record)
            }
            if record.held == nil, case .unusable = loaded { try save(store, RunState(last: nil), &record) }
        case .skipGrowthBelowThreshold, .nothing:
            if dryRun {
                log.info(LogLines.dryRun(decision.reason))
            } else if decision.action == .skipGrowthBelowThreshold, record.counting {
                record.counters.recordSkip()
                try save(store, loaded.state, &record)  // last unchanged; the skip counted
            } else if case .unusable = loaded {
                // Replace the bad file now so the next run starts clean.
                try save(store, RunState(last: nil), &record)
            }
        }
    }

    func save(_ store: StateStore, _ state: RunState, _ record: inout CheckRecord) throws(Failure) {
        // Every save carries this run's counters, whatever built `state`.
        var state = state
        state.counters = record.counters
        state.lever = record.lever
        record.last = state.last
        record.saved = state
        do {
            try store.save(state)
        } catch {
            throw Failure(status: .stateError, message: error.description)
        }
    }
}
