import Foundation

/// Runs the built `mon_memcg` executable. `swift test` builds it beside the
/// test bundle because the test targets depend on it.
public struct RunResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
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
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Drain both pipes before waiting so a chatty child cannot block.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return RunResult(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }
}
