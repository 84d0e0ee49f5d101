import Foundation
import Testing
import TestSupport

/// `watch` locks its memory at start (mlockall with MCL_ONFAULT), says so,
/// and says plainly when the kernel refuses; MON_MEMCG_LOCK_MEMORY=0 turns
/// it off. The footprint is read from /proc/PID/smaps_rollup (`Locked:`).
@Suite(.serialized)
struct WatchMemoryLockTests {
    enum Setup: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case locked, disabled, refused
        var testDescription: String { rawValue }
    }

    static func lockedKiB(_ pid: Int32) -> Int64? {
        contents("/proc/\(pid)/smaps_rollup").split(separator: "\n").first { $0.hasPrefix("Locked:") }
            .flatMap { Int64($0.split(separator: " ", omittingEmptySubsequences: true)[1]) }
    }

    @Test("watch locks its memory, or says why not, and keeps checking either way",
          .enabled(if: geteuid() == 0, "needs root: as another user RLIMIT_MEMLOCK refuses the lock, and the refusal row drops CAP_IPC_LOCK with setpriv"),
          arguments: Setup.allCases)
    func memoryLock(_ setup: Setup) throws {
        // Memory short: every check logs the original script's lines.
        let tree = try FixtureTree.short()
        var argv = ["watch", "--poll-interval", "200ms"] + tree.arguments
        var env: [String: String] = [:]
        switch setup {
        case .locked: break
        case .disabled: env["MON_MEMCG_LOCK_MEMORY"] = "0"
        case .refused:
            // uid 0 without CAP_IPC_LOCK and RLIMIT_MEMLOCK 0: what a unit
            // without LimitMEMLOCK= and with an empty bounding set would give.
            argv = ["--bounding-set=-ipc_lock", "--inh-caps=-ipc_lock", "/usr/bin/prlimit", "--memlock=0", Binary.path] + argv
        }
        let daemon = setup == .refused ? try Daemon(argv, environment: env, executable: "/usr/bin/setpriv") : try Daemon(argv, environment: env)
        let log = { contents(tree.logFile) }
        #expect(eventually(timeout: 10) { log().components(separatedBy: "mem usage: CURRENT").count > 2 }, "\(log())\n\(daemon.stderr)")
        let locked = Self.lockedKiB(daemon.pid) ?? -1
        print("memory lock \(setup): Locked: \(locked) kB")
        switch setup {
        case .locked:
            #expect(log().contains("watch locked its memory (mlockall MCL_CURRENT|MCL_FUTURE|MCL_ONFAULT"))
            #expect(locked > 0)
        case .disabled:
            #expect(log().contains("watch did not lock its memory: MON_MEMCG_LOCK_MEMORY=0"))
            #expect(locked == 0)
        case .refused:
            let line = "watch runs with its memory unlocked, so memory pressure can page it out: cannot mlockall"
            #expect(log().contains("error: \(line)"), "\(log())")
            #expect(daemon.stderr.contains("RLIMIT_MEMLOCK is 0 MiB and there is no CAP_IPC_LOCK: raise LimitMEMLOCK="), "\(daemon.stderr)")
            #expect(locked == 0)
        }
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 10) == 0)
    }
}
