import MemcgCore
import MemcgKernel

/// `watch` under systemd (`Type=notify`): READY=1 after the first check,
/// a STATUS= line after every check, WATCHDOG=1 pings when WatchdogSec= is
/// set, RELOADING=1/READY=1 around a reload, STOPPING=1. Without
/// NOTIFY_SOCKET every call does nothing.
final class WatchService {
    private var notifier: ServiceNotifier?
    private var problems = Repeats()
    private var ready = false
    /// Under WatchdogSec=, the loop wakes at least this often to say it is
    /// alive; a check longer than the unit's WatchdogSec= gets it killed.
    private var pingMilliseconds: Int64?
    private(set) var nextPing: Int64?

    func connect(log: EventLog) {
        let service = ServiceNotify.from(notifySocket: CurrentProcess.environment("NOTIFY_SOCKET"),
                                         watchdogUsec: CurrentProcess.environment("WATCHDOG_USEC"),
                                         watchdogPid: CurrentProcess.environment("WATCHDOG_PID"), pid: CurrentProcess.id)
        if let problem = service.problem { log.error(LogLines.cannotNotify(problem)) }
        guard let socket = service.socket else { return }
        do {
            notifier = try ServiceNotifier(socket: socket)
        } catch {
            log.error(LogLines.cannotNotify("\(error)"))
            return
        }
        pingMilliseconds = service.watchdogPingMilliseconds
        nextPing = pingMilliseconds.map { MonotonicClock.nowMilliseconds() + $0 }
    }

    func pingIfDue(log: EventLog) {
        if let nextPing, MonotonicClock.nowMilliseconds() >= nextPing { ping(log: log) }
    }

    func ping(log: EventLog) {
        guard let pingMilliseconds else { return }
        send("WATCHDOG=1", log: log)
        nextPing = MonotonicClock.nowMilliseconds() + pingMilliseconds
    }

    /// Ready once the first check ran and the wake source is armed (or
    /// known to be unavailable): then the service protects the node.
    func checked(_ status: String, log: EventLog) {
        send(ready ? "STATUS=\(status)" : "READY=1\nSTATUS=\(status)", log: log)
        ready = true
    }

    func reloading(log: EventLog) {
        if ready { send("RELOADING=1\nMONOTONIC_USEC=\(MonotonicClock.nowMicroseconds())", log: log) }
    }

    func reloaded(log: EventLog) {
        if ready { send("READY=1", log: log) }
    }

    func stopping(log: EventLog) { send("STOPPING=1", log: log) }

    /// One sd_notify(3) message; a failure is logged once, not at every ping.
    private func send(_ message: String, log: EventLog) {
        guard let notifier else { return }
        do {
            try notifier.send(message)
            problems.resolved(to: log, LogLines.notifyWorksAgain)
        } catch {
            problems.report("\(error)", to: log)
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
