import Foundation
import Testing
import TestSupport

/// `mon_memcg alive` against what a real `watch` writes, and `log_file = -`.
@Suite(.serialized)
struct AliveCLITests {
    func config(_ tree: FixtureTree, logFile: String? = nil) -> String {
        """
        cgroup_root = \(tree.cgroupRoot)
        proc_root = \(tree.procRoot)
        state_file = \(tree.stateFile)
        log_file = \(logFile ?? tree.logFile)
        poll_interval = 100ms

        """
    }

    @Test("no heartbeat yet: exit 9 naming the file")
    func missing() throws {
        let tree = try FixtureTree()
        try tree.write("mon_memcg.conf", config(tree))
        let r = try Binary.run(["alive", "--config", tree.configFile])
        #expect(r.status == 9)
        #expect(r.stderr.contains("not alive: \(tree.stateFile).alive does not exist"), "\(r.stderr)")
    }

    @Test("alive while watch runs, not alive once it is frozen past --max-age, alive again after SIGCONT")
    func frozen() throws {
        let tree = try FixtureTree()
        try tree.write("mon_memcg.conf", config(tree))
        let daemon = try Daemon(["watch", "--config", tree.configFile])
        defer { daemon.signal(SIGCONT); daemon.signal(SIGTERM); _ = daemon.waitForExit(timeout: 5) }
        #expect(eventually(timeout: 10) { (try? Binary.run(["alive", "--config", tree.configFile, "--max-age", "2s"]).status) == 0 },
                "\(daemon.stderr)")
        let alive = try Binary.run(["alive", "--config", tree.configFile, "--max-age", "2s"])
        #expect(alive.stdout.hasPrefix("alive: watch (pid \(daemon.pid)) completed a check "), "\(alive.stdout)")
        #expect(tree.read("state/state.alive")?.hasSuffix(" pid=\(daemon.pid)\n") == true)

        daemon.signal(SIGSTOP)
        usleep(1_500_000)
        let stale = try Binary.run(["alive", "--config", tree.configFile, "--max-age", "1s"])
        #expect(stale.status == 9)
        #expect(stale.stderr.contains("not alive: watch (pid \(daemon.pid)) last completed a check "), "\(stale.stderr)")
        #expect(stale.stderr.contains("more than the max age of 1.000 s"), "\(stale.stderr)")

        daemon.signal(SIGCONT)
        #expect(eventually(timeout: 5) { (try? Binary.run(["alive", "--config", tree.configFile, "--max-age", "1s"]).status) == 0 })
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 5) == 0)
    }

    @Test("a heartbeat file that is not one, or a bad --max-age, is refused", arguments: [
        (["--max-age", "0s"], "boottime_ms=1 pid=1\n", Int32(2), "--max-age: duration \"0s\" must be more than 0"),
        (["--max-age", "soon"], "boottime_ms=1 pid=1\n", Int32(2), "--max-age: duration \"soon\""),
        ([], "garbage\n", Int32(9), "is not a heartbeat file: expected"),
    ])
    func refused(_ extra: [String], content: String, status: Int32, message: String) throws {
        let tree = try FixtureTree()
        try tree.write("mon_memcg.conf", config(tree))
        try FileManager.default.createDirectory(atPath: tree.path("state"), withIntermediateDirectories: true)
        try tree.write("state/state.alive", content)
        let r = try Binary.run(["alive", "--config", tree.configFile] + extra)
        #expect(r.status == status)
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }

    @Test("log_file = -: the lines on stdout once, also in a dry run; errors there too, not twice")
    func standardOutput() throws {
        let tree = try FixtureTree(memTotalKB: 1_048_576, rootUsage: 3_000_000_000, rootInactiveFile: 100_000_000,
                                   targetRSS: 1_000_000_000, targetCache: 2_000_000_000)
        try tree.write("mon_memcg.conf", config(tree, logFile: "-"))
        let dry = try Binary.run(["check", "--dry-run", "--config", tree.configFile])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.components(separatedBy: "need reclaim").count == 2, "\(dry.stdout)")
        #expect(dry.stdout.contains("dry-run: would have written 1 to"), "\(dry.stdout)")
        #expect(tree.read("mon_memcg.log") == nil)
        #expect(!FileManager.default.fileExists(atPath: tree.path("-")))

        let real = try Binary.run(["check", "--config", tree.configFile])
        #expect(real.status == 0, "\(real.stderr)")
        #expect(real.stdout.components(separatedBy: "need reclaim").count == 2, "\(real.stdout)")
        #expect(real.stdout.contains("After reclaim:"))

        try FileManager.default.removeItem(atPath: tree.path("cgroup/user.slice"))
        let failing = try Binary.run(["check", "--config", tree.configFile])
        #expect(failing.status == 4)
        #expect(failing.stdout.components(separatedBy: "error: ").count == 2, "\(failing.stdout)")
        #expect(!failing.stderr.contains("error") && !failing.stderr.contains("mon_memcg: "), "\(failing.stderr)")
    }
}
