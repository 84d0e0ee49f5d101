import Foundation
import Testing
import TestSupport

/// `mon_memcg watch --supervise` (the DaemonSet's command) on fixture trees,
/// through the built binary: the daemon runs as a child, and whatever ends
/// it — kill -9, a crash, a hang past --grace — the lever it left is put
/// back by the process that stays, at once instead of at the container's
/// next start. Signals reach the daemon through it.
@Suite(.serialized)
struct SuperviseCLITests {
    let v1 = MemoryLimitFixtureTests()
    let v2 = MemoryHighFixtureTests()
    static func why(_ ended: String) -> String { "watch --supervise, after the daemon it started ended (\(ended))" }

    /// The daemon the supervisor started: its only child.
    func child(of supervisor: Daemon) -> Int32? {
        var pid: Int32?
        eventually(timeout: 5) {
            let text = contents("/proc/\(supervisor.pid)/task/\(supervisor.pid)/children")
            pid = text.split(separator: " ").first.flatMap { Int32($0) }
            return pid != nil
        }
        return pid
    }

    @Test("v2: the daemon killed with SIGKILL: memory.high put back to max by the supervisor at once, which exits 137")
    func v2Killed() throws {
        let tree = try v2.tree()
        let supervisor = try v2.engagedWatch(tree, ["--supervise"])
        let daemon = try #require(child(of: supervisor))
        #expect(daemon != supervisor.pid)
        kill(daemon, SIGKILL)
        #expect(supervisor.waitForExit(timeout: 10) == 137, "\(supervisor.stderr)")
        #expect(v2.high(tree) == "max\n", "\(v2.log(tree))")
        #expect(!v2.state(tree).contains("memory_high"), "\(v2.state(tree))")
        #expect(v2.log(tree).contains("memory.high restored to max on \(tree.cgroupRoot)/user.slice (was 434241536, set by a held episode): \(Self.why("was killed by SIGKILL"))"),
                "\(v2.log(tree))")
        #expect(supervisor.stderr.contains("watch --supervise: started the daemon, pid \(daemon)"), "\(supervisor.stderr)")
        #expect(supervisor.stderr.contains("the daemon, pid \(daemon), was killed by SIGKILL"), "\(supervisor.stderr)")
    }

    /// SIGPIPE (a write to a closed stdout) stands for a crash: a SIGSEGV
    /// sent with kill(2) goes to the Swift runtime's backtracer, and the
    /// test runner's Process starts the binary with SIGUSR1 blocked.
    @Test("v1: the daemon killed by a signal it does not handle (SIGPIPE): memory.limit_in_bytes put back, exit 141")
    func v1Killed() throws {
        let tree = try v1.tree()
        let supervisor = try v1.engagedWatch(tree, ["--supervise"])
        let daemon = try #require(child(of: supervisor))
        kill(daemon, SIGPIPE)
        #expect(supervisor.waitForExit(timeout: 10) == 141, "\(supervisor.stderr)")
        #expect(v1.limit(tree) == MemoryLimitFixtureTests.unlimited, "\(v1.log(tree))")
        #expect(v1.log(tree).contains("memory.limit_in_bytes restored to 9223372036854771712 on \(tree.cgroupRoot)/user.slice (was 3016818688, set by a held episode): \(Self.why("was killed by SIGPIPE"))"),
                "\(v1.log(tree))")
    }

    @Test("SIGTERM to the supervisor reaches the daemon, which restores and stops as alone; exit 0, nothing left to restore")
    func sigterm() throws {
        let tree = try v2.tree()
        let supervisor = try v2.engagedWatch(tree, ["--supervise"])
        supervisor.signal(SIGTERM)
        #expect(supervisor.waitForExit(timeout: 10) == 0, "\(supervisor.stderr)")
        #expect(v2.high(tree) == "max\n")
        #expect(v2.log(tree).contains("(was 434241536, set by a held episode): watch stopping on SIGTERM"), "\(v2.log(tree))")
        #expect(v2.log(tree).hasSuffix("watch stopped on SIGTERM\n"), "\(v2.log(tree))")
        #expect(!supervisor.stderr.contains(", exited with") && !supervisor.stderr.contains(", was killed"), "an ordinary stop is not reported: \(supervisor.stderr)")
    }

    @Test("SIGHUP reaches the daemon: it reloads (and restores for it), the supervisor stays")
    func sighup() throws {
        let tree = try v2.tree()
        let supervisor = try v2.engagedWatch(tree, ["--supervise"])
        let daemon = try #require(child(of: supervisor))
        supervisor.signal(SIGHUP)
        #expect(eventually(timeout: 10) { v2.log(tree).contains("set by a held episode): watch reloading its configuration") }, "\(v2.log(tree))")
        #expect(supervisor.process.isRunning)
        #expect(child(of: supervisor) == daemon, "the same daemon, reloaded")
        supervisor.signal(SIGTERM)
        #expect(supervisor.waitForExit(timeout: 10) == 0, "\(supervisor.stderr)")
    }

    @Test("a daemon that does not end on SIGTERM (stopped) is killed after --grace, and the supervisor restores")
    func hungDaemon() throws {
        let tree = try v1.tree()
        let supervisor = try v1.engagedWatch(tree, ["--supervise", "--grace", "500ms"])
        let daemon = try #require(child(of: supervisor))
        kill(daemon, SIGSTOP)
        let started = Date()
        supervisor.signal(SIGTERM)
        #expect(supervisor.waitForExit(timeout: 10) == 137, "\(supervisor.stderr)")
        #expect(Date().timeIntervalSince(started) >= 0.5, "not before --grace")
        #expect(v1.limit(tree) == MemoryLimitFixtureTests.unlimited, "\(v1.log(tree))")
        #expect(v1.log(tree).contains(Self.why("was killed with SIGKILL 500ms after a stop signal it did not end on (--grace)")), "\(v1.log(tree))")
    }

    @Test("a daemon that exits at once (bad configuration) passes its status on: 2")
    func badConfiguration() throws {
        let tree = try v2.tree()
        try tree.write("mon_memcg.conf", (tree.read("mon_memcg.conf") ?? "") + "bogus_key = 1\n")
        let supervisor = try v2.watch(tree, ["--supervise"])
        #expect(supervisor.waitForExit(timeout: 10) == 2, "\(supervisor.stderr)")
        #expect(supervisor.stderr.contains("unknown key \"bogus_key\""), "\(supervisor.stderr)")
        #expect(supervisor.stderr.contains("the daemon, pid"), "\(supervisor.stderr)")
    }

    @Test("the supervisor killed outright (SIGKILL): the daemon gets SIGTERM, restores and stops; none runs on unsupervised")
    func supervisorKilled() throws {
        let tree = try v2.tree()
        let supervisor = try v2.engagedWatch(tree, ["--supervise"])
        let daemon = try #require(child(of: supervisor))
        supervisor.signal(SIGKILL)
        #expect(supervisor.waitForExit(timeout: 10) != nil)
        #expect(eventually(timeout: 10) { kill(daemon, 0) != 0 }, "the daemon still runs")
        #expect(v2.high(tree) == "max\n", "\(v2.log(tree))")
        #expect(v2.log(tree).hasSuffix("watch stopped on SIGTERM\n"), "\(v2.log(tree))")
    }

    @Test("--grace without --supervise, and a bad --grace, are refused (exit 2 / 64)")
    func graceOptions() throws {
        let tree = try v2.tree()
        let alone = try Binary.run(["watch", "--config", tree.path("mon_memcg.conf"), "--grace", "5s"])
        #expect(alone.status == 64, "\(alone.stderr)")
        #expect(alone.stderr.contains("--grace is for --supervise only"), "\(alone.stderr)")
        let bad = try Binary.run(["watch", "--supervise", "--config", tree.path("mon_memcg.conf"), "--grace", "soon"])
        #expect(bad.status == 2, "\(bad.stderr)")
        #expect(bad.stderr.contains("--grace"), "\(bad.stderr)")
        #expect(v2.high(tree) == "max\n")
    }
}
