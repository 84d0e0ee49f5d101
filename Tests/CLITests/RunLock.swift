import Foundation
import Testing
import TestSupport

/// The run lock at `lockPath` taken as a oneshot `check` would, so a
/// running watch's wake-ups do nothing ("this run does nothing") and only
/// its thread between wake-ups looks at the v1 lever. Blocks while a check
/// holds it. `skipped`: returns after a wake-up found it held (read from
/// `log`, the daemon's log as it is now). Close the descriptor to let go.
func holdRunLock(_ lockPath: String, skipped: Bool = true, sourceLocation: SourceLocation = #_sourceLocation,
                 log: () -> String) -> Int32 {
    let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    #expect(fd >= 0 && flock(fd, LOCK_EX) == 0, "\(lockPath)", sourceLocation: sourceLocation)
    guard skipped else { return fd }
    let before = log().components(separatedBy: "this run does nothing").count
    #expect(eventually(timeout: 10) { log().components(separatedBy: "this run does nothing").count > before },
            "no wake-up found the lock held: \(log())", sourceLocation: sourceLocation)
    return fd
}
