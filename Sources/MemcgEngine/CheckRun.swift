import MemcgCore
import MemcgKernel

/// One check, the original script's run: observe, decide, act, remember.
/// What the oneshot runs once and `watch` runs at every wake-up.
public struct CheckRun {
    public var config: Config
    public var dryRun: Bool
    public var log: EventLog
    /// What the check saw and did, for the metrics file and `watch`.
    public var record: CheckRecord

    public init(config: Config, dryRun: Bool, log: EventLog) {
        (self.config, self.dryRun, self.log) = (config, dryRun, log)
        record = CheckRecord(counting: config.metricsFile != nil)
    }

    /// The whole oneshot command once its settings are read: the check,
    /// the metrics file, and each failure reported once (stderr and log).
    public static func execute(_ request: SettingsRequest, dryRun: Bool, console: any Console) -> ExitStatus {
        let config: Config
        do {
            config = try Settings.load(request)
        } catch {
            return error.report(to: console)
        }
        let log = EventLog(path: config.logFile, dryRun: dryRun, console: console)
        do {
            try CheckRun(config: config, dryRun: dryRun, log: log).runAndPublish()
            return .ok
        } catch {
            log.error(error.message)
            return error.status
        }
    }

    public func run() throws(Failure) {
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
        }

        let (controller, node): (any MemoryController, NodeObservation)
        let targetPath: String
        let current: Bytes
        do {
            (controller, node) = try MemoryControllers.observe(config: config)
            targetPath = try controller.resolveTarget(config.target)
            current = try controller.targetUsage(at: targetPath)
        } catch {
            throw Failure(status: error.exitStatus, message: error.description)
        }

        let loaded = store.load()
        record.observed(node: node, current: current, globalThreshold: config.policy.globalThreshold(watermark: node.watermark), state: loaded.state)
        if case .unusable(let why) = loaded {
            log.info(LogLines.stateUnusable(why))
        }
        let decision = decide(node: node, current: current, last: loaded.state.last ?? .zero, policy: config.policy)
        record.decision = decision
        let originalPath = LogLines.targetPath(cgroupRoot: controller.cgroupRoot, target: config.target)
        for line in LogLines.preamble(for: decision, targetPath: originalPath) { log.info(line) }

        switch decision.action {
        case .reclaim:
            let reclaim = CheckReclaim(check: self, controller: controller, store: store, targetPath: targetPath,
                                       decision: decision, state: loaded.state, runStarted: started)
            try reclaim.run()
        case .lowerLast:
            if dryRun {
                log.info(LogLines.dryRunDecline(from: decision.last, to: current))
            } else {
                log.info(LogLines.decline(from: decision.last, to: current))
                try save(store, RunState(last: current, lastDropCaches: loaded.state.lastDropCaches))
            }
        case .skipGrowthBelowThreshold, .nothing:
            if dryRun {
                log.info(LogLines.dryRun(decision.reason))
            } else if decision.action == .skipGrowthBelowThreshold, record.counting {
                record.counters.recordSkip()
                try save(store, loaded.state)  // last unchanged; the skip counted
            } else if case .unusable = loaded {
                // Replace the bad file now so the next run starts clean.
                try save(store, RunState(last: nil))
            }
        }
    }

    func save(_ store: StateStore, _ state: RunState) throws(Failure) {
        // Every save carries this run's counters, whatever built `state`.
        var state = state
        state.counters = record.counters
        record.last = state.last
        do {
            try store.save(state)
        } catch {
            throw Failure(status: .stateError, message: error.description)
        }
    }
}
