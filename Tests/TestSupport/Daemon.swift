import Foundation

/// The built binary running in the background (`mon_memcg watch`), with its
/// stderr in a file, signals, and a bounded wait for its exit. Killed with
/// SIGKILL when released while still running, so a failed test leaves no
/// process behind.
public final class Daemon {
    public let process = Process()
    public let stderrPath: String

    /// `executable`: another program in front of the binary (setpriv,
    /// prlimit), which then takes the binary's path among `arguments`.
    public init(_ arguments: [String], environment: [String: String] = [:], executable: String? = nil) throws {
        stderrPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("mon_memcg-daemon-\(UUID().uuidString).err").path
        try Data().write(to: URL(fileURLWithPath: stderrPath))
        process.executableURL = URL(fileURLWithPath: executable ?? Binary.path)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: stderrPath)
    }

    public var pid: Int32 { process.processIdentifier }
    public var stderr: String { readFile(stderrPath) ?? "" }

    public func signal(_ signo: Int32) { kill(process.processIdentifier, signo) }

    /// Exit status, or nil if it is still running after `timeout` seconds.
    public func waitForExit(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning { return nil }
        return process.terminationStatus
    }
}

/// Polls until `condition` holds or `timeout` seconds pass; true if it held.
@discardableResult
public func eventually(timeout: Double, every: useconds_t = 20_000, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(every)
    }
    return condition()
}

/// A file's text, or "" when missing (`readFile`).
public func contents(_ path: String) -> String {
    readFile(path) ?? ""
}
