import MemcgCore
import MemcgKernel

/// Every way a run can end, each with its own number so a timer's failed
/// runs can be told apart in `systemctl status` and journald. Documented in
/// `--help` and the README; keep the three in step (a test checks).
public enum ExitStatus: Int32, CaseIterable, Sendable {
    case ok = 0
    case internalError = 1
    case configError = 2
    case kernelError = 3
    case targetMissing = 4
    case reclaimFailed = 5
    case reclaimInterrupted = 6
    case stateError = 7
    case notRoot = 8
    case notAlive = 9
    case usage = 64

    /// The cause a failed check counts under in the metrics; nil for the
    /// statuses that are not a check failing (ok, usage, alive).
    public var failureCause: FailureCause? {
        switch self {
        case .internalError: .internalError
        case .configError: .config
        case .kernelError: .kernel
        case .targetMissing: .targetMissing
        case .reclaimFailed: .reclaimFailed
        case .reclaimInterrupted: .reclaimInterrupted
        case .stateError: .state
        case .notRoot: .notRoot
        case .ok, .notAlive, .usage: nil
        }
    }

    public var meaning: String {
        switch self {
        case .ok: "the check ran (reclaimed, skipped or nothing to do), or another run held the lock"
        case .internalError: "unexpected internal error (a bug: please report it with the log)"
        case .configError: "bad configuration file or option value; the message names the line or option"
        case .kernelError: "a kernel file is missing, unreadable or malformed (no memory controller where cgroup_root points?)"
        case .targetMissing: "the target cgroup does not exist or resolves outside cgroup_root"
        case .reclaimFailed: "writing memory.force_empty (v1) or memory.reclaim (v2) failed, or the kernel has no memory.reclaim, or restore could not write back memory.high or memory.limit_in_bytes; the message says which"
        case .reclaimInterrupted: "the reclaim ran past reclaim_timeout and was interrupted; state was saved"
        case .stateError: "the state file or its lock could not be written"
        case .notRoot: "check, watch and restore must run as root (use status or check --dry-run as another user)"
        case .notAlive: "alive: watch has not completed a check within --max-age, or never did (its heartbeat file is stale, missing or unreadable)"
        case .usage: "command-line usage error"
        }
    }

    /// `  0   meaning`, wrapped at 76 columns with the meaning's later lines
    /// under its first (the help printer keeps short lines as they are).
    public static var helpTable: String {
        allCases.map { status in
            let number = String(status.rawValue)
            return wrap(status.meaning, width: 76, firstPrefix: "  " + number + String(repeating: " ", count: 5 - number.count),
                        restPrefix: String(repeating: " ", count: 7))
        }.joined(separator: "\n")
    }
}

/// A failure the command reports once (stderr and log) and exits with.
public struct Failure: Error, Equatable, Sendable {
    public var status: ExitStatus
    public var message: String

    public init(status: ExitStatus, message: String) {
        (self.status, self.message) = (status, message)
    }

    /// Says it once on stderr, for a command that ends with it.
    public func report(to console: any Console) -> ExitStatus {
        console.err("mon_memcg: \(message)\n")
        return status
    }
}

extension KernelError {
    /// The documented exit status for each way the kernel layer fails.
    var exitStatus: ExitStatus {
        switch self {
        case .targetMissing, .targetEscapes: .targetMissing
        case .unreadable, .malformed, .noMemoryController, .noMemoryMount: .kernelError
        }
    }
}
