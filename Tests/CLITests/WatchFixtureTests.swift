import Foundation
import MemcgCore
import Testing
import TestSupport

/// `mon_memcg watch` and `metrics_file` end to end on fixture trees. A
/// fixture has no cgroup.event_control, so watch falls back to polling:
/// these tests cover the loop, the signals and the files; the threshold
/// events are covered by RealKernelWatchTests.
@Suite(.serialized)
struct WatchFixtureTests {
    func config(_ tree: FixtureTree, poll: String = "200ms", _ extra: String = "") -> String {
        """
        cgroup_root = \(tree.cgroupRoot)
        proc_root = \(tree.procRoot)
        state_file = \(tree.stateFile)
        log_file = \(tree.logFile)
        metrics_file = \(tree.path("metrics/mon_memcg.prom"))
        poll_interval = \(poll)
        growth_threshold = 100M
        \(extra)
        """
    }

    func log(_ tree: FixtureTree) -> String { tree.read("mon_memcg.log") ?? "" }
    func metrics(_ tree: FixtureTree) -> String { tree.read("metrics/mon_memcg.prom") ?? "" }

    /// The value of one sample in the metrics file.
    func sample(_ text: String, _ name: String) -> Int64? { PromText.sample(text, name) }

    @Test("watch polls, reclaims when memory turns short, reloads on SIGHUP, refuses a bad reload, stops on SIGTERM")
    func lifecycle() throws {
        let tree = try FixtureTree()
        try FileManager.default.createDirectory(atPath: tree.path("metrics"), withIntermediateDirectories: true)
        try tree.write("mon_memcg.conf", config(tree))
        let daemon = try Daemon(["watch", "--config", tree.configFile])

        // Polls: the metrics file appears and its poll wake-ups grow.
        #expect(eventually(timeout: 10) { (sample(metrics(tree), "mon_memcg_watch_wakeups_total{reason=\"poll\"}") ?? 0) >= 2 },
                "\(log(tree))\n\(daemon.stderr)")
        #expect(log(tree).contains("watch started (pid \(daemon.pid)): checks on threshold events from \(tree.cgroupRoot)/cgroup.event_control and every 0.200 s"))
        // No event control in a fixture: said once, not at every poll.
        #expect(log(tree).components(separatedBy: "no threshold events (cannot open \(tree.cgroupRoot)/cgroup.event_control").count == 2)
        try PromText.validate(metrics(tree))
        #expect(sample(metrics(tree), "mon_memcg_reclaims_total") == 0)
        #expect(tree.read("state/state") == nil, "nothing to record yet")

        // Memory turns short: the next poll runs the oneshot's reclaim.
        try tree.setRoot(usage: 30_000_000_000, inactiveFile: 0)
        #expect(eventually(timeout: 10) { log(tree).contains("reclaim took ") }, "\(log(tree))")
        #expect(tree.read("cgroup/user.slice/memory.force_empty") == "1\n")
        #expect(log(tree).contains("need reclaim \(tree.cgroupRoot)//user.slice !!"))
        #expect(eventually(timeout: 5) { sample(metrics(tree), "mon_memcg_reclaims_total") == 1 })
        #expect(tree.read("state/state")?.hasPrefix("mon_memcg-state 1\nlast 300000000\nreclaims 1\n") == true)
        // Then the original script's skip (nothing grew), counted.
        #expect(eventually(timeout: 5) { (sample(metrics(tree), "mon_memcg_skips_total") ?? 0) >= 1 })

        // SIGHUP: a good new configuration is taken.
        try tree.write("mon_memcg.conf", config(tree, "available_threshold = 0"))
        daemon.signal(SIGHUP)
        #expect(eventually(timeout: 5) { log(tree).contains("reloaded the configuration on SIGHUP and reopened the log") })
        #expect(eventually(timeout: 5) { sample(metrics(tree), "mon_memcg_global_threshold_bytes") == 65536 * 1024 })

        // A bad one is refused, with the reason, and the old one stays.
        try tree.write("mon_memcg.conf", config(tree, "poll_intervall = 1s"))
        daemon.signal(SIGHUP)
        #expect(eventually(timeout: 5) { log(tree).contains("error: reload on SIGHUP refused, keeping the previous configuration: \(tree.configFile): line 8: unknown key \"poll_intervall\"") },
                "\(log(tree))")
        #expect(daemon.stderr.contains("unknown key \"poll_intervall\""), "errors also go to stderr (journald)")
        let polls = sample(metrics(tree), "mon_memcg_watch_wakeups_total{reason=\"poll\"}") ?? 0
        #expect(eventually(timeout: 5) { (sample(metrics(tree), "mon_memcg_watch_wakeups_total{reason=\"poll\"}") ?? 0) > polls + 2 },
                "still polling every 200ms after the refused reload")
        #expect(sample(metrics(tree), "mon_memcg_global_threshold_bytes") == Int64(65536 * 1024), "\(metrics(tree))")

        // logrotate moved the log: the next lines go to a new file at the path.
        try FileManager.default.moveItem(atPath: tree.logFile, toPath: tree.logFile + ".1")
        try tree.write("mon_memcg.conf", config(tree, "available_threshold = 0"))
        daemon.signal(SIGHUP)
        #expect(eventually(timeout: 5) { log(tree).contains("reloaded the configuration on SIGHUP") })

        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 5) == 0, "\(daemon.stderr)")
        #expect(log(tree).hasSuffix("watch stopped on SIGTERM\n"))
        try PromText.validate(metrics(tree))
    }

    @Test("watch takes the oneshot's run lock for each check: while another run holds it, no reclaim")
    func sharesTheRunLock() throws {
        let tree = try FixtureTree(memTotalKB: 1_048_576, rootUsage: 3_000_000_000, rootInactiveFile: 100_000_000)
        try FileManager.default.createDirectory(atPath: tree.path("metrics"), withIntermediateDirectories: true)
        try tree.write("mon_memcg.conf", config(tree))
        // A manual `mon_memcg check` in progress, as far as the lock goes.
        let fd = open(tree.stateFile + ".lock", O_RDWR | O_CREAT, 0o600)
        #expect(fd >= 0)
        #expect(flock(fd, LOCK_EX) == 0)
        let daemon = try Daemon(["watch", "--config", tree.configFile])
        #expect(eventually(timeout: 10) { log(tree).contains("another mon_memcg run holds \(tree.stateFile).lock; this run does nothing") }, "\(log(tree))")
        usleep(500_000)
        #expect(tree.read("cgroup/user.slice/memory.force_empty") == "", "no reclaim while the lock is held")
        #expect(tree.read("metrics/mon_memcg.prom") == nil, "the run holding the lock writes the metrics")
        close(fd)
        #expect(eventually(timeout: 10) { log(tree).contains("reclaim took ") }, "\(log(tree))")
        #expect(tree.read("cgroup/user.slice/memory.force_empty") == "1\n")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 5) == 0)
    }

    @Test("close to the threshold, the safety poll comes sooner than poll_interval")
    func nearPolls() throws {
        // MemTotal 24e9 bytes, working set chosen so available is 100 MB above global thresh.
        let memTotal: Int64 = 24_000_000 * 1024
        let global: Int64 = (4 << 30) + 65536 * 1024
        let tree = try FixtureTree(rootUsage: memTotal - global - 100_000_000, rootInactiveFile: 0)
        try FileManager.default.createDirectory(atPath: tree.path("metrics"), withIntermediateDirectories: true)
        try tree.write("mon_memcg.conf", config(tree, poll: "60s"))
        let daemon = try Daemon(["watch", "--config", tree.configFile])
        #expect(eventually(timeout: 10) { (sample(metrics(tree), "mon_memcg_watch_wakeups_total{reason=\"near\"}") ?? 0) >= 3 }, "\(metrics(tree))")
        #expect(sample(metrics(tree), "mon_memcg_available_bytes") == global + 100_000_000)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 5) == 0)
    }

    @Test("SIGINT stops it too, and a bad configuration at start exits 2 without running")
    func sigintAndBadStart() throws {
        let tree = try FixtureTree()
        try tree.write("mon_memcg.conf", config(tree, poll: "5ms"))
        let bad = try Binary.run(["watch", "--config", tree.configFile])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("poll_interval 5ms must be between 100ms and 60m"))
        #expect(tree.read("mon_memcg.log") == nil)

        try tree.write("mon_memcg.conf", config(tree))
        let daemon = try Daemon(["watch", "--config", tree.configFile])
        #expect(eventually(timeout: 10) { log(tree).contains("watch started") })
        daemon.signal(SIGINT)
        #expect(daemon.waitForExit(timeout: 5) == 0)
        #expect(log(tree).hasSuffix("watch stopped on SIGINT\n"))
    }

    @Test("counters survive oneshot runs, and watch continues them from the same state")
    func countersAcrossRuns() throws {
        let tree = try FixtureTree(memTotalKB: 1_048_576, rootUsage: 3_000_000_000, rootInactiveFile: 100_000_000)
        try FileManager.default.createDirectory(atPath: tree.path("metrics"), withIntermediateDirectories: true)
        let args = ["check", "--growth-threshold", "100M", "--metrics-file", tree.path("metrics/mon_memcg.prom")] + tree.arguments
        #expect(try Binary.run(args).status == 0)  // reclaims
        #expect(sample(metrics(tree), "mon_memcg_reclaims_total") == 1)
        #expect(sample(metrics(tree), "mon_memcg_last_run_success") == 1)
        #expect(try Binary.run(args).status == 0)  // nothing grew: skips
        #expect(try Binary.run(args).status == 0)  // skips again
        let text = metrics(tree)
        try PromText.validate(text)
        #expect(sample(text, "mon_memcg_reclaims_total") == 1)
        #expect(sample(text, "mon_memcg_skips_total") == 2)
        #expect(sample(text, "mon_memcg_target_current_bytes") == 300_000_000)
        #expect(sample(text, "mon_memcg_target_last_bytes") == 300_000_000)
        #expect(tree.read("state/state")?.contains("\nskips 2\n") == true)
        #expect(sample(text, "mon_memcg_available_bytes") == 1_073_741_824 - 2_900_000_000)
        #expect(!text.contains("wakeups"), "the oneshot has no wake-ups")

        // The daemon takes over from the timer: same state, same totals.
        try tree.write("mon_memcg.conf", config(tree))
        let daemon = try Daemon(["watch", "--config", tree.configFile])
        #expect(eventually(timeout: 10) { (sample(metrics(tree), "mon_memcg_skips_total") ?? 0) >= 3 }, "\(log(tree))")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 5) == 0)
        #expect(sample(metrics(tree), "mon_memcg_reclaims_total") == 1)

        // And back: the oneshot continues the daemon's totals.
        let skips = sample(metrics(tree), "mon_memcg_skips_total") ?? 0
        #expect(try Binary.run(args).status == 0)
        #expect(sample(metrics(tree), "mon_memcg_skips_total") == skips + 1)
    }

    @Test("a metrics file that cannot be written is reported; the check still succeeds")
    func unwritableMetrics() throws {
        let tree = try FixtureTree()
        let r = try Binary.run(["check", "--metrics-file", tree.path("no-such-dir/mon_memcg.prom")] + tree.arguments)
        #expect(r.status == 0)
        #expect(r.stderr.contains("cannot write metrics_file: cannot create \(tree.path("no-such-dir/.mon_memcg.prom.tmp."))"))
        #expect(r.stderr.contains("(create the directory \(tree.path("no-such-dir")) or set metrics_file)"))
    }

    @Test("a failed check still writes metrics, marked as failed, with the stored totals")
    func failedCheckMetrics() throws {
        let tree = try FixtureTree(target: nil)
        try FileManager.default.createDirectory(atPath: tree.path("metrics"), withIntermediateDirectories: true)
        try tree.write("state/state", "mon_memcg-state 1\nlast 5\nreclaims 7\n")
        let r = try Binary.run(["check", "--metrics-file", tree.path("metrics/mon_memcg.prom")] + tree.arguments)
        #expect(r.status == 4)
        let text = metrics(tree)
        try PromText.validate(text)
        #expect(sample(text, "mon_memcg_last_run_success") == 0)
        #expect(sample(text, "mon_memcg_reclaims_total") == 7, "a failure must not look like a counter reset")
        #expect(sample(text, "mon_memcg_target_last_bytes") == 5)
        // Counted by cause, kept in the state file, and carried by the next run.
        #expect(sample(text, "mon_memcg_failures_total{cause=\"target_missing\"}") == 1)
        #expect(sample(text, "mon_memcg_failures_total{cause=\"kernel\"}") == 0)
        #expect(sample(text, "mon_memcg_build_info{version=\"\(MemcgVersion.current)\",hierarchy=\"v1\"}") == 1)
        #expect(tree.read("state/state")?.contains("failures_target_missing 1\n") == true)
        _ = try Binary.run(["check", "--metrics-file", tree.path("metrics/mon_memcg.prom")] + tree.arguments)
        #expect(sample(metrics(tree), "mon_memcg_failures_total{cause=\"target_missing\"}") == 2)
        #expect(tree.read("state/state")?.contains("last 5\nreclaims 7\n") == true, "the rest of the state is as it was")
        // Without metrics_file nothing is counted and the state is not written.
        try tree.write("state/state", "mon_memcg-state 1\nlast 5\n")
        _ = try Binary.run(["check"] + tree.arguments)
        #expect(tree.read("state/state") == "mon_memcg-state 1\nlast 5\n")
    }

    @Test("the reclaim duration histogram counts each reclaim in its bucket")
    func reclaimHistogram() throws {
        let tree = try FixtureTree(rootUsage: 23_000_000_000, rootInactiveFile: 0)
        try FileManager.default.createDirectory(atPath: tree.path("metrics"), withIntermediateDirectories: true)
        let r = try Binary.run(["check", "--growth-threshold", "1M", "--metrics-file", tree.path("metrics/mon_memcg.prom")] + tree.arguments)
        #expect(r.status == 0, "\(r.stderr)")
        let text = metrics(tree)
        try PromText.validate(text)
        #expect(sample(text, "mon_memcg_reclaims_total") == 1)
        #expect(sample(text, "mon_memcg_reclaim_duration_seconds_count") == 1)
        #expect(sample(text, "mon_memcg_reclaim_duration_seconds_bucket{le=\"+Inf\"}") == 1)
        #expect(sample(text, "mon_memcg_reclaim_duration_seconds_bucket{le=\"0.01\"}") == 1, "a fixture's write takes well under 10 ms:\n\(text)")
    }

    @Test("--dry-run writes no metrics")
    func dryRunNoMetrics() throws {
        let tree = try FixtureTree()
        let r = try Binary.run(["check", "--dry-run", "--metrics-file", tree.path("m.prom")] + tree.arguments)
        #expect(r.status == 0)
        #expect(tree.read("m.prom") == nil)
    }
}
