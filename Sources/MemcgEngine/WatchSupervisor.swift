#if canImport(Glibc)
import Glibc
#endif
import MemcgCore
import MemcgKernel

/// `mon_memcg watch --supervise`: the daemon runs as a child of a process
/// that stays behind it and, once it has ended however it ended, puts
/// back the lever it left (`RestoreRun`, as `mon_memcg restore`). Made for
/// the DaemonSet, which has no ExecStopPost=: there a killed or crashed
/// daemon left memory.high or memory.limit_in_bytes on the target until
/// the container started again, which kubelet's back-off delays from 10 s
/// to 5 minutes.
///
/// What it cannot cover: a SIGKILL of the whole container (the runtime's
/// kill after terminationGracePeriodSeconds, an OOM kill that picks this
/// process) ends this process too; the next start restores, as before.
public enum WatchSupervisor {
    /// What a stopping daemon gets between the SIGTERM passed on to it and
    /// SIGKILL: watch ends within milliseconds of SIGTERM (a state-file
    /// fsync behind dirty page cache took 2.8 s at worst), and the
    /// DaemonSet's terminationGracePeriodSeconds (30 s) must leave time for
    /// the restore after it.
    public static let defaultGrace = "20s"

    /// Runs `mon_memcg watch` with `daemonArguments` (the command line
    /// without --supervise) and returns the status to exit with: the
    /// daemon's (128 + the signal that killed it), or the restore's when
    /// the daemon ended with 0.
    public static func execute(_ request: SettingsRequest, grace: String, daemonArguments: [String], console: any Console) -> Int32 {
        let graceMilliseconds: Int64
        do throws(ParseError) {
            graceMilliseconds = try Units.parsePositiveDurationMilliseconds(grace)
        } catch {
            console.err("mon_memcg: --grace: \(error.reason)\n")
            return ExitStatus.configError.rawValue
        }
        let outcome: (ending: ChildEnding, killedAfterGrace: Bool)
        var child: Int32 = 0
        do {
            outcome = try SupervisedChild.run(path: "/proc/self/exe", arguments: daemonArguments,
                                              graceMilliseconds: graceMilliseconds) { pid in
                child = pid
                console.err("mon_memcg: watch --supervise: started the daemon, pid \(pid); what its end leaves on the target is put back when it ends\n")
            }
        } catch {
            console.err("mon_memcg: watch --supervise: \(error)\n")
            return ExitStatus.internalError.rawValue
        }
        let ended = words(outcome.ending, killedAfterGrace: outcome.killedAfterGrace ? grace : nil)
        if outcome.ending != .exited(0) {
            console.err("mon_memcg: watch --supervise: the daemon, pid \(child), \(ended)\n")
        }
        // Refused before it could set anything: the restore would be
        // refused the same way, or has nothing to read.
        if case .exited(let code) = outcome.ending,
           code == ExitStatus.notRoot.rawValue || code == ExitStatus.usage.rawValue {
            return code
        }
        let restored = RestoreRun.execute(request, console: console, reason: .supervisor(ended: ended))
        return outcome.ending == .exited(0) ? restored.rawValue : outcome.ending.shellStatus
    }

    /// How the daemon ended, for the log's restore line and stderr.
    static func words(_ ending: ChildEnding, killedAfterGrace grace: String?) -> String {
        switch ending {
        case .exited(let code): "exited with status \(code)"
        case .killed(let signal) where grace != nil && signal == SIGKILL:
            "was killed with SIGKILL \(grace!) after a stop signal it did not end on (--grace)"
        case .killed(let signal): "was killed by \(StopSignal.name(signal))"
        case .lost: "ended, and how is unknown (no child to wait for)"
        }
    }
}
