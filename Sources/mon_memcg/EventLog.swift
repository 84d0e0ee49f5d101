#if canImport(Glibc)
import Glibc
#endif
import MemcgKernel

/// Where a run's lines go: the log file in the seed's format, stdout too
/// when a person asked (dry-run), stderr for failures. A log file that
/// cannot be written never stops the run: the problem is reported once on
/// stderr and the lines follow it there.
final class EventLog {
    private let file: LogFile
    private let echo: Bool
    private var fileBroken = false

    init(path: String, echo: Bool) {
        self.file = LogFile(path: path)
        // A log on stdout already shows every line there: echoing would double them.
        self.echo = echo && path != LogFile.standardOutput
    }

    func info(_ message: String) {
        let stamp = WallClock.seedTimestamp()
        if echo { Output.out(LogFile.format(message, timestamp: stamp)) }
        write(message, stamp: stamp, toStderrIfBroken: !echo)
    }

    /// A failure: stderr always (journald keeps it), and the log file.
    /// With the log on stdout, the line goes there alone (stderr if stdout
    /// fails): a container's log would show both streams, so twice.
    func error(_ message: String) {
        if !file.isStandardOutput { Output.err("mon_memcg: \(message)\n") }
        write("error: \(message)", stamp: WallClock.seedTimestamp(), toStderrIfBroken: file.isStandardOutput)
    }

    private func write(_ message: String, stamp: String, toStderrIfBroken: Bool) {
        if !fileBroken {
            do {
                try file.append(message, timestamp: stamp)
                return
            } catch {
                fileBroken = true
                Output.err("mon_memcg: \(error); log lines go to stderr for this run\n")
            }
        }
        if toStderrIfBroken { Output.err(LogFile.format(message, timestamp: stamp)) }
    }
}

/// Unbuffered writes to stdout and stderr (print() buffers, and a run that
/// exits through ExitCode must not lose lines).
enum Output {
    static func out(_ text: String) { put(text, fd: 1) }
    static func err(_ text: String) { put(text, fd: 2) }

    private static func put(_ text: String, fd: Int32) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue } else { return } }
            bytes = bytes.dropFirst(n)
        }
    }
}

/// Milliseconds as seconds with three decimals, without String(format:).
func seconds(_ ms: Int64) -> String {
    let sign = ms < 0 ? "-" : ""
    let m = ms.magnitude
    let frac = String(m % 1000)
    return "\(sign)\(m / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
}
