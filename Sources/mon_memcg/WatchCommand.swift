#if canImport(Glibc)
import Glibc
#endif
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

        With --supervise (the DaemonSet's container runs it so) the daemon runs as a child of a \
        process that stays: it passes SIGTERM, SIGINT and SIGHUP on, kills a daemon that has not \
        ended --grace (default \(WatchSupervisor.defaultGrace)) after a stop signal (keep it under the pod's \
        terminationGracePeriodSeconds, after which the runtime kills both), and once the daemon has ended, \
        however it ended (kill -9, a crash), does what mon_memcg restore does: puts back the \
        memory.high or memory.limit_in_bytes a held episode left. It exits with the daemon's status \
        (128 + the signal that killed it). A unit does not need it: ExecStopPost= runs mon_memcg \
        restore.
        """)

    @OptionGroup var options: SharedOptions

    @Flag(help: "Run the daemon as a child, and put back what its end leaves on the target (for a container's PID 1).")
    var supervise = false

    @Option(help: ArgumentHelp("With --supervise: how long a stopping daemon gets before SIGKILL (default \(WatchSupervisor.defaultGrace)).", valueName: "duration"))
    var grace: String?

    func run() throws {
        if supervise {
            // The same command line, less this flag, run again as the child.
            let daemon = Array(CommandLine.arguments.prefix(1)) + Self.withoutSupervision(Array(CommandLine.arguments.dropFirst()))
            let status = WatchSupervisor.execute(options.settings, grace: grace ?? WatchSupervisor.defaultGrace,
                                                 daemonArguments: daemon, console: StandardStreams())
            if status != 0 { throw ExitCode(status) }
            return
        }
        if grace != nil {
            throw ValidationError("--grace is for --supervise only")
        }
        if SupervisedChild.followSupervisor() == false {
            StandardStreams().err("mon_memcg: watch: its supervisor (watch --supervise, pid \(String(cString: getenv(SupervisedChild.supervisorVariable)))) ended before this daemon started; not starting without it\n")
            throw ExitCode(ExitStatus.internalError.rawValue)
        }
        let status = WatchDaemon.execute(options.settings, console: StandardStreams())
        if status != .ok { throw ExitCode(status.rawValue) }
    }

    /// The command line for the daemon: --supervise and --grace (with its
    /// value) left out.
    static func withoutSupervision(_ arguments: [String]) -> [String] {
        var out: [String] = []
        var skipValue = false
        for argument in arguments {
            if skipValue { skipValue = false; continue }
            if argument == "--supervise" || argument.hasPrefix("--grace=") { continue }
            if argument == "--grace" { skipValue = true; continue }
            out.append(argument)
        }
        return out
    }
}
