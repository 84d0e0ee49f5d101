import Foundation
import Testing
import TestSupport

/// memory_high = on in `watch` on a cgroup v2 fixture tree, through the
/// built binary: every ending of the daemon puts the target's memory.high
/// back — recovery, a failed check, SIGHUP, SIGTERM, and kill -9 at random
/// points followed by the next start. The fixture's memory.reclaim frees
/// nothing, so the node stays short and the lever stays engaged between
/// wake-ups until an ending undoes it. The same kill -9 rounds run on a real
/// v2 kernel in CI step 40 (scripts/vm/guest-test.sh).
@Suite(.serialized)
struct MemoryHighFixtureTests {
    /// The fixture's target: usage 3e9, anon 3e8, file 2.7e9 (no shmem,
    /// mapped or kernel memory): floor 3e8 + 128 MiB, aligned up to 64 KiB.
    static let floor = "434241536\n"

    func config(_ tree: FixtureTreeV2, lever: Bool = true) -> String {
        """
        proc_root = \(tree.procRoot)
        state_file = \(tree.stateFile)
        log_file = \(tree.logFile)
        poll_interval = 200ms
        memory_high = \(lever ? "on" : "off")

        """
    }

    func tree(original: String = "max\n", lever: Bool = true) throws -> FixtureTreeV2 {
        let tree = try FixtureTreeV2()
        try tree.write("cgroup/user.slice/memory.high", original)
        try tree.write("mon_memcg.conf", config(tree, lever: lever))
        return tree
    }

    /// The root's memory.stat replaced in one rename while the daemon runs:
    /// a check must never read it half-written (it would fail, and restore
    /// for that reason instead of the one under test).
    func setRoot(_ tree: FixtureTreeV2, anon: Int64, file: Int64, inactiveFile: Int64) throws {
        try FixtureTreeV2.memoryStat(anon: anon, file: file, inactiveFile: inactiveFile)
            .write(toFile: tree.path("cgroup/memory.stat"), atomically: true, encoding: .utf8)
    }

    func high(_ tree: FixtureTreeV2) -> String { tree.read("cgroup/user.slice/memory.high") ?? "(missing)" }
    func log(_ tree: FixtureTreeV2) -> String { tree.read("mon_memcg.log") ?? "" }
    func state(_ tree: FixtureTreeV2) -> String { tree.read("state/state") ?? "" }

    /// `extra`: more arguments (`--supervise`).
    func watch(_ tree: FixtureTreeV2, _ extra: [String] = []) throws -> Daemon {
        try Daemon(["watch", "--config", tree.path("mon_memcg.conf")] + extra)
    }

    /// Until the lever is engaged: memory.high at the floor, the original in the state file.
    func engaged(_ tree: FixtureTreeV2, daemon: Daemon, at value: String = floor) -> Bool {
        eventually(timeout: 10) { high(tree) == value && log(tree).contains("memory.high set to \(value.dropLast())") }
    }

    /// watch started on `tree`, once it has engaged the lever.
    func engagedWatch(_ tree: FixtureTreeV2, _ extra: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws -> Daemon {
        let daemon = try watch(tree, extra)
        #expect(engaged(tree, daemon: daemon), "\(log(tree))\n\(daemon.stderr)", sourceLocation: sourceLocation)
        return daemon
    }

    /// SIGTERM, and a clean exit.
    func stop(_ daemon: Daemon, sourceLocation: SourceLocation = #_sourceLocation) {
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 5) == 0, sourceLocation: sourceLocation)
    }

    @Test("SIGTERM: engaged while short (the original saved first), restored to max on stop")
    func sigterm() throws {
        let tree = try tree()
        let daemon = try engagedWatch(tree)
        #expect(state(tree).contains("memory_high_target \(tree.cgroupRoot)/user.slice\nmemory_high_original max\nmemory_high_written 434241536\n"),
                "\(state(tree))")
        #expect(log(tree).contains("memory.high set to 434241536 on \(tree.cgroupRoot)/user.slice (was max): its floor 434217728 (what the target cannot give back without swap + 134217728)"), "\(log(tree))")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 5) == 0, "\(daemon.stderr)")
        #expect(high(tree) == "max\n")
        #expect(!state(tree).contains("memory_high"), "the record cleared after the restore: \(state(tree))")
        #expect(log(tree).contains("memory.high restored to max on \(tree.cgroupRoot)/user.slice (was 434241536, set by a held episode): watch stopping on SIGTERM"),
                "\(log(tree))")
        #expect(log(tree).hasSuffix("watch stopped on SIGTERM\n"))
    }

    @Test("kill -9 at random points: the next start (check) puts back what it was, max or someone's value")
    func killNine() throws {
        var engagedRounds = 0
        var generator = SystemRandomNumberGenerator()
        for round in 0..<8 {
            let original = round % 2 == 0 ? "max\n" : "5000000000\n"
            let tree = try tree(original: original)
            let daemon = try watch(tree)
            // The first round kills only once engaged; the others anywhere
            // from before the first check to a few wake-ups later.
            if round == 0 { #expect(engaged(tree, daemon: daemon), "\(log(tree))") } else {
                usleep(UInt32.random(in: 0...700_000, using: &generator))
            }
            daemon.signal(SIGKILL)
            _ = daemon.waitForExit(timeout: 5)
            if high(tree).isEmpty {
                // Killed between the O_TRUNC and the write of the episode's
                // value: a plain file is left empty, a kernel file never is
                // (it stores a write whole, so it holds the old value or the
                // new one). Put either back, as the kernel would have left it.
                let written = state(tree).split(separator: "\n").first { $0.hasPrefix("memory_high_written ") }
                let value = try #require(written, "round \(round): an empty memory.high, but no write recorded: \(state(tree))")
                try tree.write("cgroup/user.slice/memory.high",
                               Bool.random(using: &generator) ? original : "\(value.dropFirst("memory_high_written ".count))\n")
            }
            if high(tree) == Self.floor { engagedRounds += 1 }
            let next = try Binary.run(["check", "--config", tree.path("mon_memcg.conf")])
            #expect(high(tree) == original, "round \(round): \(next.stderr)\n\(log(tree))")
            #expect(!state(tree).contains("memory_high"), "round \(round): \(state(tree))")
            if high(tree) != original { break }
        }
        #expect(engagedRounds >= 1, "no round killed the daemon with the lever engaged: the rounds proved nothing")
        // And the restore says why.
        let tree = try tree()
        let daemon = try engagedWatch(tree)
        daemon.signal(SIGKILL)
        _ = daemon.waitForExit(timeout: 5)
        _ = try Binary.run(["check", "--config", tree.path("mon_memcg.conf")])
        #expect(log(tree).contains("memory.high restored to max on \(tree.cgroupRoot)/user.slice (was 434241536, set by a held episode): left by a run that ended without restoring it (crash or kill -9), restored at this start"),
                "\(log(tree))")
    }

    @Test("kill -9, then watch's own next start restores before its first check")
    func killNineThenWatch() throws {
        let tree = try tree()
        let first = try watch(tree)
        #expect(engaged(tree, daemon: first))
        first.signal(SIGKILL)
        _ = first.waitForExit(timeout: 5)
        let second = try watch(tree)
        #expect(eventually(timeout: 10) { log(tree).contains("restored at this start") }, "\(log(tree))")
        // If the first daemon was killed before it saved last (the lever is
        // set before the first reclaim), the second one's episode sets it
        // again, after the restore; either way its stop leaves max.
        usleep(600_000)
        let text = log(tree)
        let restoredAt = try #require(text.range(of: "restored at this start"))
        let sets = text.components(separatedBy: "memory.high set to").count - 1
        #expect(sets == 1 || sets == 2, "\(text)")
        if sets == 2, let setAgain = text.range(of: "memory.high set to", options: .backwards) {
            #expect(restoredAt.lowerBound < setAgain.lowerBound, "\(text)")
        }
        stop(second)
        #expect(high(tree) == "max\n")
    }

    @Test("recovery: available back above global thresh + hold_hysteresis restores it at the next wake-up")
    func recovery() throws {
        let tree = try tree()
        let daemon = try engagedWatch(tree)
        // MemTotal 1 GiB: a working set of 100 MB leaves about 970 MB available.
        try tree.write("mon_memcg.conf", config(tree) + "available_threshold = 100M\n")
        try setRoot(tree, anon: 50_000_000, file: 100_000_000, inactiveFile: 50_000_000)
        daemon.signal(SIGHUP)
        #expect(eventually(timeout: 10) { high(tree) == "max\n" }, "\(log(tree))")
        stop(daemon)
        #expect(log(tree).contains("memory.high restored to max on \(tree.cgroupRoot)/user.slice (was 434241536, set by a held episode): watch reloading its configuration"),
                "a reload undoes it under the settings that set it: \(log(tree))")
        #expect(log(tree).components(separatedBy: "memory.high set to").count == 2, "not short any more: not set again\n\(log(tree))")
    }

    @Test("recovery without a reload: the next wake-up finds available above the line and restores")
    func recoveryAtNextCheck() throws {
        let tree = try tree()
        // global thresh 100M + 64M, the line 256M above it: the fixture's
        // working set of 2.9 GB on 1 GiB is short, one of 10 MB is not.
        try tree.write("mon_memcg.conf", config(tree) + "available_threshold = 100M\n")
        let daemon = try watch(tree)
        // The shortfall below the line, 2266660096, taken from the usage, aligned up.
        #expect(engaged(tree, daemon: daemon, at: "733347840\n"), "\(log(tree))")
        try setRoot(tree, anon: 5_000_000, file: 10_000_000, inactiveFile: 5_000_000)
        // The restore is written before its log line: wait for both.
        #expect(eventually(timeout: 10) {
            high(tree) == "max\n"
                && log(tree).contains("(was 733347840, set by a held episode): available 1063741824 >= global thresh + hold_hysteresis 440401920")
        }, "\(high(tree))\n\(log(tree))")
        #expect(eventually(timeout: 5) { !state(tree).contains("memory_high") }, "\(state(tree))")
        stop(daemon)
        #expect(high(tree) == "max\n")
    }

    @Test("a check that fails reading the node restores it: no limit stays on a node the daemon cannot see")
    func errorWhileReading() throws {
        let tree = try tree()
        let daemon = try engagedWatch(tree)
        try tree.write("proc/meminfo", "garbage\n")
        // The restore is written before its log line: wait for both.
        #expect(eventually(timeout: 10) { high(tree) == "max\n" && log(tree).contains("set by a held episode): the check failed") },
                "\(high(tree))\n\(log(tree))")
        stop(daemon)
        #expect(!state(tree).contains("memory_high"))
    }

    @Test("someone else changed memory.high during the episode: theirs stands, the record is cleared")
    func changedByOthers() throws {
        let tree = try tree()
        let daemon = try engagedWatch(tree)
        try tree.write("cgroup/user.slice/memory.high", "600000000\n")
        stop(daemon)
        #expect(high(tree) == "600000000\n")
        #expect(log(tree).contains("memory.high left at 600000000 on \(tree.cgroupRoot)/user.slice: it is not the 434241536 a held episode wrote"), "\(log(tree))")
        #expect(!state(tree).contains("memory_high"))
    }

    @Test("memory_high = off (the default): memory.high is never written")
    func offByDefault() throws {
        let tree = try tree(lever: false)
        let daemon = try watch(tree)
        #expect(eventually(timeout: 10) { log(tree).contains("hold ended") }, "\(log(tree))")
        stop(daemon)
        #expect(high(tree) == "max\n")
        #expect(!log(tree).contains("memory.high"))
    }
}
