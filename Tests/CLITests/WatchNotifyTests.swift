import Foundation
import Testing
import TestSupport

/// `mon_memcg watch` as a `Type=notify` service with `WatchdogSec=`: what it
/// tells systemd, on a fixture tree, with the test as systemd's socket.
@Suite(.serialized)
struct WatchNotifyTests {
    func start(_ tree: FixtureTree, _ environment: [String: String]) throws -> Daemon {
        try tree.write("mon_memcg.conf", tree.pathsConfig + "poll_interval = 5s")
        return try Daemon(["watch", "--config", tree.configFile], environment: environment)
    }

    func log(_ tree: FixtureTree) -> String { tree.read("mon_memcg.log") ?? "" }

    @Test("ready after the first check, status, watchdog pings between checks, reloading, stopping")
    func lifecycle() throws {
        let tree = try FixtureTree()
        let systemd = try NotifyListener()
        // WATCHDOG_USEC 400 ms: a ping every 200 ms, while checks come every 5 s.
        let daemon = try start(tree, ["NOTIFY_SOCKET": systemd.address, "WATCHDOG_USEC": "400000"])

        #expect(eventually(timeout: 10) { systemd.messages.contains { $0.hasPrefix("READY=1\nSTATUS=") } }, "\(systemd.messages)\n\(log(tree))")
        let ready = try #require(systemd.messages.first { $0.hasPrefix("READY=1\n") })
        #expect(ready.contains("STATUS=available 21.5 GiB (global thresh 4.1 GiB): not short; 0 reclaims since start; checking on polls only"), "\(ready)")
        #expect(systemd.messages.first == "WATCHDOG=1", "alive right before the first check: \(systemd.messages)")
        let pings = systemd.messages.filter { $0 == "WATCHDOG=1" }.count
        #expect(eventually(timeout: 5) { systemd.messages.filter { $0 == "WATCHDOG=1" }.count >= pings + 5 },
                "pings between the 5 s polls: \(systemd.messages)")

        daemon.signal(SIGHUP)
        #expect(eventually(timeout: 5) { systemd.messages.contains { $0.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") } }, "\(systemd.messages)")
        let afterReload = systemd.messages.drop { !$0.hasPrefix("RELOADING=1") }
        #expect(eventually(timeout: 5) { systemd.messages.drop { !$0.hasPrefix("RELOADING=1") }.contains("READY=1") }, "\(afterReload)")

        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 10) == 0)
        #expect(systemd.messages.last == "STOPPING=1", "\(systemd.messages.suffix(3))")
        #expect(!log(tree).contains("systemd"), "no notification failed: \(log(tree))")
    }

    @Test("an abstract socket (@name) works too")
    func abstractSocket() throws {
        let tree = try FixtureTree()
        let systemd = try NotifyListener(abstract: true)
        let daemon = try start(tree, ["NOTIFY_SOCKET": systemd.address])
        #expect(eventually(timeout: 10) { systemd.messages.contains { $0.hasPrefix("READY=1\n") } }, "\(systemd.messages)\n\(log(tree))")
        #expect(!systemd.messages.contains("WATCHDOG=1"), "no WATCHDOG_USEC, no pings")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 10) == 0)
    }

    @Test("WATCHDOG_PID naming another process: no pings (the watchdog is not ours)")
    func watchdogForAnotherProcess() throws {
        let tree = try FixtureTree()
        let systemd = try NotifyListener()
        let daemon = try start(tree, ["NOTIFY_SOCKET": systemd.address, "WATCHDOG_USEC": "200000", "WATCHDOG_PID": "1"])
        #expect(eventually(timeout: 10) { systemd.messages.contains { $0.hasPrefix("READY=1\n") } })
        usleep(500_000)
        #expect(!systemd.messages.contains("WATCHDOG=1"), "\(systemd.messages)")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 10) == 0)
    }

    @Test("an unusable NOTIFY_SOCKET is logged once and the daemon keeps watching")
    func unusableSocket() throws {
        let tree = try FixtureTree()
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("mon_memcg-test-notify-missing-\(UUID().uuidString.prefix(8))").path
        for (socket, reason) in [("vsock:2:1234", "is neither a path nor an @abstract name"),
                                 (missing, "cannot notify systemd through \(missing): No such file or directory")] {
            let daemon = try start(tree, ["NOTIFY_SOCKET": socket])
            #expect(eventually(timeout: 10) { log(tree).contains(reason) }, "\(log(tree))")
            #expect(daemon.process.isRunning)
            daemon.signal(SIGTERM)
            #expect(daemon.waitForExit(timeout: 10) == 0)
            #expect(log(tree).components(separatedBy: reason).count == 2, "said once: \(log(tree))")
            try tree.write("mon_memcg.log", "")
        }
    }
}
