import MemcgCore
import MemcgKernel

/// `mon_memcg watch`: the check as a daemon that wakes when the kernel
/// reports the crossing, instead of every 20 s from a timer.
///
/// Single-threaded on purpose: poll(2) waits on the signalfd, the kernel's
/// wake source and the schedule's timeout; the check runs on the same
/// thread, where the reclaim deadline (a thread-directed SIGALRM) and the
/// stop handler (`WatchSignals`) can interrupt its write. Each readiness
/// source has its own handler; `WatchSchedule` decides when to check.
/// The one other thread is the v1 lever's let-go watch between wake-ups
/// (`LimitWatch`, memory_limit = on only): it reads the target's files and
/// may write its limit's original back, blocks every signal, and is
/// stopped before each check, reload and stop.
public final class WatchDaemon {
    /// Read again on SIGHUP: the same file and overrides.
    private let settings: SettingsRequest
    private var config: Config
    /// Found at start and on reload; found again before a check only while
    /// it could not be found.
    private var controller: DetectedController
    private var log: EventLog
    private let console: any Console
    private var wake: (any WakeSource)?
    private var wakeups: [WakeReason: Int64] = [:]
    private var checkProblems = Repeats()
    private var metricsProblems = Repeats()
    private var armProblems = Repeats()
    private let service: WatchService
    private let trace: Trace
    private var reclaimsSinceStart = 0
    private var heartbeat = HeartbeatRecorder()
    /// How fast available falls between wake-ups (`FallRate`): the
    /// near-threshold poll and a held episode's steps are sized with it.
    private var fall = FallRate()
    /// How long the recent reclaims took (`StepLengths`): the poll wakes
    /// their median before the line, and a held wake-up reclaims ahead
    /// within it.
    private var stepLengths = StepLengths()
    /// The last held episode as `HoldEpisode.remembered` keeps it (nil:
    /// none to remember): one its bounds ended, or one that recovered by
    /// amount, goes on at a later wake-up that finds the node short where
    /// the growth rule would skip (`HoldEpisode.continues`).
    private var previousHold: HoldMemory?
    /// The v1 lever (memory_limit = on) as the last check that held the
    /// run lock left it, and the thread that watches it for the let-go
    /// until the next check (`LimitWatch`): v1 kills at its limit, and
    /// between wake-ups this thread is asleep in poll(2).
    private var engagedLever: LeverRecord?
    private var limitWatch: LimitWatch?

    /// The whole command: its start (`RunStart`: settings, controller, root
    /// check), then the daemon until it stops.
    public static func execute(_ request: SettingsRequest, console: any Console) -> ExitStatus {
        switch RunStart.begin(request, command: "watch", writes: true, console: console) {
        case .refused(let status): return status
        case .ready(let config, let controller):
            return WatchDaemon(settings: request, config: config, controller: controller, console: console).run()
        }
    }

    /// `controller`: the one found for `config` at start (found again on
    /// reload, and before a check while it could not be found).
    public init(settings: SettingsRequest, config: Config, controller: DetectedController, console: any Console) {
        self.settings = settings
        self.config = config
        self.controller = controller
        self.console = console
        self.log = EventLog(path: config.logFile, console: console)
        self.trace = Trace(console: console)
        self.service = WatchService()
    }

    /// One thing poll(2) waits on, and what to do when it is ready: nil to
    /// go on, an exit status to stop the daemon.
    private struct Readiness {
        var fd: Int32
        var events: Int16
        var handle: () -> ExitStatus?
    }

    public func run() -> ExitStatus {
        let signals: WatchSignals
        do {
            signals = try WatchSignals()
        } catch {
            log.error(LogLines.watchCannotStart("\(error)"))
            return .internalError
        }
        log.info(LogLines.watchStarted(pid: CurrentProcess.id, eventSource: eventSource, pollMilliseconds: config.pollIntervalMilliseconds))
        // What a killed daemon left engaged, before anything else is decided.
        LeverRestore.leftover(config: config, controller: controller, log: log, .leftover)
        switch MemoryLock.lockAll() {
        case .locked: log.info(LogLines.memoryLocked)
        case .disabled: log.info(LogLines.memoryLockDisabled)
        case .refused(let problem): log.error(LogLines.memoryLockRefused("\(problem)"))
        }
        service.connect(log: log)

        var schedule = WatchSchedule(now: MonotonicClock.nowMilliseconds())
        while true {
            var sources = [Readiness(fd: signals.fd, events: Poll.readable) { [unowned self] in
                self.handleSignals(signals, schedule: &schedule)
            }]
            if let limitWatch {
                // It stopped by itself (a let-go): logged when it happened.
                sources.append(Readiness(fd: limitWatch.finished, events: Poll.readable) { [unowned self] in
                    self.stopLimitWatch()
                    return nil
                })
            }
            if let wake {
                sources.append(Readiness(fd: wake.fd, events: wake.events) {
                    // Only when poll(2) reported it: a PSI trigger's event is
                    // consumed by poll itself, so its drain() cannot tell.
                    if wake.drain() { schedule.request(wake.reason) }
                    return nil
                })
            }
            let wakeAt = service.nextPing.map { min($0, schedule.dueAt) } ?? schedule.dueAt
            let ready = Poll.wait(sources.map { ($0.fd, $0.events) }, timeoutMilliseconds: wakeAt - MonotonicClock.nowMilliseconds())
            service.pingIfDue(log: log)
            for (source, isReady) in zip(sources, ready) where isReady {
                if let status = source.handle() { return status }
            }
            guard let reason = schedule.take(now: MonotonicClock.nowMilliseconds()) else { continue }

            wakeups[reason, default: 0] += 1
            trace("wake \(reason.rawValue)")
            // Alive right before a check, so the watchdog's limit only has
            // to cover one check (bounded by reclaim_timeout).
            service.ping(log: log)
            // The check runs its own let-go test and, while it reclaims, its own thread.
            stopLimitWatch()
            let outcome = check(signals)
            heartbeat.beat(config: config, log: log)
            let ended = MonotonicClock.nowMilliseconds()
            if let signo = StopRequest.signal { return stop(signo, interruptedReclaim: outcome.interruptedByStop) }
            // A check that did not get the lock (another run holds it)
            // leaves the record as the last one that did: that run may
            // restore the limit meanwhile, which the thread then sees.
            if outcome.record.locked { engagedLever = outcome.record.lever }
            startLimitWatch()
            let node = arm(after: outcome.record, schedule: &schedule)
            measure(outcome.record, nodeAfter: node)
            if outcome.record.decision?.action == .reclaim || outcome.record.held?.ahead == true { reclaimsSinceStart += 1 }
            service.checked(WatchService.statusLine(outcome.record, failed: outcome.failed, reclaims: reclaimsSinceStart, events: wake != nil), log: log)
            // Sooner than poll_interval while memory is close to short
            // (WatchArming.pollDelayMilliseconds, at the measured fall
            // rate): a "near" wake-up, early by a step's time when holding.
            var delay = config.pollIntervalMilliseconds
            if trace.adaptivePoll, let node {
                delay = WatchArming.pollDelayMilliseconds(node: node, policy: config.policy, pollIntervalMilliseconds: delay,
                                                          fallPerSecond: fall.perSecond,
                                                          leadMilliseconds: config.hold == .on ? stepLengths.lead : 0)
            }
            // An episode its bounds ended left the node short: the next
            // one starts after the shortest poll, not poll_interval later.
            // (A first reclaim cut by reclaim_timeout fails the check, exit
            // 6, and is such an episode: CheckRun.act records it.)
            previousHold = HoldEpisode.remembered(previous: previousHold, held: outcome.record.held?.memory,
                                                  decision: outcome.record.decision, hysteresis: config.holdHysteresis)
            if HoldEpisode.endedOnBound(outcome.record.held?.stop) { delay = min(delay, WatchArming.minimumPollMilliseconds) }
            schedule.checked(reason, endedAt: ended, pollDelayMilliseconds: delay, pollIntervalMilliseconds: config.pollIntervalMilliseconds)
        }
    }

    /// The fall rate from this wake-up's reading of the node; a reclaim's
    /// rise is this daemon's own doing, so the reading after it restarts
    /// the measurement instead of counting as a negative fall.
    private func measure(_ record: CheckRecord, nodeAfter: NodeObservation?) {
        if let snapshot = record.snapshot { fall.observe(available: snapshot.node.available, atMilliseconds: snapshot.takenAt) }
        defer { trace("fall \(fall.perSecond) bytes/s lead \(stepLengths.lead) ms") }
        guard record.wrote else { return }
        if let ms = record.lastReclaimMilliseconds { stepLengths.record(ms) }
        if let node = nodeAfter {
            fall.restart(available: node.available, atMilliseconds: MonotonicClock.nowMilliseconds())
        } else if let after = record.nodeAfter {
            fall.restart(available: after.node.available, atMilliseconds: after.at)
        }
    }

    /// The let-go watch between wake-ups, while the v1 lever is engaged.
    private func startLimitWatch() {
        guard let record = engagedLever, config.leverMode(record.lever) == .on, case .success(let controller) = controller else { return }
        limitWatch = LimitWatch.start(record, targetPath: record.target, controller: controller, mode: .letGoOnly(record),
                                      when: "between wake-ups", since: "after the last check", log: log)
    }

    private func stopLimitWatch() {
        limitWatch?.stop(log: log)
        limitWatch = nil
    }

    /// SIGHUP reloads and asks for a check; SIGTERM/SIGINT stop the daemon.
    private func handleSignals(_ signals: WatchSignals, schedule: inout WatchSchedule) -> ExitStatus? {
        for signo in signals.take() {
            guard signo == StopSignal.reloadSignal else { return stop(signo, interruptedReclaim: false) }
            service.reloading(log: log)
            reload()
            service.reloaded(log: log)
            schedule.request(.reload)
        }
        return nil
    }

    /// Where the kernel events come from, for the log.
    private var eventSource: String {
        guard case .success(let controller) = controller else {
            return HierarchyWords.eventSource(undetected: config.cgroupRoot)
        }
        return controller.words.eventSource(controller.eventSourcePath)
    }

    /// The controller, found again when it could not be found before.
    private func detectedController() -> DetectedController {
        if case .failure = controller { controller = MemoryControllers.detected(config: config) }
        return controller
    }

    /// The oneshot's check, with SIGTERM/SIGINT allowed to interrupt it.
    private func check(_ signals: WatchSignals) -> (record: CheckRecord, interruptedByStop: Bool, failed: Bool) {
        let run = CheckRun(config: config, dryRun: false, log: log, controller: detectedController(),
                           hold: HoldContext(fall: fall, leadMilliseconds: stepLengths.lead, previous: previousHold))
        var metricsFailed = false
        signals.allowStop()
        let (record, failure) = run.runAndPublish(wakeups: wakeups) { problem in
            metricsFailed = true
            self.metricsProblems.report(problem, to: self.log)
        }
        signals.holdStop()
        defer {
            if config.metricsFile != nil, record.locked, !metricsFailed {
                metricsProblems.resolved(to: log, LogLines.metricsWrittenAgain)
            }
        }
        guard let error = failure else {
            checkProblems.resolved(to: log, LogLines.checksSucceedAgain)
            trace("checked \(Self.traced(record) ?? "nothing (lock held)")")
            return (record, false, false)
        }
        if StopRequest.signal != nil {
            log.error(error.message)
            return (record, error.status == .reclaimInterrupted, true)
        }
        checkProblems.report(error.message, to: log)
        trace("checked \(Self.traced(record) ?? "nothing") and failed: \(error.message)")
        return (record, false, true)
    }

    /// The check's action for the trace: a reclaim ahead of the line
    /// (`hold`) is a reclaim the decision alone does not show, and the soak
    /// counts crossings answered from `checked reclaim`.
    private static func traced(_ record: CheckRecord) -> String? {
        if record.held?.ahead == true { return "reclaim ahead" }
        return record.decision.map { "\($0.action)" }
    }

    /// Registers the wake source for the current state of the node; asks
    /// for a check at once when usage crossed a level while it was being
    /// registered. Returns the observation it used: the check's, unless the
    /// check wrote to the kernel (or did not get as far as reading the node).
    private func arm(after record: CheckRecord, schedule: inout WatchSchedule) -> NodeObservation? {
        let controller: any MemoryController
        let node: NodeObservation
        do {
            controller = try detectedController().get()
            node = try record.nodeUnchanged ?? controller.observeNode()
        } catch {
            wake = nil
            armProblems.report(LogLines.wakeOffUntilNextCheck("\(error)"), to: log)
            return nil
        }
        do {
            let arming = try controller.armWake(replacing: wake, node: node, policy: config.policy, growthSoFar: record.growthSinceLast)
            wake = arming.source
            guard arming.changed else { return node }
            trace("arm \(arming.trace)")
            if controller.words.wakeUnavailableIsError {
                armProblems.resolved(to: log, LogLines.wakeWorksAgain("\(controller.words.wakeEvents) on \(arming.source.watchedPath)"))
            } else {
                armProblems.resolvedQuietly()
                log.info(LogLines.wakeArmed(arming.source.description))
            }
            if arming.crossedWhileArming { schedule.request(.threshold) }
        } catch {
            wake = nil
            armProblems.report(LogLines.wakeUnavailable("\(error)", words: controller.words, pollMilliseconds: config.pollIntervalMilliseconds),
                               to: log, asError: controller.words.wakeUnavailableIsError)
        }
        return node
    }

    /// SIGHUP: the configuration again (file and the same command-line
    /// overrides), and a fresh log (logrotate moved the old one).
    private func reload() {
        // Undone under the settings that engaged it: the new ones may name
        // another target or state file, or turn the lever off.
        stopLimitWatch()
        engagedLever = nil
        LeverRestore.leftover(config: config, controller: controller, log: log, .reloading)
        do {
            let fresh = try Settings.load(settings)
            config = fresh
            controller = MemoryControllers.detected(config: fresh)
            log = EventLog(path: fresh.logFile, console: console)
            wake = nil  // cgroup_root or thresholds may have changed: re-arm after the next check
            armProblems = Repeats()
            log.info(LogLines.watchReloaded(eventSource: eventSource, pollMilliseconds: fresh.pollIntervalMilliseconds))
        } catch {
            log = EventLog(path: config.logFile, console: console)
            log.error(LogLines.watchReloadRefused(error.message))
        }
    }

    private func stop(_ signo: Int32, interruptedReclaim: Bool) -> ExitStatus {
        service.stopping(log: log)
        Interruption.quiet()
        wake = nil
        stopLimitWatch()
        LeverRestore.leftover(config: config, controller: controller, log: log, .stopping(signal: StopSignal.name(signo)))
        log.info(LogLines.watchStopped(signal: StopSignal.name(signo), interruptedReclaim: interruptedReclaim))
        return .ok
    }
}
