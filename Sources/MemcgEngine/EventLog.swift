import MemcgCore
import MemcgKernel

/// Where a run's lines go: the log file in the original script's format,
/// the console too when a person asked (dry-run), stderr for failures. A
/// log file that cannot be written never stops the run: the problem is
/// reported once on stderr and the lines follow it there.
public final class EventLog {
    private let file: LogFile
    private let echo: Bool
    public let console: any Console
    private var fileBroken = false

    public init(path: String, echo: Bool, console: any Console) {
        self.file = LogFile(path: path)
        self.echo = echo
        self.console = console
    }

    public func info(_ message: String) {
        let stamp = WallClock.originalTimestamp()
        if echo { console.out(LogFile.format(message, timestamp: stamp)) }
        write(message, stamp: stamp, toStderrIfBroken: !echo)
    }

    /// A failure: stderr always (journald keeps it), and the log file.
    public func error(_ message: String) {
        console.err("mon_memcg: \(message)\n")
        write(LogLines.error(message), stamp: WallClock.originalTimestamp(), toStderrIfBroken: false)
    }

    private func write(_ message: String, stamp: String, toStderrIfBroken: Bool) {
        if !fileBroken {
            do {
                try file.append(message, timestamp: stamp)
                return
            } catch {
                fileBroken = true
                console.err("mon_memcg: \(error); log lines go to stderr for this run\n")
            }
        }
        if toStderrIfBroken { console.err(LogFile.format(message, timestamp: stamp)) }
    }
}
