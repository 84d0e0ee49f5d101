#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import MemcgCore
import MemcgKernel

/// `mon_memcg watch`: the check as a daemon that wakes when the kernel
/// reports the crossing, instead of every 20 s from a timer.
struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Run until stopped, checking when root usage crosses the threshold (a kernel event) and every poll_interval.",
        discussion: """
        The alternative to mon_memcg.timer (mon_memcg-watch.service). On cgroup v1 it registers an \
        eventfd with the root cgroup's cgroup.event_control for the memory.usage_in_bytes level at \
        which kubelet's available memory would fall below global thresh (MemTotal - global thresh + \
        total_inactive_file), re-armed after every check as total_inactive_file and the watermark \
        move, and checks at least every poll_interval (default 5s). Each wake-up runs exactly the \
        oneshot's check: same decision, log lines, state file and lock, so the timer and the daemon \
        can replace each other without losing last. Without kernel events (a fixture tree, a kernel \
        without them) it only polls. On cgroup v2, which has no usage thresholds, it arms a PSI trigger on \
        /proc/pressure/memory instead (some 300000 2000000: 300 ms of memory stall within 2 s) and \
        checks when it fires; a kernel without PSI leaves the polls. SIGTERM or SIGINT stop it, interrupting a reclaim in progress; SIGHUP \
        reloads the configuration (a bad one is refused and the previous one kept) and reopens the log. \
        Under systemd (Type=notify, mon_memcg-watch.service) it reports through NOTIFY_SOCKET: READY=1 \
        after the first check, a STATUS= line after every check, WATCHDOG=1 pings when WatchdogSec= is set.
        """)

    @OptionGroup var options: SharedOptions

    func run() throws {
        let settings = options.settings
        let config: Config
        do {
            config = try Settings.load(settings)
        } catch {
            Output.err("mon_memcg: \(error.message)\n")
            throw ExitCode(error.status.rawValue)
        }
        let status = WatchDaemon(settings: settings, config: config).run()
        if status != .ok { throw ExitCode(status.rawValue) }
    }
}

/// The daemon's loop. Single-threaded on purpose: poll(2) waits on the
/// signalfd, the threshold eventfd and the poll timeout; the check runs on
/// the same thread, where the reclaim deadline (a thread-directed SIGALRM)
/// and the stop handler (`WatchSignals`) can interrupt its write.
final class WatchDaemon {
    /// A threshold wake-up closer than this to the end of the previous check
    /// that a threshold event started waits for it: a bound on checks per
    /// second whatever the kernel sends. Wake-ups after a poll's check are
    /// not delayed (the polls are already bounded).
    static let minimumGapMilliseconds: Int64 = 100

    /// Read again on SIGHUP: the same file and overrides.
    private let settings: SettingsRequest
    private var config: Config
    private var log: EventLog
    private var wake: (any WakeSource)?
    private var wakeups: [String: Int64] = [:]
    private var checkProblems = Repeats()
    private var metricsProblems = Repeats()
    private var armProblems = Repeats()
    /// systemd's notification socket (`Type=notify`), if started with one.
    private var notifier: ServiceNotifier?
    private var notifyProblems = Repeats()
    private var reclaimsSinceStart = 0
    private var heartbeat = HeartbeatRecorder()

    init(settings: SettingsRequest, config: Config) {
        self.settings = settings
        self.config = config
        self.log = EventLog(path: config.logFile, echo: false)
    }

    func run() -> ExitStatus {
        let signals: WatchSignals
        do {
            signals = try WatchSignals()
        } catch {
            log.error("watch cannot start: \(error)")
            return .internalError
        }
        log.info("watch started (pid \(getpid())): checks on \(Self.eventSource(config)) and every \(seconds(config.pollIntervalMilliseconds)) s")
        let service = ServiceNotify.from(notifySocket: environment("NOTIFY_SOCKET"), watchdogUsec: environment("WATCHDOG_USEC"),
                                         watchdogPid: environment("WATCHDOG_PID"), pid: getpid())
        if let problem = service.problem { log.error("cannot tell systemd this service is ready: \(problem)") }
        if let socket = service.socket {
            do {
                notifier = try ServiceNotifier(socket: socket)
            } catch {
                log.error("cannot tell systemd this service is ready: \(error)")
            }
        }
        // Under WatchdogSec=, the loop wakes at least this often to say it is
        // alive; a check longer than the unit's WatchdogSec= gets it killed.
        let ping = notifier == nil ? nil : service.watchdogPingMilliseconds
        var nextPing = MonotonicClock.nowMilliseconds() + (ping ?? 0)
        var ready = false

        var pending: String? = "start"
        var lastCheckEnd = Int64.min / 2
        var lastEventCheckEnd = Int64.min / 2
        var nextPoll = MonotonicClock.nowMilliseconds()
        var nearPoll = false
        while true {
            let now = MonotonicClock.nowMilliseconds()
            let due = pending != nil ? lastEventCheckEnd + Self.minimumGapMilliseconds : nextPoll
            var fds = [(fd: signals.fd, events: Int16(POLLIN))]
            if let wake { fds.append((wake.fd, wake.events)) }
            let wakeAt = ping == nil ? due : min(due, nextPing)
            let readable = Poll.wait(fds, timeoutMilliseconds: wakeAt - now)
            if let ping, MonotonicClock.nowMilliseconds() >= nextPing {
                notify("WATCHDOG=1")
                nextPing = MonotonicClock.nowMilliseconds() + ping
            }

            if readable[0] {
                for signo in signals.take() {
                    if signo == SIGHUP {
                        if ready { notify("RELOADING=1\nMONOTONIC_USEC=\(MonotonicClock.nowMicroseconds())") }
                        reload()
                        if ready { notify("READY=1") }
                        pending = pending ?? "reload"
                    } else {
                        return stop(signo, interruptedReclaim: false)
                    }
                }
            }
            // Only when poll(2) reported it: a PSI trigger's event is consumed
            // by poll itself, so its drain() cannot tell.
            if readable.count > 1, readable[1], let wake, wake.drain() { pending = wake is PressureTrigger ? "pressure" : "threshold" }
            let t = MonotonicClock.nowMilliseconds()
            if pending == nil, t >= nextPoll { pending = nearPoll ? "near" : "poll" }
            guard let reason = pending, !Self.isEvent(reason) || t >= lastEventCheckEnd + Self.minimumGapMilliseconds else { continue }
            pending = nil

            wakeups[reason, default: 0] += 1
            trace("wake \(reason)")
            // Alive right before a check, so the watchdog's limit only has
            // to cover one check (bounded by reclaim_timeout).
            if let ping {
                notify("WATCHDOG=1")
                nextPing = MonotonicClock.nowMilliseconds() + ping
            }
            let outcome = check(signals)
            heartbeat.beat(config: config, log: log)
            lastCheckEnd = MonotonicClock.nowMilliseconds()
            if Self.isEvent(reason) { lastEventCheckEnd = lastCheckEnd }
            if let signo = StopSignal.received { return stop(signo, interruptedReclaim: outcome.interruptedByStop) }
            let armed = arm(after: outcome.record)
            if armed.crossed { pending = "threshold" }
            // Ready once the first check ran and the kernel events are armed
            // (or known to be unavailable): then the service protects the node.
            if outcome.record.decision?.action == .reclaim { reclaimsSinceStart += 1 }
            let status = "STATUS=" + Self.statusLine(outcome.record, failed: outcome.failed, reclaims: reclaimsSinceStart, events: wake != nil)
            notify(ready ? status : "READY=1\n" + status)
            ready = true
            // Sooner than poll_interval while memory is close to short
            // (WatchArming.pollDelayMilliseconds): a "near" wake-up.
            var delay = config.pollIntervalMilliseconds
            if adaptivePoll, let node = armed.node {
                delay = WatchArming.pollDelayMilliseconds(node: node, policy: config.policy, pollIntervalMilliseconds: delay)
            }
            nearPoll = delay < config.pollIntervalMilliseconds
            nextPoll = lastCheckEnd + delay
        }
    }

    /// Where the kernel events come from, for the log: v1's usage
    /// thresholds or v2's PSI trigger.
    private static func eventSource(_ config: Config) -> String {
        let host = try? MemcgHost.detect(config: config)
        return host?.hierarchy == .v2
            ? "memory pressure events from \(config.procRoot)/\(KernelFile.pressureMemory)"
            : "threshold events from \(host?.cgroupRoot ?? config.cgroupRoot)/\(KernelFile.eventControl)"
    }

    /// Wake-ups the kernel sends (rate-limited by `minimumGapMilliseconds`).
    private static func isEvent(_ reason: String) -> Bool { reason == "threshold" || reason == "pressure" }

    /// The oneshot's check, with SIGTERM/SIGINT allowed to interrupt it.
    private func check(_ signals: WatchSignals) -> (record: CheckRecord, interruptedByStop: Bool, failed: Bool) {
        let run = CheckRun(config: config, dryRun: false, log: log)
        var metricsFailed = false
        signals.allowStop()
        defer {
            signals.holdStop()
            if config.metricsFile != nil, run.record.locked, !metricsFailed {
                metricsProblems.resolved(to: log, "metrics_file is written again")
            }
        }
        do {
            try run.runAndPublish(wakeups: wakeups) { problem in
                metricsFailed = true
                self.metricsProblems.report(problem, to: self.log)
            }
            checkProblems.resolved(to: log, "checks succeed again")
            trace("checked \(run.record.decision.map { "\($0.action)" } ?? "nothing (lock held)")")
            return (run.record, false, false)
        } catch {
            if StopSignal.received != nil {
                log.error(error.message)
                return (run.record, error.status == .reclaimInterrupted, true)
            }
            checkProblems.report(error.message, to: log)
            trace("checked \(run.record.decision.map { "\($0.action)" } ?? "nothing") and failed: \(error.message)")
            return (run.record, false, true)
        }
    }

    /// Registers the thresholds for the current state of the node. Returns
    /// the observation it used, and whether usage crossed a threshold while
    /// it was being registered.
    private func arm(after record: CheckRecord) -> (node: NodeObservation?, crossed: Bool) {
        let host: MemcgHost
        let node: NodeObservation
        do {
            host = try MemcgHost.detect(config: config)
            node = try host.observeNode()
        } catch {
            wake = nil
            armProblems.report("threshold events off until the next check: \(error)", to: log)
            return (nil, false)
        }
        guard host.hierarchy == .v1 else {
            // v2 has no usage thresholds: a PSI trigger on the node's memory
            // pressure (PressureTrigger says why not memory.events). It does
            // not depend on the observation, so it is armed once and kept.
            if let current = wake as? PressureTrigger, current.path == host.procPath(KernelFile.pressureMemory) {
                return (node, false)
            }
            do {
                let trigger = try PressureTrigger(procRoot: host.procRoot)
                wake = trigger
                armProblems.resolvedQuietly()
                log.info("armed the \(trigger.description)")
                trace("arm \(trigger.specification) available \(node.available)")
            } catch {
                wake = nil
                // Not an error: a kernel without PSI is supported, by polling.
                armProblems.report("no memory pressure events (\(error)); checking every \(seconds(config.pollIntervalMilliseconds)) s only", to: log, asError: false)
            }
            return (node, false)
        }
        let levels = WatchArming.thresholds(node: node, policy: config.policy, growthSoFar: record.growthSinceLast)
        if let current = wake as? UsageThresholdEvent, current.thresholds == levels, current.cgroupPath == host.cgroupRoot {
            return (node, false)
        }
        trace("arm \(levels.map { String($0.value) }.joined(separator: ",")) usage \(node.rootUsage) available \(node.available)")
        do {
            // The new registration first: the old one still watches until it is replaced.
            wake = try UsageThresholdEvent(cgroupPath: host.cgroupRoot, thresholds: levels)
            armProblems.resolved(to: log, "threshold events on \(host.cgroupRoot)/\(KernelFile.usageInBytes) work again")
        } catch {
            wake = nil
            armProblems.report("no threshold events (\(error)); checking every \(seconds(config.pollIntervalMilliseconds)) s only", to: log)
            return (node, false)
        }
        guard let text = try? FileIO.read("\(host.cgroupRoot)/\(KernelFile.usageInBytes)"),
              let usage = try? CounterFile.parse(text) else { return (node, false) }
        return (node, WatchArming.crossedWhileArming(usage: usage, thresholds: levels))
    }

    /// SIGHUP: the configuration again (file and the same command-line
    /// overrides), and a fresh log (logrotate moved the old one).
    private func reload() {
        do {
            let fresh = try Settings.load(settings)
            config = fresh
            log = EventLog(path: fresh.logFile, echo: false)
            wake = nil  // cgroup_root or thresholds may have changed: re-arm after the next check
            armProblems = Repeats()
            log.info("reloaded the configuration on SIGHUP and reopened the log; checks on \(Self.eventSource(fresh)) and every \(seconds(fresh.pollIntervalMilliseconds)) s")
        } catch {
            log = EventLog(path: config.logFile, echo: false)
            log.error("reload on SIGHUP refused, keeping the previous configuration: \(error.message)")
        }
    }

    private func stop(_ signo: Int32, interruptedReclaim: Bool) -> ExitStatus {
        notify("STOPPING=1")
        StopSignal.quiet()
        wake = nil
        log.info("watch stopped on \(StopSignal.name(signo))\(interruptedReclaim ? " (the reclaim in progress was interrupted; the usage after it was recorded)" : "")")
        return .ok
    }
}

extension WatchDaemon {
    /// One sd_notify(3) message; a failure is logged once, not at every ping.
    fileprivate func notify(_ message: String) {
        guard let notifier else { return }
        do {
            try notifier.send(message)
            notifyProblems.resolved(to: log, "notifying systemd works again")
        } catch {
            notifyProblems.report("\(error)", to: log)
        }
    }

    /// What `systemctl status mon_memcg-watch` shows: the last check's
    /// numbers and decision.
    static func statusLine(_ record: CheckRecord, failed: Bool, reclaims: Int, events: Bool) -> String {
        let waking = events ? "on kernel events and polls" : "on polls only"
        if failed { return "the last check failed (see the log); checking \(waking)" }
        guard let decision = record.decision else {
            return "another mon_memcg run held the lock at the last check; checking \(waking)"
        }
        let verdict = switch decision.action {
        case .reclaim: "short: reclaimed the target"
        case .skipGrowthBelowThreshold: "short, but the target grew less than growth_threshold: skipped"
        case .lowerLast, .nothing: "not short"
        }
        return "available \(decision.available.humanReadable) (global thresh \(decision.globalThreshold.humanReadable)): \(verdict); \(reclaims) reclaims since start; checking \(waking)"
    }
}

private func environment(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}

/// `MON_MEMCG_ADAPTIVE_POLL=0`: poll every poll_interval even near the
/// threshold, so tests and benchmarks can measure the kernel event alone.
private let adaptivePoll = environment("MON_MEMCG_ADAPTIVE_POLL").map { $0 != "0" } ?? true

/// `MON_MEMCG_TRACE=1`: one stderr line per wake-up and arming, with
/// CLOCK_MONOTONIC milliseconds, for debugging and the benchmarks.
private let tracing = environment("MON_MEMCG_TRACE") == "1"

private func trace(_ message: @autoclosure () -> String) {
    guard tracing else { return }
    Output.err("trace \(MonotonicClock.nowMilliseconds()) \(message())\n")
}

/// A failure that repeats at every wake-up is logged once, and once more
/// when it ends, with how often it recurred in between.
struct Repeats {
    private var current: String?
    private var count = 0

    mutating func report(_ message: String, to log: EventLog, asError: Bool = true) {
        if message == current {
            count += 1
            return
        }
        current = message
        count = 0
        if asError { log.error(message) } else { log.info(message) }
    }

    mutating func resolved(to log: EventLog, _ message: String) {
        guard current != nil else { return }
        log.info(count > 0 ? "\(message) (the last error repeated \(count) more times)" : message)
        resolvedQuietly()
    }

    mutating func resolvedQuietly() {
        current = nil
        count = 0
    }
}
