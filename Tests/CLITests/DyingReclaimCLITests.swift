import Foundation
import Testing
import TestSupport

/// A node in the original script's timeout situation, as a fixture tree: kubelet's
/// available memory is negative, user.slice holds 3 GiB of which a live
/// session holds 1 GiB and 2 GiB belong to 7 dying cgroups. Fixture files
/// do not change when written, so after the reclaim everything is still
/// there and the escalation policy alone decides what happens.
func dyingNode(reaper: Bool) throws -> FixtureTree {
    let tree = try FixtureTree(memTotalKB: 4_000_000, rootUsage: 8_000_000_000, rootInactiveFile: 0)
    try tree.write("cgroup/user.slice/memory.stat", FixtureTree.memoryStat(
        rss: 0, cache: 0, totalRSS: 0, totalCache: 3 << 30, totalInactiveFile: 0))
    try tree.write("cgroup/user.slice/session-1.scope/memory.stat", FixtureTree.memoryStat(
        rss: 0, cache: 1 << 30, totalRSS: 0, totalCache: 1 << 30, totalInactiveFile: 0))
    try tree.writeProcCgroups(memoryCgroups: 10)  // 3 live directories
    try tree.write("proc/sys/vm/drop_caches", "")
    if reaper { try tree.write("sys/kernel/mm/memcg_reaper/reap", "") }
    return tree
}

/// A boot id that is not the fixture's: a drop in an earlier boot.
let otherBoot = "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"

enum StampExpectation: Sendable {
    /// No last_drop_caches line in the state file afterwards.
    case absent
    /// The stamp written before the run is still there.
    case unchanged
    /// A stamp taken during this run, on both clocks.
    case fresh
    /// A stamp taken during this run, on the wall clock only (the boot id
    /// was unreadable).
    case freshWallOnly
}

struct CLIRow: NamedRow {
    var name: String
    var args: [String] = []
    var reaper = false
    /// A state file with last_drop_caches this many seconds ago.
    var stampAgo: Int64?
    /// With `stampAgo`: a boot-clock stamp of this boot id (1 ms after its
    /// boot) beside it; nil writes a state file as versions before it did.
    var stampBoot: String?
    var setup: (@Sendable (FixtureTree) throws -> Void)?
    var status: Int32 = 0
    /// Strings the log (or, for dry runs, stdout) must contain; `$DROP`,
    /// `$REAP` and `$ROOT` are replaced by the fixture's paths.
    var contains: [String] = []
    var lacks: [String] = []
    var stderrContains: [String] = []
    var forceEmpty = true
    var reap = false
    var drop = false
    var stamp: StampExpectation = .absent
}

let escalationRows: [CLIRow] = [
    CLIRow(name: "auto without reaper: drop_caches once, logged with before/after and timing",
           contains: ["dying cgroups before reclaim: COUNT 7 BYTES 2147483648", "dying cgroups after reclaim: COUNT 7 BYTES 2147483648",
                      "dying reclaim drop_caches: wrote 1 to $DROP, took ", "dying cgroups COUNT 7 -> 7 BYTES 2147483648 -> 2147483648; avalible_mem ",
                      "dying reclaim stopped: every step dying_reclaim allows has run",
                      "mem usage total_rss+total_cache after dying reclaim 3221225472, stored as last"],
           lacks: ["dying reclaim reaper"], drop: true, stamp: .fresh),
    CLIRow(name: "auto with reaper: reaper first, then drop_caches while still short", reaper: true,
           contains: ["dying reclaim reaper: wrote 1 to $REAP, took ", "dying reclaim drop_caches: wrote 1 to $DROP"],
           reap: true, drop: true, stamp: .fresh),
    CLIRow(name: "reaper only, reaper present", args: ["--dying-reclaim", "reaper"], reaper: true,
           contains: ["dying reclaim reaper: wrote 1 to $REAP"], lacks: ["dying reclaim drop_caches"], reap: true),
    CLIRow(name: "reaper only, no reaper: says so, drops nothing", args: ["--dying-reclaim", "reaper"],
           contains: ["dying reclaim stopped: dying_reclaim is reaper but this kernel has no memcg reaper"]),
    CLIRow(name: "drop_caches only skips a present reaper", args: ["--dying-reclaim", "drop_caches"], reaper: true,
           contains: ["dying reclaim drop_caches: wrote 1"], lacks: ["dying reclaim reaper"], drop: true, stamp: .fresh),
    CLIRow(name: "off: measured and logged, never escalated", args: ["--dying-reclaim", "off"], reaper: true,
           contains: ["dying cgroups before reclaim: COUNT 7", "dying cgroups after reclaim: COUNT 7"], lacks: ["dying reclaim"]),
    CLIRow(name: "rate limit: drop_caches 60 s ago is not repeated", stampAgo: 60,
           contains: ["dying reclaim stopped: drop_caches ran at", "drop_caches_interval allows the next at"], stamp: .unchanged),
    CLIRow(name: "rate limit: 700 s ago is past the 10m interval", stampAgo: 700, drop: true, stamp: .fresh),
    CLIRow(name: "rate limit: a shorter drop_caches_interval", args: ["--drop-caches-interval", "30s"], stampAgo: 60, drop: true, stamp: .fresh),
    CLIRow(name: "rate limit: the reaper still runs", reaper: true, stampAgo: 60,
           contains: ["dying reclaim reaper: wrote 1", "dying reclaim stopped: drop_caches ran at"], reap: true, stamp: .unchanged),
    CLIRow(name: "dying below growth_threshold: no escalation, no extra line", args: ["--growth-threshold", "3G"],
           contains: ["dying cgroups after reclaim: COUNT 7 BYTES 2147483648"], lacks: ["dying reclaim"]),
    CLIRow(name: "memory not short: no reclaim, no dying lines", args: ["--available-threshold", "1G"], setup: { t in try t.setRoot(usage: 1_000_000_000, inactiveFile: 0) },
           lacks: ["dying"], forceEmpty: false),
    CLIRow(name: "interrupted reclaim (the original design's timeout case) still escalates, exits 6", args: ["--reclaim-timeout", "300ms"],
           setup: { t in
               try t.remove("cgroup/user.slice/memory.force_empty")
               guard mkfifo(t.path("cgroup/user.slice/memory.force_empty"), 0o600) == 0 else { throw POSIXError(.EIO) }
           }, status: 6, contains: ["reclaim interrupted after", "dying reclaim drop_caches: wrote 1 to $DROP"],
           forceEmpty: false, drop: true, stamp: .fresh),
    // Dry runs write nothing: not the kernel, not the state.
    CLIRow(name: "dry-run: says what it would have done", args: ["--dry-run"],
           contains: ["dry-run: would have written 1 to", "dying cgroups before reclaim: COUNT 7 BYTES 2147483648",
                      "dry-run: if the reclaim left avalible_mem below global thresh, dying reclaim would have written 1 to $DROP",
                      "dry-run: dying reclaim would then stop: every step dying_reclaim allows has run"],
           forceEmpty: false),
    CLIRow(name: "dry-run with reaper: both steps, in order", args: ["--dry-run"], reaper: true,
           contains: ["dying reclaim would have written 1 to $REAP", "dry-run: if still short after that, dying reclaim would have written 1 to $DROP"],
           forceEmpty: false),
    CLIRow(name: "dry-run rate-limited", args: ["--dry-run"], stampAgo: 60,
           contains: ["dry-run: no dying reclaim: drop_caches ran at"], forceEmpty: false, stamp: .unchanged),
    CLIRow(name: "dry-run: a reclaim_timeout of 52s leaves no time for drop_caches", args: ["--dry-run", "--reclaim-timeout", "52s"],
           contains: ["dry-run: no dying reclaim: only", "drop_caches needs 5000 ms"], forceEmpty: false),
    CLIRow(name: "dry-run off", args: ["--dry-run", "--dying-reclaim", "off"],
           contains: ["dry-run: no dying reclaim: dying_reclaim is off"], forceEmpty: false),
    // Hostile.
    CLIRow(name: "hostile: /proc/cgroups missing: reclaim goes on, escalation does not act blind",
           setup: { t in try t.remove("proc/cgroups") },
           contains: ["dying cgroups before reclaim: cannot measure (cannot open", "dying reclaim stopped: dying cgroups could not be measured"]),
    CLIRow(name: "hostile: drop_caches knob is a directory: error reported, run goes on",
           setup: { t in
               try t.remove("proc/sys/vm/drop_caches")
               try FileManager.default.createDirectory(atPath: t.path("proc/sys/vm/drop_caches"), withIntermediateDirectories: true)
           }, contains: ["error: dying reclaim drop_caches: cannot open $DROP"], stderrContains: ["dying reclaim drop_caches: cannot open"],
           stamp: .fresh),
    CLIRow(name: "rate limit: a drop in an earlier boot 60 s ago is judged on the wall clock", stampAgo: 60, stampBoot: otherBoot,
           contains: ["dying reclaim stopped: drop_caches ran at", "(judged on the wall clock: the last drop_caches was in an earlier boot)"],
           stamp: .unchanged),
    CLIRow(name: "rate limit: a drop in an earlier boot 700 s ago on the wall clock is past the interval", stampAgo: 700, stampBoot: otherBoot,
           drop: true, stamp: .fresh),
    CLIRow(name: "rate limit: a state file without a boot stamp (older version) is judged on the wall clock", stampAgo: 60,
           contains: ["(judged on the wall clock: the last drop_caches has no boot-clock stamp)"], stamp: .unchanged),
    CLIRow(name: "hostile: boot_id missing: drop_caches still runs, stamped on the wall clock only, said once",
           setup: { t in try t.remove("proc/sys/kernel/random/boot_id") },
           contains: ["dying reclaim drop_caches: stamped on the wall clock only, the boot id is unreadable: cannot open",
                      "sys/kernel/random/boot_id", "(the rate limit falls back to the wall clock)"],
           drop: true, stamp: .freshWallOnly),
    CLIRow(name: "hostile: boot_id garbage: not trusted, stamped on the wall clock only",
           setup: { t in try t.write("proc/sys/kernel/random/boot_id", "\n") },
           contains: ["stamped on the wall clock only, the boot id is unreadable: cannot use", "is not a lowercase UUID"],
           drop: true, stamp: .freshWallOnly),
    CLIRow(name: "hostile: boot_id missing, a stamp of this boot 60 s ago: judged on the wall clock", stampAgo: 60, stampBoot: FixtureTree.bootID,
           setup: { t in try t.remove("proc/sys/kernel/random/boot_id") },
           contains: ["(judged on the wall clock: this run could not read the boot id)"], stamp: .unchanged),
    CLIRow(name: "hostile: garbage state: no stamp trusted, state replaced",
           setup: { t in try t.write("state/state", "mon_memcg-state 1\nlast_drop_caches soon\n") },
           contains: ["state file unusable"], drop: true, stamp: .fresh),
    CLIRow(name: "hostile: --dying-reclaim always", args: ["--dying-reclaim", "always"], status: 2,
           stderrContains: ["dying_reclaim \"always\" is not one of auto, reaper, drop_caches, off"], forceEmpty: false),
    CLIRow(name: "hostile: --drop-caches-interval 5s", args: ["--drop-caches-interval", "5s"], status: 2,
           stderrContains: ["must be at least 10s"], forceEmpty: false),
    CLIRow(name: "hostile: --sys-root relative", args: ["--sys-root", "sys"], status: 2, stderrContains: ["sys_root"], forceEmpty: false),
]

@Test("check escalates dying cgroups per dying_reclaim, rate limit, deadline and dry-run", arguments: escalationRows)
func checkEscalation(row: CLIRow) throws {
    let tree = try dyingNode(reaper: row.reaper)
    let started = Int64(Date().timeIntervalSince1970)
    var priorStamp: Int64?
    if let ago = row.stampAgo {
        priorStamp = started - ago
        let boot = row.stampBoot.map { "last_drop_caches_boot_id \($0)\nlast_drop_caches_boottime_ms 1\n" } ?? ""
        try tree.write("state/state", "mon_memcg-state 1\nlast 0\nlast_drop_caches \(started - ago)\n" + boot)
    }
    try row.setup?(tree)
    let result = try Binary.run(["check"] + tree.arguments + ["--sys-root", tree.path("sys"), "--growth-threshold", "1G"] + row.args)
    let finished = Int64(Date().timeIntervalSince1970)
    #expect(result.status == row.status, "stderr: \(result.stderr)")

    let log = (tree.read("mon_memcg.log") ?? "") + result.stdout
    func expand(_ s: String) -> String {
        s.replacingOccurrences(of: "$DROP", with: tree.path("proc/sys/vm/drop_caches"))
            .replacingOccurrences(of: "$REAP", with: tree.path("sys/kernel/mm/memcg_reaper/reap"))
    }
    for s in row.contains.map(expand) { #expect(log.contains(s), "missing \"\(s)\" in:\n\(log)") }
    for s in row.lacks.map(expand) { #expect(!log.contains(s), "unexpected \"\(s)\" in:\n\(log)") }
    for s in row.stderrContains { #expect(result.stderr.contains(s), "stderr: \(result.stderr)") }

    if row.status != 6 {
        #expect((tree.read("cgroup/user.slice/memory.force_empty") == "1\n") == row.forceEmpty, "force_empty")
    }
    #expect((tree.read("sys/kernel/mm/memcg_reaper/reap") == "1\n") == row.reap, "reaper knob")
    #expect((tree.read("proc/sys/vm/drop_caches") == "1\n") == row.drop, "drop_caches knob")

    let state = tree.read("state/state") ?? ""
    let stampLine = state.split(separator: "\n").first { $0.hasPrefix("last_drop_caches ") }
    let stamp = stampLine.flatMap { Int64($0.dropFirst("last_drop_caches ".count)) }
    let bootLine = "last_drop_caches_boot_id \(FixtureTree.bootID)\n"
    switch row.stamp {
    case .absent: #expect(stamp == nil, "state: \(state)")
    case .unchanged: #expect(stamp == priorStamp, "state: \(state)")
    case .fresh:
        #expect(stamp != nil && stamp! >= started && stamp! <= finished, "state: \(state)")
        #expect(state.contains(bootLine) && state.contains("last_drop_caches_boottime_ms "), "state: \(state)")
    case .freshWallOnly:
        #expect(stamp != nil && stamp! >= started && stamp! <= finished, "state: \(state)")
        #expect(!state.contains("last_drop_caches_boot"), "state: \(state)")
    }
}

@Test("a second run inside drop_caches_interval does not drop caches again")
func rateLimitAcrossRuns() throws {
    let tree = try dyingNode(reaper: false)
    let args = ["check"] + tree.arguments + ["--sys-root", tree.path("sys")]
    #expect(try Binary.run(args).status == 0)
    #expect(tree.read("proc/sys/vm/drop_caches") == "1\n")
    try tree.write("proc/sys/vm/drop_caches", "")
    // The original script's growth rule would skip the second run (last = current):
    // make the target grow by 1 GiB so it reclaims again.
    try tree.write("cgroup/user.slice/memory.stat", FixtureTree.memoryStat(
        rss: 0, cache: 0, totalRSS: 0, totalCache: 4 << 30, totalInactiveFile: 0))
    #expect(try Binary.run(args).status == 0)
    #expect(tree.read("proc/sys/vm/drop_caches") == "")
    let log = tree.read("mon_memcg.log") ?? ""
    #expect(log.components(separatedBy: "dying reclaim drop_caches: wrote 1").count == 2, "\(log)")
    // Both runs in one boot: judged on CLOCK_BOOTTIME, whatever the wall clock did.
    #expect(log.contains("dying reclaim stopped: drop_caches ran "), "\(log)")
    #expect(log.contains(" s ago on the boot clock (CLOCK_BOOTTIME, this boot); drop_caches_interval 600 s allows the next in "), "\(log)")
}

@Test("status shows dying cgroups and what escalation would do, in text and JSON")
func statusDying() throws {
    for reaper in [false, true] {
        let tree = try dyingNode(reaper: reaper)
        let args = tree.arguments + ["--sys-root", tree.path("sys")]
        let json = try Binary.run(["status", "--json"] + args)
        #expect(json.status == 0, "\(json.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["dying_cgroups"] as? Int == 7)
        #expect(object?["dying_bytes"] as? Int == 2 << 30)
        #expect(object?["dying_scope"] as? String == "hierarchy")
        #expect(object?["dying_reclaim"] as? String == "auto")
        #expect(object?["reaper_present"] as? Bool == reaper)
        #expect(object?["last_drop_caches"] is NSNull)
        #expect(object?["escalation"] as? String == (reaper ? "reaper,drop_caches" : "drop_caches"))
        let text = try Binary.run(["status"] + args)
        #expect(text.stdout.contains("dying cgroups"), "\(text.stdout)")
        #expect(text.stdout.contains("2147483648  (2.0 GiB)"), "\(text.stdout)")
        #expect(text.stdout.contains("escalation if a reclaim left memory short: \(reaper ? "reaper,drop_caches" : "drop_caches")"))
        // status changes nothing.
        #expect(tree.read("proc/sys/vm/drop_caches") == "")
        #expect(tree.read("state/state") == nil)
    }
}

@Test("status without /proc/cgroups: dying shown as unknown, exit 0")
func statusDyingUnknown() throws {
    let tree = try dyingNode(reaper: false)
    try tree.remove("proc/cgroups")
    let json = try Binary.run(["status", "--json"] + tree.arguments)
    #expect(json.status == 0)
    let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
    #expect(object?["dying_cgroups"] is NSNull)
    #expect(object?["dying_bytes"] is NSNull)
    #expect((object?["dying_problem"] as? String)?.contains("cgroups") == true)
    #expect(object?["escalation"] as? String == "none")
}

@Test("the reclaim's deadline timer is gone before escalation: a slow reaper is not cut short by it")
func reclaimTimerCancelledBeforeEscalation() throws {
    let tree = try dyingNode(reaper: false)
    let knob = tree.path("sys/kernel/mm/memcg_reaper/reap")
    try FileManager.default.createDirectory(atPath: tree.path("sys/kernel/mm/memcg_reaper"), withIntermediateDirectories: true)
    // A reaper that takes 600 ms to accept the write: a FIFO whose reader
    // comes late. The reclaim's timer (100 ms, the process's first timer,
    // id 0) must have been deleted, or it would interrupt this write.
    #expect(mkfifo(knob, 0o600) == 0)
    let reader = Thread {
        usleep(600_000)
        let fd = open(knob, O_RDONLY)
        var buffer = [UInt8](repeating: 0, count: 16)
        _ = read(fd, &buffer, buffer.count)
        close(fd)
    }
    reader.start()
    let result = try Binary.run(["check"] + tree.arguments + ["--sys-root", tree.path("sys"), "--dying-reclaim", "reaper", "--reclaim-timeout", "100ms"])
    #expect(result.status == 0, "\(result.stderr)")
    let log = tree.read("mon_memcg.log") ?? ""
    #expect(log.contains("dying reclaim reaper: wrote 1 to \(knob), took 0."), "\(log)")
    #expect(!log.contains("interrupted"), "\(log)")
}
