import MemcgCore
import MemcgKernel

/// Where a run's lines go: the log file in the original script's format,
/// stderr for failures. A dry run writes no file at all: its lines go to
/// stdout, where the person who asked reads them. A log file that cannot be
/// written never stops the run: the problem is reported once on stderr and
/// the lines follow it there.
///
/// Under systemd, with stdout connected to the journal, every line is also
/// printed there once, without the timestamp (the journal has its own) and
/// with its priority from LogPriorities as an sd-daemon `<N>` prefix, so
/// `journalctl -u mon_memcg-watch -p warning` finds the warnings. The log
/// file gets exactly what it got before.
public final class EventLog {
    private let file: LogFile
    private let dryRun: Bool
    public let console: any Console
    private var fileBroken = false
    /// log_file = -: the lines go to stdout.
    var isStandardOutput: Bool { file.isStandardOutput }

    /// `dryRun`: print the lines instead of appending them to `path`.
    public init(path: String, dryRun: Bool = false, console: any Console) {
        self.file = LogFile(path: path)
        self.dryRun = dryRun
        self.console = console
    }

    public func info(_ message: String) {
        let stamp = WallClock.originalTimestamp()
        if dryRun {
            // Every line a dry run prints says so, the original's lines too.
            let marked = message.hasPrefix(LogLines.dryRun("")) ? message : LogLines.dryRun(message)
            console.out(LogFile.format(marked, timestamp: stamp))
        } else {
            write(message, stamp: stamp)
            if console.outIsJournal && !file.isStandardOutput {
                console.out(LogPriorities.of(message).prefixed(message + "\n"))
            }
        }
    }

    /// A failure: stderr always (journald keeps it), and the log file.
    /// With the log on stdout (`log_file = -`) the line goes there alone
    /// (stderr if stdout fails): a container's log shows both streams.
    public func error(_ message: String) {
        if dryRun || !file.isStandardOutput { err(.err, "mon_memcg: \(dryRun ? "dry-run: " : "")\(message)\n") }
        if !dryRun { write(LogLines.error(message), stamp: WallClock.originalTimestamp(), toStderr: file.isStandardOutput) }
    }

    private func write(_ message: String, stamp: String, toStderr: Bool = true) {
        if file.isStandardOutput && console.outIsJournal {
            // log_file = - under systemd: the journal is the log.
            console.out(LogPriorities.of(message).prefixed(LogFile.format(message, timestamp: stamp)))
            return
        }
        if !fileBroken {
            do {
                try file.append(message, timestamp: stamp)
                return
            } catch {
                fileBroken = true
                err(.err, "mon_memcg: \(error); log lines go to stderr for this run\n")
            }
        }
        // With stdout on the journal the line is there already (info()).
        if toStderr && !console.outIsJournal { err(LogPriorities.of(message), LogFile.format(message, timestamp: stamp)) }
    }

    /// stderr, with the priority prefix when stderr is the journal.
    private func err(_ priority: JournalPriority, _ text: String) {
        console.err(console.errIsJournal ? priority.prefixed(text) : text)
    }
}
