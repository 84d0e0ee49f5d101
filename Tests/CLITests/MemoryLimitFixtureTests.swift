import Foundation
import Testing
import TestSupport

/// memory_limit = on in `watch` on a cgroup v1 fixture tree, through the
/// built binary: the clamp at a held episode's start (the original saved
/// first), the follow down at a later wake-up of the same episode, the
/// let-go when what the target cannot give back nears the limit, recovery,
/// SIGTERM, and kill -9 at random points followed by the next start. The
/// fixture's force_empty frees nothing, so the node stays short. The
/// follow thread that runs during a real force_empty is shown on this
/// host's kernel (MemoryLimitHostTests).
@Suite(.serialized)
struct MemoryLimitFixtureTests {
    static let unlimited = "9223372036854771712\n"
    /// usage 3e9 + 16 MiB, aligned up to 64 KiB.
    static let clamp = "3016818688\n"
    /// After the usage fell to 1e9: 1e9 + 16 MiB, aligned up.
    static let followed = "1016791040\n"

    func tree(original: String = unlimited, lever: Bool = true, poll: String = "200ms") throws -> FixtureTree {
        let tree = try FixtureTree(memTotalKB: 1_048_576, rootUsage: 3_000_000_000, rootInactiveFile: 0,
                                   targetRSS: 100_000_000, targetCache: 2_900_000_000)
        try tree.write("cgroup/user.slice/memory.usage_in_bytes", "3000000000\n")
        try tree.write("cgroup/user.slice/memory.limit_in_bytes", original)
        try tree.write("mon_memcg.conf", """
            cgroup_root = \(tree.cgroupRoot)
            proc_root = \(tree.procRoot)
            state_file = \(tree.stateFile)
            log_file = \(tree.logFile)
            kubelet_config = \(tree.path("kubelet/config.yaml"))
            poll_interval = \(poll)
            growth_threshold = 100M
            memory_limit = \(lever ? "on" : "off")

            """)
        return tree
    }

    func limit(_ tree: FixtureTree) -> String { tree.read("cgroup/user.slice/memory.limit_in_bytes") ?? "(missing)" }
    func log(_ tree: FixtureTree) -> String { tree.read("mon_memcg.log") ?? "" }
    func state(_ tree: FixtureTree) -> String { tree.read("state/state") ?? "" }
    /// `extra`: more arguments (`--supervise`).
    func watch(_ tree: FixtureTree, _ extra: [String] = []) throws -> Daemon {
        try Daemon(["watch", "--config", tree.path("mon_memcg.conf")] + extra)
    }

    /// The target's memory.stat and usage replaced in one rename each, while
    /// the daemon runs; `inPlace`: rewritten as a kernel file changes, for a
    /// thread that holds them open.
    func setTarget(_ tree: FixtureTree, rss: Int64, cache: Int64, usage: Int64, inPlace: Bool = false) throws {
        let stat = FixtureTree.memoryStat(rss: rss, cache: cache, totalRSS: rss, totalCache: cache, totalInactiveFile: cache / 2)
        guard inPlace else {
            try stat.write(toFile: tree.path("cgroup/user.slice/memory.stat"), atomically: true, encoding: .utf8)
            try "\(usage)\n".write(toFile: tree.path("cgroup/user.slice/memory.usage_in_bytes"), atomically: true, encoding: .utf8)
            return
        }
        overwrite(tree, "cgroup/user.slice/memory.stat", stat)
        overwrite(tree, "cgroup/user.slice/memory.usage_in_bytes", "\(usage)\n")
    }

    /// The file's text replaced through its inode (truncated, then written).
    func overwrite(_ tree: FixtureTree, _ relative: String, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let fd = open(tree.path(relative), O_WRONLY | O_TRUNC | O_CLOEXEC)
        let bytes = Array(text.utf8)
        #expect(fd >= 0 && write(fd, bytes, bytes.count) == bytes.count, "\(relative)", sourceLocation: sourceLocation)
        close(fd)
    }

    /// Returns once the first check has clamped the limit and ended its
    /// episode: a test that changes the target's files earlier races the
    /// check's own reading after its reclaim (which then records the
    /// changed usage as `last`, and the next wake-ups skip the reclaim).
    func engagedWatch(_ tree: FixtureTree, _ extra: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws -> Daemon {
        let daemon = try watch(tree, extra)
        #expect(eventually(timeout: 10) { limit(tree) == Self.clamp && log(tree).contains("memory.limit_in_bytes set to") && log(tree).contains("hold ended after") },
                "\(log(tree))\n\(daemon.stderr)", sourceLocation: sourceLocation)
        return daemon
    }

    @Test("clamped at the usage + 16 MiB (the original saved first), followed down at the next wake-up, restored on SIGTERM")
    func clampFollowStop() throws {
        let tree = try tree()
        let daemon = try engagedWatch(tree)
        let path = "\(tree.cgroupRoot)/user.slice"
        #expect(state(tree).contains("memory_limit_target \(path)\nmemory_limit_original 9223372036854771712\nmemory_limit_written 4090560512\n"),
                "\(state(tree))")
        #expect(log(tree).contains("memory.limit_in_bytes set to 3016818688 on \(path) (was 9223372036854771712): its usage 3000000000 + 16777216, so it stops growing while it is reclaimed (floor 368435456)"),
                "\(log(tree))")
        // The target grew by growth_threshold (the next check reclaims) while its usage fell to 1e9.
        try setTarget(tree, rss: 100_000_000, cache: 3_100_000_000, usage: 1_000_000_000)
        #expect(eventually(timeout: 10) { limit(tree) == Self.followed }, "\(log(tree))")
        #expect(log(tree).contains("memory.limit_in_bytes followed down to 1016791040 on \(path) (was 3016818688, 1 write) at this wake-up"), "\(log(tree))")
        #expect(state(tree).contains("memory_limit_written 4090560512\n"), "the record keeps its ceiling (the clamp + 1 GiB), not the value followed down to: \(state(tree))")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 5) == 0, "\(daemon.stderr)")
        #expect(limit(tree) == Self.unlimited)
        #expect(!state(tree).contains("memory_limit"), "the record cleared after the restore: \(state(tree))")
        #expect(log(tree).contains("memory.limit_in_bytes restored to 9223372036854771712 on \(path) (was 1016791040, set by a held episode): watch stopping on SIGTERM"),
                "\(log(tree))")
    }

    @Test("recovery: available back above the line puts it back")
    func recovery() throws {
        let tree = try tree()
        let daemon = try engagedWatch(tree)
        // MemTotal 1 GiB: a root working set of 100 MB leaves available above 256 MiB + min_free_kbytes.
        try tree.write("proc/meminfo", FixtureTree.meminfo(totalKB: 24_000_000))
        #expect(eventually(timeout: 10) { limit(tree) == Self.unlimited }, "\(log(tree))")
        // The line follows the write.
        #expect(eventually(timeout: 5) { log(tree).contains("memory.limit_in_bytes restored to 9223372036854771712 on \(tree.cgroupRoot)/user.slice (was 3016818688, set by a held episode): available ") },
                "\(log(tree))")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 5) == 0)
    }

    @Test("let go when what the target cannot give back grows within 128 MiB of the limit")
    func letGo() throws {
        let tree = try tree()
        let daemon = try engagedWatch(tree)
        // The target's anon grew to 2.9e9 under a 3,016,818,688 limit. A
        // wake-up's let-go test or the thread between wake-ups, whichever
        // looks first, writes the original back; the line follows the write.
        try setTarget(tree, rss: 2_900_000_000, cache: 100_000_000, usage: 3_000_000_000)
        #expect(eventually(timeout: 10) { limit(tree) == Self.unlimited }, "\(log(tree))")
        #expect(eventually(timeout: 5) { log(tree).contains("what the target cannot give back without swap, 2900000000, is within 134217728 of the limit 3016818688: let go before the kernel would OOM-kill in it") },
                "\(log(tree))")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 5) == 0)
    }

    @Test("between wake-ups (no check can run: the lock is held), the thread lets go when the target's anon nears the limit")
    func letGoBetweenWakeUps() throws {
        let tree = try tree()
        let daemon = try engagedWatch(tree)
        let lock = holdRunLock(tree.stateFile + ".lock") { log(tree) }
        try setTarget(tree, rss: 2_900_000_000, cache: 100_000_000, usage: 3_000_000_000)
        #expect(eventually(timeout: 2) { limit(tree) == Self.unlimited }, "\(log(tree))")
        // Logged by the daemon once it has joined the thread, just after the write.
        #expect(eventually(timeout: 5) { log(tree).contains("let go on") }, "\(log(tree))")
        let line = log(tree).split(separator: "\n").first { $0.contains("let go on") }.map(String.init) ?? ""
        #expect(line.contains("memory.limit_in_bytes let go on \(tree.cgroupRoot)/user.slice, 9223372036854771712 written back between wake-ups ("),
                "\(log(tree))")
        #expect(line.hasSuffix(" s after the last check): what the target cannot give back without swap, 2900000000, is within 134217728 of the limit 3016818688: let go before the kernel would OOM-kill in it"),
                "\(line)")
        #expect(state(tree).contains("memory_limit_written 4090560512\n"), "the record stays until the episode ends: \(state(tree))")
        lock.release()
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 5) == 0, "\(daemon.stderr)")
        #expect(limit(tree) == Self.unlimited)
        #expect(log(tree).contains("memory.limit_in_bytes restore: \(tree.cgroupRoot)/user.slice has 9223372036854771712, its value before the held episode, already (watch stopping on SIGTERM); nothing written"),
                "\(log(tree))")
    }

    @Test("between wake-ups the thread never lowers the limit, and leaves one that is not the lever's own")
    func betweenWakeUpsOnlyLetsGoOwnLimit() throws {
        // Wake-ups 10 s apart: the limit is changed under one thread, which
        // holds the file open (a wake-up starts the next one only on a
        // limit that is the lever's own).
        let tree = try tree(poll: "10s")
        let daemon = try engagedWatch(tree)
        let lock = holdRunLock(tree.stateFile + ".lock", skipped: false) { log(tree) }
        // The usage fell by far more than followStep: a reclaim's thread would follow it down.
        try setTarget(tree, rss: 100_000_000, cache: 900_000_000, usage: 1_000_000_000, inPlace: true)
        usleep(500_000)
        #expect(limit(tree) == Self.clamp, "lowered between wake-ups: \(log(tree))")
        // Someone sets their own limit, above the lever's, in place as in
        // a kernel file; the anon then nears it.
        overwrite(tree, "cgroup/user.slice/memory.limit_in_bytes", "5000000000\n")
        try setTarget(tree, rss: 4_950_000_000, cache: 0, usage: 4_990_000_000, inPlace: true)
        usleep(500_000)
        #expect(limit(tree) == "5000000000\n", "someone else's limit written over: \(log(tree))")
        #expect(!log(tree).contains("let go on"), "\(log(tree))")
        lock.release()
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 5) == 0, "\(daemon.stderr)")
        #expect(limit(tree) == "5000000000\n", "\(log(tree))")
    }

    @Test("memory_limit off (the default): the limit is never written")
    func off() throws {
        let tree = try tree(lever: false)
        let daemon = try watch(tree)
        #expect(eventually(timeout: 10) { log(tree).contains("Before reclaim:") }, "\(log(tree))")
        usleep(500_000)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 5) == 0)
        #expect(limit(tree) == Self.unlimited)
        #expect(!log(tree).contains("memory.limit_in_bytes"), "\(log(tree))")
    }

    @Test("kill -9 at random points: the next start (check) puts back what it was, unlimited or someone's value")
    func killNine() throws {
        var engagedRounds = 0
        var generator = SystemRandomNumberGenerator()
        for round in 0..<8 {
            let original = round % 2 == 0 ? Self.unlimited : "5000000000\n"
            let tree = try tree(original: original)
            let daemon = try watch(tree)
            if round == 0 {
                #expect(eventually(timeout: 10) { limit(tree) == Self.clamp }, "\(log(tree))")
            } else {
                usleep(UInt32.random(in: 0...700_000, using: &generator))
            }
            daemon.signal(SIGKILL)
            _ = daemon.waitForExit(timeout: 5)
            if limit(tree).isEmpty {
                // Killed between the O_TRUNC and the write: a plain file is
                // left empty, a kernel file never is. Put either back.
                try tree.write("cgroup/user.slice/memory.limit_in_bytes", Bool.random(using: &generator) ? original : Self.clamp)
            }
            if limit(tree) == Self.clamp { engagedRounds += 1 }
            let next = try Binary.run(["check", "--config", tree.path("mon_memcg.conf")])
            #expect(limit(tree) == original, "round \(round): \(next.stderr)\n\(log(tree))")
            #expect(!state(tree).contains("memory_limit"), "round \(round): \(state(tree))")
            if limit(tree) != original { break }
        }
        #expect(engagedRounds >= 1, "no round killed the daemon with the lever engaged: the rounds proved nothing")
    }
}
