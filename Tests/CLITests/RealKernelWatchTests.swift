import Foundation
import Testing
import TestSupport

/// `mon_memcg watch` against the real cgroup v1 memory controller: the
/// kernel's usage threshold wakes it (poll_interval is 10 min, so no poll can
/// be what reclaims), SIGHUP re-reads the configuration, and SIGTERM ends a
/// reclaim that force_empty would not finish by itself.
///
/// The threshold is on the root cgroup, whose usage is the whole host's:
/// available_threshold is set from `status --json` just before, so the
/// crossing is a controlled step (128 MiB) above the current working set.
/// Registering on the root cgroup and moving the node's working set reach
/// beyond the test's own cgroups: these run only with MON_MEMCG_HOST_TESTS=1.
@Suite(.serialized,
       .enabled(if: HostTests.enabled, "arms a threshold on the root cgroup, grows memory by up to 768 MiB and runs 8 page-cache writers: set MON_MEMCG_HOST_TESTS=1"),
       .enabled(if: KernelLab.available, "needs root and a cgroup v1 memory controller at /sys/fs/cgroup/memory"))
struct RealKernelWatchTests {
    final class Scratch {
        let dir: String
        init(under parent: String = FileManager.default.temporaryDirectory.path) throws {
            dir = "\(parent)/mon_memcg-test-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(atPath: dir) }
        func path(_ name: String) -> String { "\(dir)/\(name)" }
        /// Where the fixture trees live (`FakeRoot.fixtureParent`, tmpfs):
        /// the daemon's state, log and metrics then do not queue their
        /// fsync behind the writers' dirty pages on the disk (that took
        /// ~3 s here).
        static func onTmpfs() throws -> Scratch {
            try Scratch(under: FixtureTree.fixtureParent.path)
        }
    }

    /// kubelet's available minus the watermark, now, as `status` computes it.
    func availableAboveWatermark(target: String) throws -> Int64 {
        let r = try Binary.run(["status", "--json", "--target", target])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let available = try #require(json["available_bytes"] as? NSNumber).int64Value
        let watermark = try #require(json["watermark_bytes"] as? NSNumber).int64Value
        return available - watermark
    }

    func config(_ s: Scratch, target: String, availableThreshold: Int64, extra: String = "") -> String {
        """
        target = \(target)
        available_threshold = \(availableThreshold)
        growth_threshold = 1M
        poll_interval = 10m
        reclaim_timeout = 50s
        state_file = \(s.path("state"))
        log_file = \(s.path("log"))
        metrics_file = \(s.path("mon_memcg.prom"))
        \(extra)
        """
    }

    /// 4 writers, each rewriting a ring of 8 files of 32 MiB, every file
    /// read twice (active page cache): the target refills after every
    /// reclaim, but by less than 700M between two wake-ups, and never
    /// beyond about 1 GiB.
    func ringWriters(in cgroup: String, data: Scratch) throws -> [Process] {
        try (0..<4).map { w in
            try KernelLab.startInside(cgroup, """
                i=0; while :; do f=\(data.path("w\(w)"))-$((i % 8)); dd if=/dev/zero of=$f bs=1M count=32 status=none; cat $f $f > /dev/null; i=$((i+1)); done
                """)
        }
    }

    /// The held-episode tests' ground: the kernel lab's lock (no other
    /// suite's drop_caches empties the writers' cache meanwhile), the cgroup
    /// NAME, and `ringWriters` in it, past 768 MiB before BODY runs. All of
    /// it is stopped and removed when BODY returns or throws.
    func withRingWriters(_ name: String, _ body: (_ cgroup: String) throws -> Void) throws {
        let lab = KernelLab.exclusive()
        defer { withExtendedLifetime(lab) {} }
        let cgroup = try KernelLab.makeCgroup(name)
        defer { KernelLab.remove(cgroup) }
        let data = try Scratch()
        let writers = try ringWriters(in: cgroup, data: data)
        defer { for w in writers { KernelLab.killAndReap(w) } }
        #expect(eventually(timeout: 30) { KernelLab.usage(cgroup) > 768 << 20 }, "the writers did not reach 768 MiB")
        try body(cgroup)
    }

    /// `config` for the held-episode tests, written to `s`'s conf: the
    /// shortest reclaim_timeout (100ms, so the first reclaim ends its
    /// episode on that bound on any machine), 1 s polls, no dying reclaim.
    func heldConfig(_ s: Scratch, target: String, availableThreshold: Int64, growth: String, hysteresis: String, extra: String = "") throws {
        try config(s, target: target, availableThreshold: availableThreshold, extra: "\(extra)hold_hysteresis = \(hysteresis)\ndying_reclaim = off\n")
            .replacingOccurrences(of: "growth_threshold = 1M", with: "growth_threshold = \(growth)")
            .replacingOccurrences(of: "reclaim_timeout = 50s", with: "reclaim_timeout = 100ms")
            .replacingOccurrences(of: "poll_interval = 10m", with: "poll_interval = 1s")
            .write(toFile: s.path("conf"), atomically: true, encoding: .utf8)
    }

    @Test("a crossing wakes watch and reclaims at once, without the 10 min poll; SIGHUP re-reads the config; SIGTERM stops it")
    func crossingReclaims() throws {
        // The armed level is the whole host's working set: no other heavy
        // real-kernel test (drop_caches, 32 busy writers) may move it meanwhile.
        let lab = KernelLab.exclusive()
        defer { withExtendedLifetime(lab) {} }
        let cgroup = try KernelLab.makeCgroup("watch")
        defer { KernelLab.remove(cgroup) }
        let s = try Scratch()
        // 64 MiB of page cache, read twice so it is active: force_empty has
        // something to free, and kubelet's formula counts it.
        #expect(try KernelLab.runInside(cgroup, "dd if=/dev/zero of=\(s.path("cache")) bs=1M count=64 status=none && cat \(s.path("cache")) \(s.path("cache")) > /dev/null") == 0)

        let step: Int64 = 128 << 20
        var threshold = try availableAboveWatermark(target: cgroup) - step
        try config(s, target: cgroup, availableThreshold: threshold).write(toFile: s.path("conf"), atomically: true, encoding: .utf8)
        // The kernel event alone: no quicker polls near the threshold.
        let daemon = try Daemon(["watch", "--config", s.path("conf")], environment: ["MON_MEMCG_TRACE": "1", "MON_MEMCG_ADAPTIVE_POLL": "0"])
        #expect(eventually(timeout: 10) { daemon.stderr.contains(" arm ") }, "\(daemon.stderr)\n\(contents(s.path("log")))")
        let started = Date()

        // Anonymous memory grows 8 MiB per 25 ms (320 MiB/s) up to 768 MiB:
        // the working set crosses the armed level after about 128 MiB. The
        // level is the whole host's: if another test frees more than the
        // growth meanwhile (a force_empty elsewhere), there is no crossing;
        // then the threshold is taken again (SIGHUP) and the growth repeated.
        var reclaimed = false
        for attempt in 1...3 {
            if attempt > 1 {
                print("real kernel: attempt \(attempt - 1) saw no crossing (the host's working set moved); again")
                threshold = try availableAboveWatermark(target: cgroup) - step
                try config(s, target: cgroup, availableThreshold: threshold).write(toFile: s.path("conf"), atomically: true, encoding: .utf8)
                daemon.signal(SIGHUP)
                #expect(eventually(timeout: 5) { contents(s.path("log")).components(separatedBy: "reloaded the configuration").count == attempt })
            }
            let grower = try KernelLab.startInside(cgroup, """
            exec python3 -c "
            import time
            held = []
            for i in range(96):
                b = bytearray(8 << 20)
                for j in range(0, len(b), 4096): b[j] = 1
                held.append(b)
                time.sleep(0.025)
            time.sleep(60)
            "
            """.replacingOccurrences(of: "'", with: "'\\''"))
            reclaimed = eventually(timeout: 15) { contents(s.path("log")).contains("reclaim took ") }
            KernelLab.killAndReap(grower)
            if reclaimed { break }
        }
        let elapsed = Date().timeIntervalSince(started)
        let log = contents(s.path("log"))
        #expect(reclaimed, "no reclaim in 3 attempts:\n\(log)\n\(daemon.stderr)")
        #expect(elapsed < 50, "reclaimed after \(elapsed) s: that could have been the poll")
        // With hold = on (the default) a wake-up that finds memory about to
        // be short at the measured fall rate reclaims ahead of the line,
        // without the original's "need reclaim" line (docs/log-format.md).
        #expect(log.contains("need reclaim /sys/fs/cgroup/memory//\(cgroup) !!") || log.contains(": reclaiming ahead"), "\(log)")
        #expect(daemon.stderr.contains("wake threshold"), "\(daemon.stderr)")
        // The check that reclaimed was one a threshold event started. A held
        // episode (hold = on) goes on after the first "reclaim took": its
        // check is traced when the episode ends.
        _ = eventually(timeout: 50) { daemon.stderr.contains(" checked reclaim") }
        let trace = daemon.stderr.split(separator: "\n").filter { $0.contains(" wake ") || $0.contains(" checked ") }
        let reclaimWake = trace.firstIndex { $0.contains(" checked reclaim") }.flatMap { i in trace[..<i].last { $0.contains(" wake ") } }
        #expect(reclaimWake?.hasSuffix("wake threshold") == true, "\(daemon.stderr)\n\(log)")
        let metrics = contents(s.path("mon_memcg.prom"))
        #expect(eventually(timeout: 5) { contents(s.path("mon_memcg.prom")).contains("mon_memcg_reclaims_total ") && !contents(s.path("mon_memcg.prom")).contains("mon_memcg_reclaims_total 0\n") })
        #expect(!metrics.contains("reason=\"poll\""), "no poll can have run within 10 min")
        try PromText.validate(contents(s.path("mon_memcg.prom")))

        // SIGHUP: a new threshold (never short) is read and armed.
        try config(s, target: cgroup, availableThreshold: 0).write(toFile: s.path("conf"), atomically: true, encoding: .utf8)
        let reloads = contents(s.path("log")).components(separatedBy: "reloaded the configuration on SIGHUP").count
        daemon.signal(SIGHUP)
        #expect(eventually(timeout: 5) { contents(s.path("log")).components(separatedBy: "reloaded the configuration on SIGHUP").count == reloads + 1 })
        #expect(eventually(timeout: 5) { daemon.stderr.contains("wake reload") })
        // The new global thresh (0 + the watermark) is what the reload's check used.
        #expect(eventually(timeout: 5) {
            let m = contents(s.path("mon_memcg.prom"))
            return m.contains("mon_memcg_global_threshold_bytes ") && !m.contains("mon_memcg_global_threshold_bytes \(threshold + 0)")
                && (m.split(separator: "\n").first { $0.hasPrefix("mon_memcg_global_threshold_bytes ") }.flatMap { Int64($0.split(separator: " ")[1]) } ?? .max) < 1 << 30
        })

        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 5) == 0)
        #expect(contents(s.path("log")).hasSuffix("watch stopped on SIGTERM\n"))
        print("real kernel: watch reclaimed \(cgroup) \(String(format: "%.2f", elapsed)) s after the growth started (poll_interval 10 min)")
    }

    @Test("SIGTERM interrupts a reclaim that force_empty would not finish, logs it, and exits 0 at once")
    func sigtermInterruptsReclaim() throws {
        let lab = KernelLab.exclusive()  // no drop_caches meanwhile: it empties the writers' cache
        defer { withExtendedLifetime(lab) {} }
        let cgroup = try KernelLab.makeCgroup("watch-stop")
        defer { KernelLab.remove(cgroup) }
        // The writers fill the disk's page cache; the daemon's state, log and
        // metrics live on tmpfs so the time measured is the signal's, not an
        // fsync queued behind their dirty pages (that took ~3 s here).
        let s = try Scratch.onTmpfs()
        let data = try Scratch()
        // The original design's timeout case, small: writers in the cgroup keep
        // charging page cache, so force_empty keeps finding pages to free.
        var writers: [Process] = []
        defer { for w in writers { KernelLab.killAndReap(w) } }
        for i in 0..<8 {
            writers.append(try KernelLab.startInside(cgroup, "while :; do cat /usr/lib/x86_64-linux-gnu/*.so* > \(data.path("fill\(i)")) 2>/dev/null; done"))
        }
        #expect(eventually(timeout: 10) { KernelLab.usage(cgroup) > 256 << 20 }, "writers did not fill page cache")

        // Always short (1T): the start-up check reclaims at once.
        try config(s, target: cgroup, availableThreshold: 1 << 40)
            .replacingOccurrences(of: "growth_threshold = 1M", with: "growth_threshold = 0")
            .write(toFile: s.path("conf"), atomically: true, encoding: .utf8)
        let daemon = try Daemon(["watch", "--config", s.path("conf")])
        #expect(eventually(timeout: 10) { contents(s.path("log")).contains("Before reclaim:") }, "\(contents(s.path("log")))\(daemon.stderr)")
        usleep(500_000)
        let busy = !contents(s.path("log")).contains("After reclaim:")
        let sent = Date()
        daemon.signal(SIGTERM)
        let status = daemon.waitForExit(timeout: 5)
        let took = Date().timeIntervalSince(sent)
        let log = contents(s.path("log"))
        #expect(status == 0, "\(log)\n\(daemon.stderr)")
        #expect(took < 2, "stopping took \(took) s")
        #expect(busy, "force_empty finished within 0.5 s despite 8 writers: nothing was left to interrupt\n\(log)")
        if busy {
            #expect(log.contains("reclaim interrupted after "), "\(log)")
            #expect(log.contains("(by SIGTERM: stopping)"), "\(log)")
            #expect(log.hasSuffix("watch stopped on SIGTERM (the reclaim in progress was interrupted; the usage after it was recorded)\n"), "\(log)")
            #expect(contents(s.path("state")).contains("\ninterruptions 1\n"))
            #expect(contents(s.path("mon_memcg.prom")).contains("mon_memcg_interruptions_total 1\n"))
        }
        print("real kernel: SIGTERM ended watch \(String(format: "%.3f", took)) s after it was sent, mid-reclaim: \(busy)")
    }

    @Test("an episode ended by reclaim_timeout with the node still short: with hold = on the next wake-up goes on past the growth rule; with hold = off the growth rule decides at every check, as the original's")
    func continuesAfterTimeout() throws {
        var logs: [String: String] = [:]
        try withRingWriters("watch-hold") { cgroup in
            for hold in ["on", "off"] {
                let s = try Scratch.onTmpfs()
                _ = eventually(timeout: 10) { KernelLab.usage(cgroup) > 768 << 20 }
                // Always short (1T), so no episode recovers. reclaim_timeout is
                // the shortest allowed (100ms) and bounds the whole episode: the
                // first reclaim uses it up whether or not the writers outrun
                // force_empty on this machine (a 2s bound was outrun here and
                // not on CI's quieter machine), so the episode ends on its bound.
                // The first check's change (its usage, no last yet) passes
                // growth_threshold; a refill between two wake-ups does not.
                try heldConfig(s, target: cgroup, availableThreshold: 1 << 40, growth: "700M", hysteresis: "16M", extra: "hold = \(hold)\n")
                let daemon = try Daemon(["watch", "--config", s.path("conf")])
                _ = eventually(timeout: 15) {
                    let log = contents(s.path("log"))
                    return hold == "on" ? log.components(separatedBy: "hold continues: ").count > 2 : log.contains("change is too small")
                }
                daemon.signal(SIGTERM)
                #expect(daemon.waitForExit(timeout: 5) == 0)
                logs[hold] = contents(s.path("log"))
            }
        }
        let on = logs["on"] ?? "", off = logs["off"] ?? ""
        // hold = on: every check after an episode that reclaim_timeout ended
        // goes on ("hold continues" or the growth rule's own reclaim), never
        // "change is too small"; after any other ending the rule decides.
        var boundEnded = false, continued = 0, boundEndings = 0
        let onLines = on.components(separatedBy: "\n")
        for (i, line) in onLines.enumerated() {
            // An episode ends on reclaim_timeout either with its own line
            // or, when the check's first reclaim was what the deadline cut,
            // with that reclaim's interruption: its `reclaim interrupted
            // after … (reclaim_timeout 0.100 s)` line, then the check's
            // `error: … (reclaim_timeout)`. The error line can be missing:
            // watch logs a failure that repeats word for word only once
            // (`Repeats`), and two checks interrupted after the same
            // 0.115 s say the same words. A CI run (2026-12-06) failed here
            // with one such error line in its log, the only way the code
            // leaves a `hold continues` without an ending line before it.
            if line.contains("hold ended after ") || line.contains("interrupted after ") {
                boundEnded = line.contains("reclaim_timeout 0.100 s used up") || line.contains("(reclaim_timeout)")
                    || line.contains("(reclaim_timeout 0.100 s)")
                if boundEnded { boundEndings += 1 }
            } else if line.contains("change is too small") {
                #expect(!boundEnded, "hold = on skipped right after an episode reclaim_timeout ended (line \(i + 1))\n\(on)")
            } else if line.contains("hold continues: the last episode ended on its bound (reclaim_timeout)") {
                #expect(boundEnded, "hold continues without an episode ended on its bound before it (line \(i + 1))\n\(on)")
                continued += 1
            }
        }
        #expect(boundEndings >= 1, "no held episode ended on reclaim_timeout\n\(on)")
        #expect(continued >= 1, "no wake-up went on after an episode ended on reclaim_timeout\n\(on)")
        #expect(!off.contains("hold continues"), "\(off)")
        #expect(!off.contains("hold ended after "), "\(off)")
        // hold = off is the original's rule at every check: a reclaim only
        // where the change reached growth_threshold, a skip everywhere else
        // (how fast the writers refill decides which ones this run saw).
        let offLines = off.components(separatedBy: "\n")
        for (i, line) in offLines.enumerated() {
            guard let r = line.range(of: " CHANGE "), let change = Int64(line[r.upperBound...]) else { continue }
            let skipped = i + 1 < offLines.count && offLines[i + 1].contains("change is too small")
            #expect(skipped == (change < 700 << 20), "hold = off, change \(change): \(skipped ? "skipped" : "reclaimed")\n\(off)")
        }
        #expect(off.contains("change is too small"), "hold = off never skipped: the refill between wake-ups always reached 700M\n\(off)")
        print("real kernel: after episodes ended by reclaim_timeout (\(boundEndings)), hold = on went on \(continued) times; hold = off skipped \(off.components(separatedBy: "change is too small").count - 1) times")
    }

    @Test("an episode reclaim_timeout ended is remembered across idle wake-ups below its line and forgotten once available is back at the line (SIGHUP moves the line)")
    func remembersAcrossIdleWakeUps() throws {
        var seen: [String: String] = [:]
        // The target refills after each reclaim, never by 2G (the ring is 1 GiB).
        try withRingWriters("watch-remember") { cgroup in
            // idle: available_threshold 1 (never short). Its line is global
            // thresh + hold_hysteresis: with 1T of hysteresis available stays
            // below it (remembered), with 16M it is above it (forgotten).
            for (name, idleHysteresis, continues) in [("below the line", "1T", true), ("back at the line", "16M", false)] {
                let s = try Scratch.onTmpfs()
                func write(threshold: Int64, growth: String, hysteresis: String) throws {
                    try heldConfig(s, target: cgroup, availableThreshold: threshold, growth: growth, hysteresis: hysteresis)
                }
                // 1. Always short: the first check reclaims (its change is the
                // whole usage, above 700M) and reclaim_timeout (100ms) ends the
                // episode on its bound.
                try write(threshold: 1 << 40, growth: "700M", hysteresis: "16M")
                let daemon = try Daemon(["watch", "--config", s.path("conf")])
                #expect(eventually(timeout: 15) { contents(s.path("log")).contains("(reclaim_timeout)") || contents(s.path("log")).contains("used up") },
                        "\(contents(s.path("log")))")
                // 2. Not short: idle wake-ups, every second.
                try write(threshold: 1, growth: "2G", hysteresis: idleHysteresis)
                daemon.signal(SIGHUP)
                #expect(eventually(timeout: 10) { contents(s.path("log")).contains("reloaded the configuration") }, "\(contents(s.path("log")))")
                usleep(2_500_000)
                let idle = contents(s.path("log"))
                // 3. Short again, the change below growth_threshold (2G): the
                // growth rule skips unless the bound-ended episode goes on.
                try write(threshold: 1 << 40, growth: "2G", hysteresis: "16M")
                daemon.signal(SIGHUP)
                #expect(eventually(timeout: 10) {
                    let after = contents(s.path("log")).dropFirst(idle.count)
                    return after.contains("hold continues: ") || after.contains("change is too small")
                }, "\(contents(s.path("log")))")
                daemon.signal(SIGTERM)
                #expect(daemon.waitForExit(timeout: 5) == 0)
                let log = contents(s.path("log"))
                let reloaded = log.components(separatedBy: "reloaded the configuration")
                #expect(reloaded.count == 3, "\(log)")
                // nothing reclaimed while not short
                if reloaded.count == 3 {
                    #expect(!reloaded[1].contains("Before reclaim:") && !reloaded[1].contains("reclaiming ahead"), "idle wake-ups reclaimed\n\(log)")
                }
                let after = String(log.dropFirst(idle.count))
                let firstContinue = after.range(of: "hold continues: ")?.lowerBound
                let firstSkip = after.range(of: "change is too small")?.lowerBound
                if continues {
                    #expect(firstContinue != nil && (firstSkip == nil || firstContinue! < firstSkip!), "\(name): the episode was forgotten\n\(log)")
                } else {
                    #expect(firstSkip != nil && (firstContinue == nil || firstSkip! < firstContinue!), "\(name): the episode was remembered\n\(log)")
                }
                seen[name] = after.contains("hold continues: ") ? "went on" : "skipped"
            }
        }
        print("real kernel: after idle wake-ups below the line watch \(seen["below the line"] ?? "?"); back at the line it \(seen["back at the line"] ?? "?")")
    }
}
