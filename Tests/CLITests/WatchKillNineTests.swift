import Foundation
import Testing
import TestSupport

/// `mon_memcg watch` killed with SIGKILL at random points, half of them in
/// the middle of a reclaim, and restarted at once as systemd would
/// (Restart=on-failure), 120 times with MON_MEMCG_HOST_TESTS=1 (CI's
/// 55-soak step; about 20–60 s), 20 times otherwise, while a timer-like `check` runs beside
/// it. Every restart must find a valid state file, no stale lock and no
/// half-written metrics, and no two processes may ever be inside a reclaim
/// at the same time.
///
/// The reclaim is a fixture's force_empty made a FIFO whose reader opens it
/// after a random delay: the writer sits in the kernel's FIFO open (its
/// wchan is `wait_for_partner`) exactly as a real force_empty sits in the
/// kernel, and a sampler watches every mon_memcg process we started for
/// that state, every millisecond.
@Suite(.serialized)
struct WatchKillNineTests {
    static let rounds = ProcessInfo.processInfo.environment["MON_MEMCG_HOST_TESTS"] == "1" ? 120 : 20

    @Test("kill -9 of watch at random points (half mid-reclaim), restarted each time: valid state, no stale lock, never two reclaims at once")
    func killNineLoop() throws {
        let tree = try FixtureTree(memTotalKB: 1_048_576, rootUsage: 3_000_000_000, rootInactiveFile: 0,
                                   targetRSS: 0, targetCache: 200_000_000)
        try FileManager.default.createDirectory(atPath: tree.path("metrics"), withIntermediateDirectories: true)
        let fifo = tree.path("cgroup/user.slice/memory.force_empty")
        try tree.remove("cgroup/user.slice/memory.force_empty")
        #expect(mkfifo(fifo, 0o600) == 0)
        try tree.writeState(last: 100_000_000)
        let args = ["--cgroup-root", tree.cgroupRoot, "--proc-root", tree.procRoot, "--state-file", tree.stateFile,
                    "--log-file", tree.logFile, "--metrics-file", tree.path("metrics/mon_memcg.prom"),
                    "--growth-threshold", "100M", "--poll-interval", "100ms"]

        let watched = Watched()
        let reader = FifoReader(path: fifo, watched: watched)
        reader.start()
        let sampler = Thread { watched.sample() }
        sampler.start()
        defer {
            watched.stop()
            reader.stop()
        }

        var rng = SystemRandomNumberGenerator()
        var cache: Int64 = 200_000_000
        var midReclaim = 0, elsewhere = 0, exitedBeforeKill = 0
        var lastValues: Set<Int64> = []
        for round in 0..<Self.rounds {
            // The target grows past growth_threshold: the next check reclaims.
            cache += 200_000_000
            try Self.atomicWrite(tree.path("cgroup/user.slice/memory.stat"),
                                 FixtureTree.memoryStat(rss: 0, cache: cache, totalRSS: 0, totalCache: cache, totalInactiveFile: cache / 2))
            let daemon = try Daemon(["watch"] + args)
            watched.add(daemon.pid)
            // The timer's oneshot, now and then, racing the daemon for the lock.
            var oneshot: Process?
            if round % 2 == 1, Bool.random(using: &rng) {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: Binary.path)
                p.arguments = ["check"] + args
                p.standardError = FileHandle.nullDevice
                try p.run()
                watched.add(p.processIdentifier)
                oneshot = p
            }
            if round % 2 == 0 {
                // Mid-reclaim: wait until it sits in the write.
                if eventually(timeout: 5, every: 1_000, { Self.inReclaim(daemon.pid) }) { midReclaim += 1 }
            } else {
                usleep(UInt32.random(in: 0...400_000, using: &rng))
                elsewhere += 1
            }
            if daemon.process.isRunning { daemon.signal(SIGKILL) } else { exitedBeforeKill += 1 }
            _ = daemon.waitForExit(timeout: 10)
            oneshot?.waitUntilExit()
            watched.remove(daemon.pid)
            if let oneshot { watched.remove(oneshot.processIdentifier) }

            // What the restart will find.
            let state = try #require(tree.read("state/state"), "no state after round \(round)")
            let last = Self.last(in: state)
            #expect(last != nil && state.hasPrefix("mon_memcg-state 1\nlast "), "round \(round): state \(state.debugDescription)")
            if let last { lastValues.insert(last) }
            if let metrics = tree.read("metrics/mon_memcg.prom") {
                #expect((try? PromText.validate(metrics)) != nil, "round \(round): metrics not valid Prometheus text")
            }
        }
        // A last restart runs to completion on what the kills left.
        try Self.atomicWrite(tree.path("cgroup/user.slice/memory.stat"),
                             FixtureTree.memoryStat(rss: 0, cache: cache + 200_000_000, totalRSS: 0, totalCache: cache + 200_000_000,
                                                    totalInactiveFile: cache / 2))
        let before = (tree.read("mon_memcg.log") ?? "").count
        let final = try Daemon(["watch"] + args)
        watched.add(final.pid)
        #expect(eventually(timeout: 10) { Self.last(in: tree.read("state/state") ?? "") == cache + 200_000_000 })
        final.signal(SIGTERM)
        #expect(final.waitForExit(timeout: 10) == 0)
        let added = String((tree.read("mon_memcg.log") ?? "").dropFirst(before))
        #expect(!added.contains("state file unusable"), "\(added)")
        #expect(!added.contains("another mon_memcg run holds"), "a stale lock: \(added)")
        // A fixture has no cgroup.event_control, and a user without
        // CAP_IPC_LOCK cannot lock memory: those errors are expected.
        let errors = added.split(separator: "\n").filter { $0.contains("error:") && !$0.contains("no threshold events") && !$0.contains("memory unlocked") }
        #expect(errors.isEmpty, "\(errors)")

        let log = tree.read("mon_memcg.log") ?? ""
        let unusable = log.components(separatedBy: "state file unusable").count - 1
        let temps = ((try? FileManager.default.contentsOfDirectory(atPath: tree.path("state"))) ?? []) +
            ((try? FileManager.default.contentsOfDirectory(atPath: tree.path("metrics"))) ?? [])
        let leftovers = temps.filter { $0.contains(".tmp.") }
        print("kill -9 of watch: \(Self.rounds) kills (\(midReclaim) inside the force_empty write, \(elsewhere) at a random point, \(exitedBeforeKill) had already exited), " +
              "\(reader.writes) reclaims completed, at most \(watched.maxInReclaim) process(es) in a reclaim at once, " +
              "\(lastValues.count) distinct values of last, \(unusable) unusable states, temp files left: \(leftovers.count)")
        #expect(midReclaim >= Self.rounds * 2 / 5, "the kills must land inside the reclaim, or the test proves little")
        #expect(watched.maxInReclaim == 1, "two reclaims at once")
        #expect(unusable == 0)
        #expect(leftovers.isEmpty, "temp files left by killed runs: \(leftovers)")
        #expect(reader.writes > 0)
    }

    static func last(in state: String) -> Int64? {
        state.split(separator: "\n").first { $0.hasPrefix("last ") }.flatMap { Int64($0.dropFirst(5)) }
    }

    /// In the force_empty write: blocked in the FIFO's open, or holding it open.
    static func inReclaim(_ pid: Int32) -> Bool {
        if contents("/proc/\(pid)/wchan") == "wait_for_partner" { return true }
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
        return fds.contains { ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)")) ?? "").hasSuffix("memory.force_empty") }
    }

    /// The fixture's memory.stat replaced whole, so a check never reads half of it.
    static func atomicWrite(_ path: String, _ text: String) throws {
        try text.write(toFile: path + ".new", atomically: false, encoding: .utf8)
        guard rename(path + ".new", path) == 0 else { throw POSIXError(.EIO) }
    }
}

/// The mon_memcg processes of the loop, and the most of them ever seen
/// inside a reclaim at once.
final class Watched: @unchecked Sendable {
    private let lock = NSLock()
    private var pids: Set<Int32> = []
    private var running = true
    private(set) var maxInReclaim = 0

    func add(_ pid: Int32) { lock.withLock { _ = pids.insert(pid) } }
    func remove(_ pid: Int32) { lock.withLock { _ = pids.remove(pid) } }
    func stop() { lock.withLock { running = false } }

    func anyWaitingWriter() -> Bool {
        lock.withLock { pids }.contains { contents("/proc/\($0)/wchan") == "wait_for_partner" }
    }

    func sample() {
        while lock.withLock({ running }) {
            let now = lock.withLock { pids }
            let inside = now.filter { WatchKillNineTests.inReclaim($0) }.count
            lock.withLock { maxInReclaim = max(maxInReclaim, inside) }
            usleep(1_000)
        }
    }
}

/// Drains the force_empty FIFO 0–150 ms (a force_empty's duration) after
/// a writer starts waiting in its open, and counts the "1\n" it receives.
/// Opening only then keeps every writer blocked for that time: a reader
/// already waiting would let the write through at once.
final class FifoReader: @unchecked Sendable {
    let path: String
    let watched: Watched
    private let lock = NSLock()
    private var running = true
    private var count = 0
    var writes: Int { lock.withLock { count } }

    init(path: String, watched: Watched) { (self.path, self.watched) = (path, watched) }

    func start() {
        Thread { [self] in
            while lock.withLock({ running }) {
                guard watched.anyWaitingWriter() else { usleep(1_000); continue }
                usleep(UInt32.random(in: 0...150_000))
                // Non-blocking: when the writer was killed meanwhile, a
                // blocking open would wait here and let the next writer
                // through unblocked. Then blocking reads until EOF.
                let fd = open(path, O_RDONLY | O_NONBLOCK)
                guard fd >= 0 else { continue }
                _ = fcntl(fd, F_SETFL, 0)
                let text = readToEndAndClose(fd)
                let got = text.components(separatedBy: "1\n").count - 1
                lock.withLock { count += got }
            }
        }.start()
    }

    /// Ends the loop: a writer that opens and closes wakes a blocked open.
    func stop() {
        lock.withLock { running = false }
    }
}
