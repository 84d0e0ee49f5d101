import MemcgCore
import MemcgKernel

/// `mon_memcg restore`: the lever a held episode left on the target
/// (memory.high on v2, memory.limit_in_bytes on v1, recorded in the state
/// file before it was written) put back, and nothing else. A daemon
/// restores it on every ending it sees; one killed (kill -9, a crash, the
/// watchdog's abort) cannot, and its next start may be seconds away
/// (RestartSec=) or never come (a start limit hit, a bad configuration).
/// mon_memcg-watch.service runs this as ExecStopPost=, which systemd runs
/// once the daemon has ended, however it ended.
public enum RestoreRun {
    public static func execute(_ request: SettingsRequest, console: any Console,
                               reason: LogLines.LeverRestoreReason = .restoreCommand) -> ExitStatus {
        guard let (loaded, fileProblem) = settings(request, console: console) else { return .configError }
        switch RunStart.begin(loaded, command: "restore", writes: true,
                              writesInTarget: "the target's memory.high or memory.limit_in_bytes", console: console) {
        case .refused(let status):
            return status
        case .ready(let config, let controller):
            let status = restore(config: config, controller: controller, console: console, reason: reason)
            // A configuration that cannot be read is still an error to fix,
            // after the restore it did not stop.
            return status == .ok && fileProblem != nil ? .configError : status
        }
    }

    /// The settings, unresolved (a restore reads only paths: kubelet's
    /// file or MemTotal, which `available_threshold` may need, must not
    /// stop it), or, when the configuration file is at fault (an edit with
    /// a typo, a file removed), the defaults with the command line's
    /// options: what the file sets cannot be trusted, and putting back a
    /// limit must not wait for the file to be mended (the daemon would not
    /// start with it either). nil when the options themselves are wrong
    /// (reported).
    static func settings(_ request: SettingsRequest, console: any Console) -> (Config, Failure?)? {
        do {
            return (try Settings.unresolved(request), nil)
        } catch {
            guard error.status == .configError,
                  let config = try? Settings.withoutFile(request) else {
                _ = error.report(to: console)
                return nil
            }
            console.err("mon_memcg: \(error.message)\nmon_memcg: restore goes on without the configuration file: the defaults and the options, so the state file \(config.stateFile)\n")
            return (config, error)
        }
    }

    static func restore(config: Config, controller: DetectedController, console: any Console,
                        reason: LogLines.LeverRestoreReason) -> ExitStatus {
        let log = EventLog(path: config.logFile, console: console)
        switch LeverRestore.leftover(config: config, controller: controller, log: log, reason, echo: true) {
        case .nothingRecorded:
            // Every stop of the unit runs this after a daemon that
            // restored its own lever: no line in the journal for that.
            if !console.outIsJournal {
                console.out("mon_memcg: \(config.stateFile) records no memory.high or memory.limit_in_bytes set by a held episode: nothing to restore\n")
            }
            return .ok
        case .unusableState(let why):
            console.err("mon_memcg: restore: the state file \(config.stateFile) cannot be used (\(why)); the next check reports and replaces it. Compare the target's memory.high or memory.limit_in_bytes with what you expect by hand\n")
            return .stateError
        case .done, .lockHeld:
            return .ok
        case .doneNotSaved:
            return .stateError
        case .kept:
            return .reclaimFailed
        }
    }
}
