import Foundation
import Testing
import TestSupport

/// `mon_memcg watch` on cgroup v2 fixture trees: the PSI trigger on
/// proc_root's pressure/memory, and the fall back to polling without it.
/// The trigger firing is covered on the real kernel by
/// PressureTriggerKernelTests and in the v2 VM (scripts/vm/guest-test.sh).
@Suite(.serialized)
struct WatchV2FixtureTests {
    func config(_ tree: FixtureTreeV2) -> String {
        // No cgroup_root: found in the fixture's mountinfo, as on a real node.
        """
        proc_root = \(tree.procRoot)
        state_file = \(tree.stateFile)
        log_file = \(tree.logFile)
        metrics_file = \(tree.path("metrics/mon_memcg.prom"))
        poll_interval = 200ms
        """
    }

    func log(_ tree: FixtureTreeV2) -> String { tree.read("mon_memcg.log") ?? "" }
    func metrics(_ tree: FixtureTreeV2) -> String { tree.read("metrics/mon_memcg.prom") ?? "" }

    func polls(_ tree: FixtureTreeV2) -> Int64 {
        let name = "mon_memcg_watch_wakeups_total{reason=\"poll\"} "
        for line in metrics(tree).split(separator: "\n") where line.hasPrefix(name) {
            return Int64(line.dropFirst(name.count)) ?? 0
        }
        return 0
    }

    @Test("v2 without pressure/memory under proc_root: polls, and says so once (not an error)")
    func noPSIFallsBackToPolling() throws {
        let tree = try FixtureTreeV2()
        try FileManager.default.createDirectory(atPath: tree.path("metrics"), withIntermediateDirectories: true)
        try tree.write("mon_memcg.conf", config(tree))
        let daemon = try Daemon(["watch", "--config", tree.path("mon_memcg.conf")], environment: ["MON_MEMCG_TRACE": "1"])
        #expect(eventually(timeout: 10) { polls(tree) >= 4 }, "\(log(tree))\n\(daemon.stderr)")
        let text = log(tree)
        #expect(text.contains("watch started (pid \(daemon.pid)): checks on memory pressure events from \(tree.procRoot)/pressure/memory and every 0.200 s"), "\(text)")
        let said = "no memory pressure events (cannot open \(tree.procRoot)/pressure/memory: No such file or directory (no PSI in this kernel (CONFIG_PSI, 4.20+); watch falls back to polling)); checking every 0.200 s only"
        #expect(text.components(separatedBy: said).count == 2, "said once: \(text)")
        #expect(!text.contains("error: no memory pressure events"), "a kernel without PSI is not an error")
        #expect(!text.contains("cgroup.event_control"), "no v1 wording on v2: \(text)")
        #expect(!metrics(tree).contains("reason=\"pressure\""))
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 5) == 0, "\(daemon.stderr)")
        #expect(log(tree).hasSuffix("watch stopped on SIGTERM\n"))
    }

    @Test("v2 with pressure/memory: the trigger is written once (read back), armed once, and the safety poll goes on")
    func armsThePressureTrigger() throws {
        let tree = try FixtureTreeV2()
        try FileManager.default.createDirectory(atPath: tree.path("metrics"), withIntermediateDirectories: true)
        try tree.write("proc/pressure/memory", "")
        try tree.write("mon_memcg.conf", config(tree))
        let daemon = try Daemon(["watch", "--config", tree.path("mon_memcg.conf")], environment: ["MON_MEMCG_TRACE": "1"])
        #expect(eventually(timeout: 10) { polls(tree) >= 4 }, "\(log(tree))\n\(daemon.stderr)")
        let armed = "armed the PSI trigger \"some 300000 2000000\" on \(tree.procRoot)/pressure/memory"
        #expect(log(tree).components(separatedBy: armed).count == 2, "armed once, kept across checks: \(log(tree))")
        // The kernel takes the trigger from one NUL-terminated write.
        #expect(tree.read("proc/pressure/memory") == "some 300000 2000000\0")
        // A regular file never reports POLLPRI (it is always readable: POLLIN
        // must not count as a wake-up).
        #expect(!metrics(tree).contains("reason=\"pressure\""), "\(metrics(tree))")
        // SIGHUP drops the trigger; the next check arms it again.
        daemon.signal(SIGHUP)
        #expect(eventually(timeout: 5) { log(tree).components(separatedBy: armed).count == 3 }, "\(log(tree))")
        #expect(log(tree).contains("reloaded the configuration on SIGHUP and reopened the log; checks on memory pressure events from \(tree.procRoot)/pressure/memory and every 0.200 s"))
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 5) == 0, "\(daemon.stderr)")
        #expect(log(tree).hasSuffix("watch stopped on SIGTERM\n"))
    }

    @Test("SIGTERM during a v2 memory.reclaim: the signal is logged as the cause, not reclaim_timeout, and watch exits 0")
    func stopDuringReclaimNamesTheSignal() throws {
        // Memory short (MemTotal 1 GiB, 2.9 GB working set), user.slice grew by 3 GB.
        let tree = try FixtureTreeV2()
        // A FIFO with no reader blocks open(2) the way a busy memory.reclaim blocks write(2).
        try tree.replaceWithFIFO("cgroup/user.slice/memory.reclaim")
        try tree.write("mon_memcg.conf", config(tree) + "\nreclaim_timeout = 50s\n")
        let daemon = try Daemon(["watch", "--config", tree.path("mon_memcg.conf")])
        #expect(eventually(timeout: 10) { log(tree).contains("memory.reclaim: requesting") }, "\(log(tree))\n\(daemon.stderr)")
        usleep(200_000)  // into the blocked write
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 5) == 0, "\(daemon.stderr)")
        let text = log(tree)
        #expect(text.contains("memory.reclaim step 1: asked "), "\(text)")
        #expect(text.contains("interrupted by SIGTERM after"), "\(text)")
        #expect(text.contains("(by SIGTERM: stopping)"), "\(text)")
        #expect(text.contains("error: reclaim of \(tree.cgroupRoot)/user.slice/memory.reclaim interrupted after"), "\(text)")
        #expect(!text.contains("reclaim_timeout"), "the deadline was not what stopped it: \(text)")
        #expect(text.hasSuffix("watch stopped on SIGTERM (the reclaim in progress was interrupted; the usage after it was recorded)\n"), "\(text)")
        #expect(tree.read("state/state")?.contains("last 3000000000") == true, "the usage after it was recorded")
    }
}
