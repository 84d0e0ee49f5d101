import Foundation
import Testing
import TestSupport

/// The environment failing under the built binary: full and read-only file
/// systems (real tmpfs mounts), directories and cgroups removed mid-run,
/// kernel files that vanish or come back short, writes the kernel refuses,
/// and a wall clock stepped by hours. One table; each row injects a fault,
/// runs the binary, checks its exit status and words, clears the fault and
/// checks that the next run recovers: exit 0, the state valid (intact, or
/// the documented loss), no stale lock, no temp file left.
@Suite(.serialized)
struct FaultInjectionTests {
    // MARK: the table

    static let faults: [Fault] = [
        // --- state directory ---
        Fault(name: "state directory full (ENOSPC, 64 KiB tmpfs filled)", needs: .root,
              inject: { h in try h.mountTmpfs("state"); try h.seedState(); try h.fill("state") },
              status: 7, stderr: ["state.tmp.", "No space left on device"], log: ["After reclaim:"],
              state: .intact, clear: { h in try h.removeFiller("state") }),
        Fault(name: "state directory read-only (EROFS, read-only bind mount)", needs: .root,
              inject: { h in try h.seedState(); try h.bindReadOnly("state") },
              status: 7, stderr: ["state.lock", "Read-only file system"], log: [],
              state: .intact, reclaimed: false, clear: { h in h.unmount("state") }),
        Fault(name: "state directory removed between runs",
              inject: { h in try h.seedState(); try h.remove("state") },
              status: 0, log: ["LAST 0 CHANGE 3000000000", "After reclaim:"],
              state: .saved, clear: { _ in }),
        Fault(name: "state directory removed during a reclaim",
              inject: { h in try h.seedState() },
              act: { h in try h.pausedCheck { try h.remove("state") } },
              status: 0, log: ["After reclaim:"], state: .saved, clear: { _ in }),

        // --- log file ---
        Fault(name: "log file on a full file system (ENOSPC)", needs: .root,
              inject: { h in try h.mountTmpfs("logs"); try h.fill("logs"); h.logInMount = true },
              status: 0, stderr: ["No space left on device", "log lines go to stderr for this run", "After reclaim:"],
              log: [], state: .saved, clear: { h in try h.removeFiller("logs") }),
        Fault(name: "log file on a read-only file system (EROFS)", needs: .root,
              inject: { h in try h.mountTmpfs("logs"); h.logInMount = true; try h.bindReadOnly("logs") },
              status: 0, stderr: ["Read-only file system", "log lines go to stderr for this run", "After reclaim:"],
              log: [], state: .saved, clear: { h in h.unmount("logs") }),
        Fault(name: "log file moved away while watch runs, a new one created, SIGHUP (logrotate create)",
              act: { h in try h.watchRotating(.create) },
              status: 0, log: ["reloaded the configuration on SIGHUP and reopened the log", "watch stopped on SIGTERM"],
              state: .saved, clear: { _ in }),
        Fault(name: "log file deleted while watch runs, SIGHUP",
              act: { h in try h.watchRotating(.delete) },
              status: 0, log: ["reloaded the configuration on SIGHUP and reopened the log", "watch stopped on SIGTERM"],
              state: .saved, clear: { _ in }),
        Fault(name: "log file truncated while watch runs (logrotate copytruncate)",
              act: { h in try h.watchRotating(.copyTruncate) },
              status: 0, log: ["change is too small", "watch stopped on SIGTERM"],
              state: .saved, clear: { _ in }),

        // --- metrics directory ---
        Fault(name: "metrics directory full (ENOSPC)", needs: .root,
              inject: { h in try h.mountTmpfs("metrics"); try h.fill("metrics"); h.metrics = true },
              status: 0, stderr: ["cannot write metrics_file", ".mon_memcg.prom.tmp.", "No space left on device"],
              log: ["After reclaim:", "cannot write metrics_file"], state: .saved, clear: { h in try h.removeFiller("metrics") }),
        Fault(name: "metrics directory read-only (EROFS)", needs: .root,
              inject: { h in try h.mountTmpfs("metrics"); h.metrics = true; try h.bindReadOnly("metrics") },
              status: 0, stderr: ["cannot write metrics_file", "Read-only file system"],
              log: ["After reclaim:"], state: .saved, clear: { h in h.unmount("metrics") }),

        // --- the target cgroup ---
        Fault(name: "target cgroup removed during a reclaim, then re-created",
              inject: { h in try h.seedState() },
              act: { h in try h.pausedCheck { try h.moveTargetAway() } },
              status: 4, stderr: ["after reclaim: target cgroup", "user.slice disappeared during the reclaim; the usage after it was not recorded"],
              log: ["error: after reclaim: target cgroup"],
              state: .intact, clear: { h in try h.recreateTarget() }),
        Fault(name: "real kernel: target cgroup removed between runs, then re-created", needs: .kernel,
              inject: { h in try h.realTarget(present: false) },
              status: 4, stderr: ["target cgroup"], log: [], state: .absent, reclaimed: false,
              clear: { h in try h.realTarget(present: true) }),

        // --- kernel files ---
        Fault(name: "target memory.stat vanishes between the reads before and after the reclaim",
              inject: { h in try h.seedState() },
              act: { h in try h.pausedCheck { try h.tree.remove("cgroup/user.slice/memory.stat") } },
              status: 3, stderr: ["after reclaim:", "memory.stat", "No such file or directory"], log: ["error: after reclaim:"],
              state: .intact, clear: { h in try h.recreateTarget() }),
        Fault(name: "target memory.stat comes back short after the reclaim",
              inject: { h in try h.seedState() },
              act: { h in try h.pausedCheck { try h.tree.write("cgroup/user.slice/memory.stat", "cache 12\nrss") } },
              status: 3, stderr: ["after reclaim: cannot use", "memory.stat", "unexpected after the reclaim; the usage after it was not recorded"],
              log: ["error: after reclaim:"],
              state: .intact, clear: { h in try h.recreateTarget() }),
        Fault(name: "root memory.stat comes back short at the next run",
              inject: { h in try h.tree.write("cgroup/memory.stat", "total_cache 1\ntotal_in") },
              status: 3, stderr: ["memory.stat"], log: [], state: .absent, reclaimed: false,
              clear: { h in try h.tree.setRoot(usage: 3_000_000_000, inactiveFile: 0) }),
        Fault(name: "meminfo vanishes at the next run",
              inject: { h in try h.tree.remove("proc/meminfo") },
              status: 3, stderr: ["meminfo: No such file or directory"], log: [], state: .absent, reclaimed: false,
              clear: { h in try h.tree.write("proc/meminfo", FixtureTree.meminfo(totalKB: 1_048_576)) }),
        Fault(name: "force_empty write fails with EBUSY", needs: .preload,
              inject: { h in try h.seedState(); h.failWrites(ending: "memory.force_empty", errno: EBUSY) },
              status: 5, stderr: ["memory.force_empty", "Device or resource busy"], log: [],
              state: .intact, reclaimed: false, clear: { h in h.failWrites = nil }),
        Fault(name: "force_empty write fails with EINVAL", needs: .preload,
              inject: { h in try h.seedState(); h.failWrites(ending: "memory.force_empty", errno: EINVAL) },
              status: 5, stderr: ["memory.force_empty", "Invalid argument"], log: [],
              state: .intact, reclaimed: false, clear: { h in h.failWrites = nil }),

        // --- the clocks, around drop_caches_interval (10 min) ---
        // The wall clock (MON_MEMCG_TEST_EPOCH_SECONDS) is stepped by hours
        // while the boot clock (MON_MEMCG_TEST_BOOT_MILLISECONDS) counts the
        // real time. Each row asserts both halves of the rule: never two
        // drops within the interval on the boot clock, and a drop allowed
        // once the interval has passed on it, whatever the wall clock says.
        Fault(name: "wall clock stepped back 3 h, 60 s after the last drop_caches on the boot clock: no second drop",
              dying: true,
              inject: { h in try h.seedDropStamp(wallAgo: -3 * 3600, bootAgo: 60) },
              status: 0, log: ["dying reclaim stopped: drop_caches ran 60 s ago on the boot clock"],
              state: .dropStamp(wall: 3 * 3600, boot: -60), drops: 0,
              clear: { h in h.elapse(539); try h.forgetLast() },
              recovered: ["drop_caches ran 599 s ago on the boot clock", "allows the next in 1 s"]),
        Fault(name: "wall clock stepped back 3 h, one interval after the last drop_caches on the boot clock: the drop runs",
              dying: true,
              inject: { h in try h.seedDropStamp(wallAgo: -3 * 3600, bootAgo: 600) },
              status: 0, log: ["dying reclaim drop_caches: wrote 1 to"], state: .dropStamp(wall: 0, boot: 0),
              clear: { h in h.elapse(60); try h.forgetLast() },
              recovered: ["drop_caches ran 60 s ago on the boot clock", "allows the next in 540 s"]),
        Fault(name: "wall clock stepped back 5 min (less than the interval), one interval after the drop on the boot clock: not blocked 5 min more",
              dying: true,
              inject: { h in try h.seedDropStamp(wallAgo: 600 - 300, bootAgo: 600) },
              status: 0, log: ["dying reclaim drop_caches: wrote 1 to"], state: .dropStamp(wall: 0, boot: 0),
              clear: { h in h.elapse(599); try h.forgetLast() },
              recovered: ["drop_caches ran 599 s ago on the boot clock"]),
        Fault(name: "wall clock stepped forward 3 h, 60 s after the last drop_caches on the boot clock: no second drop",
              dying: true,
              inject: { h in try h.seedDropStamp(wallAgo: 3 * 3600 + 60, bootAgo: 60) },
              status: 0, log: ["dying reclaim stopped: drop_caches ran 60 s ago on the boot clock"],
              state: .dropStamp(wall: -3 * 3600 - 60, boot: -60), drops: 0,
              clear: { h in h.elapse(539); try h.forgetLast() },
              recovered: ["drop_caches ran 599 s ago on the boot clock", "allows the next in 1 s"]),
        Fault(name: "wall clock back 2 h right after a drop_caches, then forward 2 h: the next drop one interval later on the boot clock",
              dying: true,
              inject: { h in try h.seedDropStamp(wallAgo: 0, bootAgo: 0); h.wallStep(-2 * 3600) },
              act: { h in
                  // Back 2 h: the wall stamp is 2 h ahead, the boot clock
                  // says 0 s: limited (the wall-clock rule let this one through).
                  _ = try h.check()
                  guard h.drops == 0 else { throw FaultError("a drop 0 s after the last one on the boot clock") }
                  // Forward again, 1 min later: the wall clock says 1 min too.
                  h.wallStep(2 * 3600)
                  h.elapse(60)
                  try h.forgetLast()
                  _ = try h.check()
                  guard h.drops == 0 else { throw FaultError("a drop 60 s after the last one on the boot clock") }
                  // One interval after the first drop: the next one.
                  h.elapse(540)
                  try h.forgetLast()
                  return try h.check()
              },
              status: 0, log: ["drop_caches ran 0 s ago on the boot clock", "drop_caches ran 60 s ago on the boot clock",
                               "dying reclaim drop_caches: wrote 1 to"],
              state: .dropStamp(wall: 600, boot: 600), drops: 1,
              clear: { h in h.elapse(1); try h.forgetLast() },
              recovered: ["drop_caches ran 1 s ago on the boot clock"]),
        Fault(name: "rebooted since the last drop_caches (another boot id), 60 s ago on the wall clock: judged on the wall clock",
              dying: true,
              inject: { h in try h.seedDropStamp(wallAgo: 60, bootAgo: -3_600, boot: "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d") },
              status: 0, log: ["drop_caches_interval allows the next at \(FaultHost.epoch + 540) (judged on the wall clock: the last drop_caches was in an earlier boot)"],
              state: .dropStamp(wall: -60, boot: 3_600), drops: 0,
              clear: { h in h.elapse(539); try h.forgetLast() },
              recovered: ["allows the next at \(FaultHost.epoch + 540) (judged on the wall clock"]),
    ]

    // MARK: the runners, one per requirement, all over the same table

    @Test("fault (fixture tree) → exit status and words, then the next run recovers",
          arguments: faults.filter { $0.needs == .none })
    func fixtureFault(_ fault: Fault) throws { try Self.run(fault) }

    @Test("fault (real tmpfs / read-only bind mount) → exit status and words, then the next run recovers",
          .enabled(if: geteuid() == 0, "needs root to mount tmpfs and read-only bind mounts"),
          arguments: faults.filter { $0.needs == .root })
    func mountFault(_ fault: Fault) throws { try Self.run(fault) }

    @Test("fault (real cgroup v1) → exit status and words, then the next run recovers",
          .enabled(if: KernelLab.unavailableReason == nil, "needs root and a cgroup v1 memory controller at /sys/fs/cgroup/memory"),
          arguments: faults.filter { $0.needs == .kernel })
    func kernelFault(_ fault: Fault) throws { try Self.run(fault) }

    @Test("fault (a write the kernel refuses, via an LD_PRELOAD shim) → exit status and words, then the next run recovers",
          .enabled(if: FaultHost.preloadUnavailableReason == nil,
                   "needs a dynamically linked binary and a C compiler (\(FaultHost.preloadUnavailableReason ?? ""))"),
          arguments: faults.filter { $0.needs == .preload })
    func preloadFault(_ fault: Fault) throws { try Self.run(fault) }

    @Test("every row has a runner, and the table covers the faults the issue lists")
    func tableIsWhole() {
        #expect(Self.faults.count >= 20)
        #expect(Set(Self.faults.map(\.name)).count == Self.faults.count)
        print("faults in the table: \(Self.faults.count)")
    }

    static func run(_ fault: Fault) throws {
        let h = try FaultHost(dying: fault.dying)
        defer { h.tearDown() }
        try fault.inject(h)
        let r = try fault.act(h)
        let log = h.log
        print("fault \"\(fault.name)\": exit \(r.status); stderr: \(r.stderr.split(separator: "\n").first.map(String.init) ?? "")")
        #expect(r.status == fault.status, "stderr: \(r.stderr)\nlog: \(log)")
        #expect(!r.stderr.contains("Fatal error"), "a Swift runtime trap: \(r.stderr)")
        for text in fault.stderr { #expect(r.stderr.contains(text), "stderr lacks \"\(text)\": \(r.stderr)") }
        for text in fault.log { #expect(log.contains(text), "log lacks \"\(text)\": \(log)") }
        #expect(h.forceEmptyWrites == (fault.reclaimed ? 1 : 0), "force_empty written \(h.forceEmptyWrites) times")
        if let drops = fault.drops { #expect(h.drops == drops, "drop_caches written \(h.drops) times:\n\(log)") }
        switch fault.state {
        case .intact: #expect(h.lastInState == FaultHost.seededLast, "state: \(h.stateText.debugDescription)")
        case .saved: #expect(h.lastInState == FaultHost.usage, "state: \(h.stateText.debugDescription)")
        case .absent: #expect(h.stateText == nil, "state: \(h.stateText.debugDescription)")
        case .dropStamp(let wall, let boot):
            #expect(h.stateText?.contains("last_drop_caches \(FaultHost.epoch + wall)\n") == true, "state: \(h.stateText.debugDescription)")
            #expect(h.stateText?.contains("last_drop_caches_boottime_ms \(FaultHost.bootStart + boot * 1000)\n") == true,
                    "state: \(h.stateText.debugDescription)")
        }
        #expect(h.tempFiles.isEmpty, "temp files left: \(h.tempFiles)")

        // The fault clears; the next run recovers.
        try fault.clear(h)
        let drops = h.drops
        let before = h.log
        let next = try h.check()
        let added = String(h.log.dropFirst(before.count))
        #expect(next.status == 0, "the next run: \(next.stderr)\nlog: \(added)")
        #expect(!next.stderr.contains("error"), "the next run: \(next.stderr)")
        #expect(!added.contains("another mon_memcg run holds"), "a stale lock: \(added)")
        #expect(!added.contains("state file unusable"), "the state was left unusable: \(added)")
        #expect(!added.isEmpty, "the next run logged nothing to the file")
        #expect(h.lastInState != nil && h.lastInState == h.expectedLast, "the next run's state: \(h.stateText.debugDescription)")
        #expect(h.tempFiles.isEmpty, "temp files left by the next run: \(h.tempFiles)")
        for text in fault.recovered { #expect(added.contains(text), "the next run's log lacks \"\(text)\": \(added)") }
        if fault.dying { #expect(h.drops == drops, "a second drop_caches within the interval:\n\(added)") }
    }
}

// MARK: - rows

enum Requirement: Sendable { case none, root, kernel, preload }

/// What the state file holds after the faulty run.
enum StateAfter: Sendable {
    /// The value from before the fault (`FaultHost.seededLast`).
    case intact
    /// The usage the run saw, saved as last.
    case saved
    /// No state file.
    case absent
    /// `last_drop_caches` at `FaultHost.epoch` + `wall` seconds, its
    /// boot-clock stamp at `FaultHost.bootStart` + `boot` seconds.
    case dropStamp(wall: Int64, boot: Int64)
}

struct Fault: NamedRow {
    var name: String
    var needs: Requirement = .none
    /// The dying-cgroup node of DyingReclaimCLITests instead of a plain short node.
    var dying = false
    var inject: @Sendable (FaultHost) throws -> Void = { _ in }
    /// What runs under the fault; a check by default.
    var act: @Sendable (FaultHost) throws -> RunResult = { try $0.check() }
    var status: Int32
    var stderr: [String] = []
    var log: [String] = []
    var state: StateAfter
    /// force_empty written once (the fault came after it, or none).
    var reclaimed = true
    /// drop_caches writes expected by the end of `act`.
    var drops: Int?
    var clear: @Sendable (FaultHost) throws -> Void
    /// What the next run's log lines must contain.
    var recovered: [String] = []

    init(name: String, needs: Requirement = .none, dying: Bool = false,
         inject: @escaping @Sendable (FaultHost) throws -> Void = { _ in },
         act: @escaping @Sendable (FaultHost) throws -> RunResult = { try $0.check() },
         status: Int32, stderr: [String] = [], log: [String], state: StateAfter, reclaimed: Bool = true, drops: Int? = nil,
         clear: @escaping @Sendable (FaultHost) throws -> Void, recovered: [String] = []) {
        self.name = name
        self.needs = needs
        self.dying = dying
        self.inject = inject
        self.act = act
        self.status = status
        self.stderr = stderr
        self.log = log
        self.state = state
        self.reclaimed = reclaimed
        self.drops = drops ?? (dying ? 1 : nil)
        self.clear = clear
        self.recovered = recovered
    }

}

// MARK: - the host under fault

/// A fixture node whose memory is short (the target holds 3 GB and grew
/// 2 GB since last), with its state, log and metrics in directories that
/// can be replaced by real mounts. Every mount and cgroup it makes is
/// removed by `tearDown`, also when the test fails.
final class FaultHost: @unchecked Sendable {
    static let usage: Int64 = 3_000_000_000
    static let seededLast: Int64 = 1_000_000_000
    /// The fake wall clock's start (2026-11-01).
    static let epoch: Int64 = 1_793_577_600
    /// The fake boot clock's start: 2 h after the fixture's boot.
    static let bootStart: Int64 = 7_200_000

    let tree: FixtureTree
    let dying: Bool
    var logInMount = false
    var metrics = false
    /// The wall clock the binary sees (epoch seconds).
    var now = FaultHost.epoch
    /// The boot clock the binary sees (CLOCK_BOOTTIME ms): the real time.
    var bootNow = FaultHost.bootStart
    var failWrites: (suffix: String, errno: Int32)?
    private var mounts: [String] = []
    private var realCgroup: String?

    init(dying: Bool) throws {
        self.dying = dying
        if dying {
            tree = try dyingNode(reaper: false)
            // The plain short node's numbers for the target (3 GB, in cache).
        } else {
            tree = try FixtureTree(memTotalKB: 1_048_576, rootUsage: 3_000_000_000, rootInactiveFile: 0,
                                   targetRSS: 1_000_000_000, targetCache: 2_000_000_000)
        }
        for dir in ["logs", "metrics"] {
            try FileManager.default.createDirectory(atPath: tree.path(dir), withIntermediateDirectories: true)
        }
    }

    func tearDown() {
        for mount in mounts.reversed() { Self.sh("umount -l '\(mount)'") }
        mounts = []
        if let realCgroup { KernelLab.remove(realCgroup) }
    }

    var logPath: String { logInMount ? tree.path("logs/mon_memcg.log") : tree.logFile }
    var log: String { contents(logPath) }
    var stateText: String? { tree.read("state/state") }
    var lastInState: Int64? {
        stateText?.split(separator: "\n").first { $0.hasPrefix("last ") }.flatMap { Int64($0.dropFirst(5)) }
    }
    /// Writes to force_empty: the FIFO's reads in a paused check, the
    /// fixture file's content otherwise (each write truncates it), the
    /// log's "After reclaim:" on the real kernel.
    var forceEmptyWrites: Int {
        if realCgroup != nil { return log.components(separatedBy: "After reclaim:").count - 1 }
        if let fifoWrites { return fifoWrites }
        return tree.read("cgroup/user.slice/memory.force_empty") == "1\n" ? 1 : 0
    }
    private var fifoWrites: Int?
    /// What the next run stores as last.
    var expectedLast: Int64? { realCgroup != nil ? lastInState : dying ? 3 << 30 : Self.usage }
    var drops: Int { log.components(separatedBy: "dying reclaim drop_caches: wrote 1").count - 1 }

    /// `*.tmp.*` files in the state and metrics directories (the atomic
    /// replace's temp files).
    var tempFiles: [String] {
        ["state", "metrics"].flatMap { dir in
            ((try? FileManager.default.contentsOfDirectory(atPath: tree.path(dir))) ?? []).filter { $0.contains(".tmp.") }
        }
    }

    var arguments: [String] {
        var args = ["--cgroup-root", tree.cgroupRoot, "--proc-root", tree.procRoot, "--state-file", tree.stateFile,
                    "--log-file", logPath, "--sys-root", tree.path("sys")]
        if let realCgroup {
            args = ["--target", realCgroup, "--state-file", tree.stateFile, "--log-file", logPath,
                    "--available-threshold", "1T", "--growth-threshold", "1M", "--dying-reclaim", "off"]
        }
        if metrics { args += ["--metrics-file", tree.path("metrics/mon_memcg.prom")] }
        return args
    }

    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["MON_MEMCG_TEST_EPOCH_SECONDS"] = String(now)
        env["MON_MEMCG_TEST_BOOT_MILLISECONDS"] = String(bootNow)
        if let failWrites, let shim = Self.shim {
            env["LD_PRELOAD"] = shim
            env["MON_MEMCG_FAULT_SUFFIX"] = failWrites.suffix
            env["MON_MEMCG_FAULT_ERRNO"] = String(failWrites.errno)
        }
        return env
    }

    func check() throws -> RunResult {
        try Binary.run(["check"] + arguments, environment: environment)
    }

    // MARK: faults

    func seedState() throws { try tree.writeState(last: Self.seededLast) }

    /// A drop_caches `wallAgo` seconds ago on the wall clock and `bootAgo`
    /// seconds ago on the boot clock of `boot` (the fixture's by default):
    /// the difference is how far the wall clock was stepped since.
    func seedDropStamp(wallAgo: Int64, bootAgo: Int64, boot: String = FixtureTree.bootID) throws {
        try tree.write("state/state", "mon_memcg-state 1\nlast 0\nlast_drop_caches \(now - wallAgo)\n"
                       + "last_drop_caches_boot_id \(boot)\nlast_drop_caches_boottime_ms \(bootNow - bootAgo * 1000)\n")
    }

    /// A step of the wall clock alone (NTP, `date -s`).
    func wallStep(_ seconds: Int64) { now += seconds }

    /// Real time passes: both clocks move.
    func elapse(_ seconds: Int64) {
        now += seconds
        bootNow += seconds * 1000
    }

    /// last back to 0, the drop_caches stamp kept: the next check reclaims
    /// again, so the escalation and its rate limit are asked again.
    func forgetLast() throws {
        let lines = (stateText ?? "").split(separator: "\n").map { $0.hasPrefix("last ") ? "last 0" : String($0) }
        try tree.write("state/state", lines.joined(separator: "\n") + "\n")
    }

    func failWrites(ending suffix: String, errno: Int32) { failWrites = (suffix, errno) }

    func remove(_ relative: String) throws { try FileManager.default.removeItem(atPath: tree.path(relative)) }

    /// A 64 KiB tmpfs over `relative` (root only), unmounted by tearDown.
    func mountTmpfs(_ relative: String) throws {
        let path = tree.path(relative)
        guard Self.sh("mount -t tmpfs -o size=64k,mode=0755 mon_memcg-test '\(path)'") == 0 else {
            throw FaultError("mount -t tmpfs on \(path) failed")
        }
        mounts.append(path)
    }

    /// Fills the file system under `relative` until ENOSPC.
    func fill(_ relative: String) throws {
        let filler = tree.path("\(relative)/filler")
        Self.sh("dd if=/dev/zero of='\(filler)' bs=4k 2>/dev/null")
        // The fill must have worked, or the row proves nothing.
        let fd = open(tree.path("\(relative)/probe"), O_WRONLY | O_CREAT, 0o600)
        defer { if fd >= 0 { close(fd); unlink(tree.path("\(relative)/probe")) } }
        var byte: UInt8 = 1
        guard fd >= 0, write(fd, &byte, 1) < 0, errno == ENOSPC else { throw FaultError("\(relative) did not fill up") }
    }

    func removeFiller(_ relative: String) throws { try remove("\(relative)/filler") }

    /// A read-only bind mount of the directory over itself.
    func bindReadOnly(_ relative: String) throws {
        let path = tree.path(relative)
        guard Self.sh("mount --bind '\(path)' '\(path)'") == 0 else { throw FaultError("bind mount of \(path) failed") }
        mounts.append(path)
        guard Self.sh("mount -o remount,bind,ro '\(path)'") == 0 else { throw FaultError("remount read-only of \(path) failed") }
    }

    /// Removes the newest mount on `relative` (the fault clears).
    func unmount(_ relative: String) {
        let path = tree.path(relative)
        guard let index = mounts.lastIndex(of: path) else { return }
        Self.sh("umount '\(path)'")
        mounts.remove(at: index)
    }

    func moveTargetAway() throws {
        try FileManager.default.moveItem(atPath: tree.path("cgroup/user.slice"), toPath: tree.path("cgroup/user.slice.gone"))
    }

    /// The target as it was (a new directory, as the session manager makes).
    func recreateTarget() throws {
        try? FileManager.default.removeItem(atPath: tree.path("cgroup/user.slice.gone"))
        try? FileManager.default.removeItem(atPath: tree.path("cgroup/user.slice"))
        try tree.setTarget("user.slice", rss: 1_000_000_000, cache: 2_000_000_000)
    }

    /// A real `mon_memcg-test-fault-*` cgroup as the target, absent or
    /// present with 8 MiB of page cache in it. The state file records the
    /// real usage, so `lastInState` compares against it.
    func realTarget(present: Bool) throws {
        let name = realCgroup ?? "mon_memcg-test-fault-\(UInt32.random(in: 0...UInt32.max))"
        realCgroup = name
        guard present else { return }
        try FileManager.default.createDirectory(atPath: "\(KernelLab.memoryMount)/\(name)", withIntermediateDirectories: false)
        let file = tree.path("cache")
        let status = try KernelLab.runInside(name, "dd if=/dev/zero of='\(file)' bs=1M count=8 2>/dev/null && cat '\(file)' > /dev/null")
        guard status == 0 else { throw FaultError("could not fill \(name) with page cache") }
    }

    /// A check held inside its reclaim: force_empty is a FIFO, so the
    /// binary blocks opening it for writing; `during` runs then, and the
    /// FIFO is drained to let the run go on.
    func pausedCheck(during: () throws -> Void) throws -> RunResult {
        let fifo = tree.path("cgroup/user.slice/memory.force_empty")
        try tree.remove("cgroup/user.slice/memory.force_empty")
        guard mkfifo(fifo, 0o600) == 0 else { throw FaultError("mkfifo \(fifo): errno \(errno)") }
        let out = tree.path("paused.out"), err = tree.path("paused.err")
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Binary.path)
        p.arguments = ["check"] + arguments
        p.environment = environment
        p.standardOutput = FileHandle(forWritingAtPath: out)
        p.standardError = FileHandle(forWritingAtPath: err)
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() } }
        // The preamble is logged before the write: then the open blocks.
        guard eventually(timeout: 10, { log.contains("need reclaim") && Self.blockedInFifo(p.processIdentifier) }) else {
            throw FaultError("the check never reached its reclaim: \(log)")
        }
        try during()
        // Wherever the directory went, the FIFO is in it: drain it there.
        let moved = tree.path("cgroup/user.slice.gone/memory.force_empty")
        let reader = open(FileManager.default.fileExists(atPath: moved) ? moved : fifo, O_RDONLY)
        guard reader >= 0 else { throw FaultError("open the FIFO for reading: errno \(errno)") }
        fifoWrites = readToEndAndClose(reader).components(separatedBy: "1\n").count - 1
        p.waitUntilExit()
        return RunResult(status: p.terminationStatus, stdout: contents(out), stderr: contents(err))
    }

    /// The process sleeps in the kernel's FIFO open (fs/pipe.c waits there
    /// for a reader).
    static func blockedInFifo(_ pid: Int32) -> Bool {
        contents("/proc/\(pid)/wchan") == "wait_for_partner"
    }

    enum Rotation { case create, delete, copyTruncate }

    /// `watch` polling every 200 ms; the log is rotated under it, then
    /// SIGHUP (not for copytruncate, which needs none), then SIGTERM.
    func watchRotating(_ rotation: Rotation) throws -> RunResult {
        let daemon = try Daemon(["watch", "--poll-interval", "200ms"] + arguments, environment: ["MON_MEMCG_TEST_EPOCH_SECONDS": String(now)])
        guard eventually(timeout: 10, { log.contains("change is too small") }) else {
            throw FaultError("watch never checked twice: \(log)\n\(daemon.stderr)")
        }
        let old = tree.path("mon_memcg.log.1")
        switch rotation {
        case .create:
            try FileManager.default.moveItem(atPath: logPath, toPath: old)
            _ = FileManager.default.createFile(atPath: logPath, contents: nil, attributes: [.posixPermissions: 0o640])
            daemon.signal(SIGHUP)
        case .delete:
            try FileManager.default.moveItem(atPath: logPath, toPath: old)  // kept to check below
            daemon.signal(SIGHUP)
        case .copyTruncate:
            try FileManager.default.copyItem(atPath: logPath, toPath: old)
            guard truncate(logPath, 0) == 0 else { throw FaultError("truncate \(logPath): errno \(errno)") }
        }
        let wanted = rotation == .copyTruncate ? "change is too small" : "reloaded the configuration on SIGHUP"
        guard eventually(timeout: 10, { log.contains(wanted) && log.components(separatedBy: "change is too small").count > 2 }) else {
            throw FaultError("no lines after the rotation: \(log)\n\(daemon.stderr)")
        }
        daemon.signal(SIGTERM)
        let status = daemon.waitForExit(timeout: 10) ?? -1
        // Nothing lost, nothing doubled, no hole of NUL bytes (O_APPEND).
        let before = contents(old)
        guard before.contains("watch started"), !log.contains("watch started"), !log.contains("\u{0}") else {
            throw FaultError("the rotated logs are wrong:\n--- old\n\(before)\n--- new\n\(log.debugDescription)")
        }
        return RunResult(status: status, stdout: "", stderr: daemon.stderr)
    }

    // MARK: shell and shim

    @discardableResult
    static func sh(_ command: String) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }

    /// Why the LD_PRELOAD rows cannot run, or nil: the binary must be
    /// dynamically linked (CI also runs this suite against the static
    /// release binary, which ignores LD_PRELOAD) and a C compiler present.
    static let preloadUnavailableReason: String? = {
        guard let head = FileManager.default.contents(atPath: Binary.path)?.prefix(4096) else { return "no binary at \(Binary.path)" }
        guard head.range(of: Data("ld-linux".utf8)) != nil else { return "\(Binary.path) is statically linked" }
        return shim == nil ? "no C compiler (cc or clang) to build the write shim" : nil
    }()

    /// A shared object whose write(2) fails with MON_MEMCG_FAULT_ERRNO for
    /// a descriptor whose path ends with MON_MEMCG_FAULT_SUFFIX: how a
    /// kernel file refuses a write, without a kernel that does.
    /// Built once per test process into its own temp dir, which is removed
    /// when the process exits, so no run leaves a copy behind.
    static let shim: String? = {
        let dir = URL(fileURLWithPath: shimDirectory())
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: shimDirectory()) }
        let source = dir.appendingPathComponent("shim.c").path
        let object = dir.appendingPathComponent("shim.so").path
        let code = """
            #define _GNU_SOURCE
            #include <dlfcn.h>
            #include <errno.h>
            #include <stdio.h>
            #include <stdlib.h>
            #include <string.h>
            #include <unistd.h>
            ssize_t write(int fd, const void *buf, size_t n) {
                static ssize_t (*real)(int, const void *, size_t);
                if (!real) real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
                const char *suffix = getenv("MON_MEMCG_FAULT_SUFFIX"), *err = getenv("MON_MEMCG_FAULT_ERRNO");
                if (suffix && err && fd > 2) {
                    char link[64], path[4096];
                    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
                    ssize_t len = readlink(link, path, sizeof path - 1);
                    size_t sl = strlen(suffix);
                    if (len > 0 && (size_t)len >= sl) {
                        path[len] = 0;
                        if (strcmp(path + len - sl, suffix) == 0) { errno = atoi(err); return -1; }
                    }
                }
                return real(fd, buf, n);
            }
            """
        guard (try? code.write(toFile: source, atomically: true, encoding: .utf8)) != nil else { return nil }
        for cc in ["/usr/bin/cc", "/opt/swift/usr/bin/clang"] where FileManager.default.isExecutableFile(atPath: cc) {
            if sh("'\(cc)' -shared -fPIC -O1 -o '\(object)' '\(source)' -ldl") == 0 { return object }
        }
        return nil
    }()

    /// Derived from the pid alone, so the exit handler (a C function
    /// pointer, which cannot capture) finds the same directory.
    static func shimDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("mon_memcg-test-fault-shim-\(getpid())").path
    }
}

struct FaultError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
