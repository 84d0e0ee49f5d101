#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import MemcgCore
import MemcgKernel

/// One run of the seed's check: observe, decide, act, remember.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run one check and reclaim the target cgroup if kubelet would see memory short (the default).",
        discussion: """
        Reads MemTotal, the root cgroup's memory.usage_in_bytes and total_inactive_file, and \
        vm.min_free_kbytes; computes kubelet's available memory; if it is below \
        available_threshold + min_free_kbytes and the target's total_rss+total_cache grew by at \
        least growth_threshold since the last recorded value, writes 1 to the target's \
        memory.force_empty and records the usage after the reclaim. Lines are appended to \
        log_file in the seed's format. On cgroup v2 the root's memory.stat gives anon + file and \
        inactive_file, the target's usage is memory.current, and the target's memory.reclaim is \
        asked for global thresh + growth_threshold - available (at most memory.current), in \
        bounded writes under reclaim_timeout.
        """)

    @OptionGroup var options: SharedOptions

    @Flag(name: .customLong("dry-run"), help: "Decide and log what would happen (\"would have ...\"), write nothing to the kernel or the state file.")
    var dryRun = false

    func run() throws {
        let status = Check.execute(CheckCommandLine(settings: options.settings, dryRun: dryRun))
        if status != .ok { throw ExitCode(status.rawValue) }
    }

    /// The whole command once its arguments are read, by the argument
    /// parser or by `CheckCommandLine` (see `MonMemcg.main`).
    static func execute(_ request: CheckCommandLine) -> ExitStatus {
        var log: EventLog?
        do {
            let config = try Settings.load(request.settings)
            let events = EventLog(path: config.logFile, echo: request.dryRun)
            log = events
            try CheckRun(config: config, dryRun: request.dryRun, log: events).runAndPublish()
            return .ok
        } catch {
            if let log { log.error(error.message) } else { Output.err("mon_memcg: \(error.message)\n") }
            return error.status
        }
    }
}

/// The body of a check, with its collaborators passed in.
struct CheckRun {
    var config: Config
    var dryRun: Bool
    var log: EventLog
    /// What the check saw and did, for the metrics file and `watch`.
    var record: CheckRecord

    init(config: Config, dryRun: Bool, log: EventLog) {
        self.config = config
        self.dryRun = dryRun
        self.log = log
        self.record = CheckRecord(counting: config.metricsFile != nil)
    }

    func run() throws(Failure) {
        let started = MonotonicClock.nowMilliseconds()
        // Writing the kernel's reclaim file and the state needs root; say so
        // once, up front, instead of failing half-way with EACCES.
        if !dryRun, geteuid() != 0 {
            throw Failure(status: .notRoot, message: "mon_memcg check must run as root (it writes the target's \(KernelFile.forceEmpty) or \(KernelFile.reclaim), and \(config.stateFile)); run it with sudo, or use 'mon_memcg status' or 'mon_memcg check --dry-run' as any user")
        }
        let store = StateStore(path: config.stateFile)

        // One run at a time. A dry run writes nothing, not even the lock.
        let lock = RunLock(path: config.lockFile)
        if !dryRun {
            do {
                guard try lock.tryLock() else {
                    log.info("another mon_memcg run holds \(config.lockFile); this run does nothing")
                    return
                }
            } catch {
                throw Failure(status: .stateError, message: error.description)
            }
            record.locked = true
        }

        let host: MemcgHost
        let node: NodeObservation
        let targetPath: String
        let current: Bytes
        do {
            host = try MemcgHost.detect(config: config)
            node = try host.observeNode()
            targetPath = try host.resolveTarget(config.target)
            current = try host.targetUsage(at: targetPath)
        } catch {
            throw Failure(status: error.exitStatus, message: error.description)
        }

        let loaded = store.load()
        record.observed(node: node, current: current, globalThreshold: config.policy.globalThreshold(watermark: node.watermark), state: loaded.state)
        if case .unusable(let why) = loaded {
            log.info("state file unusable (\(why)); starting with no last value")
        }
        let decision = decide(node: node, current: current, last: loaded.state.last ?? .zero, policy: config.policy)
        record.decision = decision
        let seedPath = SeedLog.targetPath(cgroupRoot: host.cgroupRoot, target: config.target)
        for line in SeedLog.preamble(for: decision, targetPath: seedPath) { log.info(line) }

        switch decision.action {
        case .reclaim where host.hierarchy == .v2:
            let dying = DyingReclaimRun(config: config, dryRun: dryRun, log: log, targetPath: targetPath, runStarted: started, hierarchy: host.hierarchy)
            try reclaimV2(host: host, store: store, targetPath: targetPath, decision: decision, state: loaded.state, dying: dying)
        case .reclaim:
            let dying = DyingReclaimRun(config: config, dryRun: dryRun, log: log, targetPath: targetPath, runStarted: started, hierarchy: host.hierarchy)
            try reclaim(host: host, store: store, targetPath: targetPath, before: current,
                        dying: dying, decision: decision, state: loaded.state)
        case .lowerLast:
            if dryRun {
                log.info("dry-run: would have changed last usage mem \(decision.last) -> \(current) (mem usage decline)")
            } else {
                log.info(SeedLog.decline(from: decision.last, to: current))
                try save(store, RunState(last: current, lastDropCaches: loaded.state.lastDropCaches))
            }
        case .skipGrowthBelowThreshold, .nothing:
            if dryRun {
                log.info("dry-run: \(decision.reason)")
            } else if decision.action == .skipGrowthBelowThreshold, record.counting {
                record.counters.recordSkip()
                try save(store, loaded.state)  // last unchanged; the skip counted
            } else if case .unusable = loaded {
                // Replace the bad file now so the next run starts clean.
                try save(store, RunState(last: nil))
            }
        }
    }

    private func reclaim(host: MemcgHost, store: StateStore, targetPath: String, before: Bytes,
                         dying: DyingReclaimRun, decision: Decision, state: RunState) throws(Failure) {
        let file = "\(targetPath)/\(KernelFile.forceEmpty)"
        let dyingBefore = dying.measure("before reclaim")
        record.dying = dyingBefore
        if dryRun {
            log.info("dry-run: would have written 1 to \(file), then stored the usage after it as last")
            dying.planDryRun(decision: decision, dying: dyingBefore, lastDropCaches: state.lastDropCaches)
            return
        }
        let outcome: ReclaimOutcome
        do {
            outcome = try ForceEmpty.reclaim(cgroupPath: targetPath, deadlineMilliseconds: config.reclaimTimeoutMilliseconds)
        } catch {
            throw Failure(status: .reclaimFailed, message: error.description)
        }
        let after: Bytes
        do {
            after = try host.targetUsage(at: targetPath)
        } catch {
            throw Failure(status: error.exitStatus, message: "after reclaim: \(error)")
        }
        log.info(SeedLog.afterReclaim)
        log.info(SeedLog.usageAfter(after))
        record.reclaimed(outcome, freed: before - after)
        // A stop signal (mon_memcg watch) or the deadline: say which.
        let stopCause = StopSignal.received.map { "by \(StopSignal.name($0)): stopping" }
        switch outcome {
        case .completed(let ms):
            log.info("reclaim took \(seconds(ms)) s, freed \(before - after) bytes")
        case .interrupted(let ms):
            log.info("reclaim interrupted after \(seconds(ms)) s, current \(after), freed \(before - after) bytes (\(stopCause ?? "reclaim_timeout \(seconds(config.reclaimTimeoutMilliseconds)) s"))")
        }
        try save(store, RunState(last: after, lastDropCaches: state.lastDropCaches))

        try escalateDying(host: host, store: store, targetPath: targetPath, dying: dying, after: after, state: state)
        if case .interrupted(let ms) = outcome {
            throw Failure(status: .reclaimInterrupted, message: "reclaim of \(file) interrupted after \(seconds(ms)) s (\(stopCause ?? "reclaim_timeout")); the usage after it was recorded")
        }
    }

    /// Dying cgroups, on both hierarchies: measured after every reclaim
    /// (also an interrupted one); escalated when the reclaim left memory
    /// short and they still hold growth_threshold. `after` has been saved
    /// as `last` already; an escalation that ran stores the usage after it.
    /// Not when mon_memcg watch is stopping.
    func escalateDying(host: MemcgHost, store: StateStore, targetPath: String, dying: DyingReclaimRun,
                       after: Bytes, state: RunState) throws(Failure) {
        guard StopSignal.received == nil else { return }
        let dyingAfter = dying.measure("after reclaim")
        record.dying = dyingAfter ?? record.dying
        let escalated = try dying.escalate(host: host, dyingAfterReclaim: dyingAfter, lastDropCaches: state.lastDropCaches) { stamp throws(Failure) in
            try save(store, RunState(last: after, lastDropCaches: stamp))
        }
        record.escalated(steps: escalated.stepsRun.count)
        guard !escalated.stepsRun.isEmpty else { return }
        let now: Bytes
        do {
            now = try host.targetUsage(at: targetPath)
        } catch {
            throw Failure(status: error.exitStatus, message: "after dying reclaim: \(error)")
        }
        let usage = host.hierarchy == .v2 ? "memory.current" : "total_rss+total_cache"
        log.info("mem usage \(usage) after dying reclaim \(now), stored as last")
        try save(store, RunState(last: now, lastDropCaches: escalated.lastDropCaches))
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

extension KernelError {
    var exitStatus: ExitStatus {
        switch self {
        case .targetMissing, .targetEscapes: .targetMissing
        case .unreadable, .malformed, .noMemoryController, .noMemoryMount: .kernelError
        }
    }
}
