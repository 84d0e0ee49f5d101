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
    public static func execute(_ request: SettingsRequest, console: any Console) -> ExitStatus {
        switch RunStart.begin(request, command: "restore", writes: true, console: console) {
        case .refused(let status):
            return status
        case .ready(let config, let controller):
            let log = EventLog(path: config.logFile, console: console)
            switch LeverRestore.leftover(config: config, controller: controller, log: log, .restoreCommand, echo: true) {
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
}
