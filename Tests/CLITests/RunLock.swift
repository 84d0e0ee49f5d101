import Foundation
import Testing
import TestSupport

/// The run lock held by a test, let go of exactly once: by `release()`
/// when the test lets a check run again, or when the hold goes out of use
/// on a path that never got there. A second close of the descriptor would
/// close whatever a test running beside this one opened under that number
/// since (an EBADF in its Process.run, an unreadable fixture file).
final class RunLockHold {
    private var fd: Int32

    init(fd: Int32) { self.fd = fd }

    func release() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    deinit { release() }
}

/// The run lock at `lockPath` taken as a oneshot `check` would, so a
/// running watch's wake-ups do nothing ("this run does nothing") and only
/// its thread between wake-ups looks at the v1 lever. Blocks while a check
/// holds it. `skipped`: returns after a wake-up found it held (read from
/// `log`, the daemon's log as it is now). `release()` lets go.
func holdRunLock(_ lockPath: String, skipped: Bool = true, sourceLocation: SourceLocation = #_sourceLocation,
                 log: () -> String) -> RunLockHold {
    let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    #expect(fd >= 0 && flock(fd, LOCK_EX) == 0, "\(lockPath)", sourceLocation: sourceLocation)
    let hold = RunLockHold(fd: fd)
    guard skipped else { return hold }
    let before = log().components(separatedBy: "this run does nothing").count
    #expect(eventually(timeout: 10) { log().components(separatedBy: "this run does nothing").count > before },
            "no wake-up found the lock held: \(log())", sourceLocation: sourceLocation)
    return hold
}
