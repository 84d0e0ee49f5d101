import ArgumentParser
import MemcgCore
import MemcgEngine
import MemcgKernel

/// `mon_memcg watch`: the check as a daemon (`WatchDaemon`).
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
        let status = WatchDaemon.execute(options.settings, console: StandardStreams())
        if status != .ok { throw ExitCode(status.rawValue) }
    }
}
