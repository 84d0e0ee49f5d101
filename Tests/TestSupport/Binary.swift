import Foundation

/// Runs the built `mon_memcg` executable. `swift test` builds it beside the
/// test bundle because the test targets depend on it.
public struct RunResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public init(status: Int32, stdout: String, stderr: String) {
        (self.status, self.stdout, self.stderr) = (status, stdout, stderr)
    }
}

public enum Binary {
    public static var path: String {
        if let override = ProcessInfo.processInfo.environment["MON_MEMCG_BINARY"] { return override }
        // /proc/self/exe is .build/<triple>/debug/<Package>PackageTests.xctest
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("mon_memcg").path
    }

    @discardableResult
    public static func run(_ arguments: [String], environment: [String: String]? = nil, executable: String? = nil) throws -> RunResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable ?? path)
        process.arguments = arguments
        if let environment { process.environment = environment }
        // Output goes to temp files, not pipes: FileHandle's blocking read
        // traps on EINTR, and a child's SIGCHLD can land on the reading
        // thread (seen in CI while 16 writer processes were running).
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mon_memcg-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let outURL = dir.appendingPathComponent("stdout")
        let errURL = dir.appendingPathComponent("stderr")
        try Data().write(to: outURL)
        try Data().write(to: errURL)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        defer { try? out.close(); try? err.close() }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return RunResult(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }
}
