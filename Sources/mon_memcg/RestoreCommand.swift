import ArgumentParser
import MemcgEngine
import MemcgKernel

/// `mon_memcg restore`: put back what a held episode's lever left (`RestoreRun`).
struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Put back the memory.high or memory.limit_in_bytes that a held episode left on the target, from the state file, and exit.",
        discussion: """
        With memory_high = on (v2) or memory_limit = on (v1), watch lowers the target's limit while \
        memory is short, after saving the value it found in state_file, and writes that value back \
        on recovery, on SIGTERM, SIGINT or SIGHUP, when a check fails, and at its next start after \
        a crash or kill -9. This command does only that last part, at once: mon_memcg-watch.service \
        runs it as ExecStopPost=, so a daemon that was killed does not leave the limit on the \
        target until systemd restarts it (RestartSec=5s), or for good when it is not restarted. It \
        writes the saved value back only while the file still holds what the lever wrote; a value \
        someone else set since stands. It takes the run lock, so it never runs beside a check: when \
        another run holds the lock, it leaves the record to that run, which restores it at its start. \
        What it did goes to the log (and to stdout at a terminal). A configuration file that cannot \
        be read does not stop it: it says so and restores from the defaults and the options (the \
        default state file, unless --state-file names another), then exits 2. Exit status 0 when \
        there was nothing to restore or it was done (or left to the run holding the lock), 2 for a \
        bad option or configuration file, 5 when the limit could not be read or written back (the \
        record is kept for the next try), 7 when the state file cannot be used or saved.
        """)

    @OptionGroup var options: SharedOptions

    func run() throws {
        let status = RestoreRun.execute(options.settings, console: StandardStreams())
        if status != .ok { throw ExitCode(status.rawValue) }
    }
}
