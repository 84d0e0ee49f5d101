import Foundation
import Testing
@testable import MemcgKernel
import MemcgCore
import TestSupport

struct StateStoreTests {
    @Test("save then load; missing is missing; replace is atomic (no temp left)")
    func roundTrip() throws {
        let tree = try FixtureTree()
        let store = StateStore(path: tree.stateFile)
        #expect(store.load() == .missing)
        try store.save(RunState(last: 123))
        #expect(store.load() == .valid(RunState(last: 123)))
        try store.save(RunState(last: 456))
        #expect(store.load() == .valid(RunState(last: 456)))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: tree.path("state")).filter { $0.contains(".tmp") }
        #expect(leftovers.isEmpty)
    }

    @Test("a run's removeLeftovers deletes a killed run's temp file, never a live process's")
    func leftovers() throws {
        let tree = try FixtureTree()
        let store = StateStore(path: tree.stateFile)
        try store.save(RunState(last: 1))
        // A pid above pid_max (4194304 at most) belongs to no process; pid 1 always lives.
        try tree.write("state/state.tmp.99999999", "mon_memcg-state 1\nla")
        try tree.write("state/state.tmp.1", "mon_memcg-state 1\nla")
        // The heartbeat's (state.alive) too: step 50's kill -9 loop found one.
        try tree.write("state/state.alive.tmp.99999999", "boot")
        try tree.write("state/state.alive.tmp.1", "boot")
        store.removeLeftovers()
        let left = try FileManager.default.contentsOfDirectory(atPath: tree.path("state")).filter { $0.contains(".tmp") }.sorted()
        #expect(left == ["state.alive.tmp.1", "state.tmp.1"])
        #expect(store.load() == .valid(RunState(last: 1)))
    }

    @Test("a symlink in the state's place is not followed")
    func symlink() throws {
        let tree = try FixtureTree()
        try tree.write("elsewhere", "mon_memcg-state 1\nlast 5\n")
        try FileManager.default.createSymbolicLink(atPath: tree.stateFile, withDestinationPath: tree.path("elsewhere"))
        let loaded = StateStore(path: tree.stateFile).load()
        guard case .unusable(let why) = loaded else { Issue.record("followed the symlink: \(loaded)"); return }
        #expect(why.contains("symlink"))
        // Saving replaces the link itself, never writes through it.
        try StateStore(path: tree.stateFile).save(RunState(last: 9))
        #expect(tree.read("elsewhere") == "mon_memcg-state 1\nlast 5\n")
        #expect(StateStore(path: tree.stateFile).load() == .valid(RunState(last: 9)))
    }

    @Test("a directory in the state's place is unusable, not a crash")
    func directory() throws {
        let tree = try FixtureTree()
        try FileManager.default.createDirectory(atPath: tree.stateFile, withIntermediateDirectories: true)
        guard case .unusable = StateStore(path: tree.stateFile).load() else { Issue.record("directory accepted"); return }
    }
}

struct RunLockTests {
    @Test("a second lock on the same file is refused until the first is released")
    func exclusive() throws {
        let tree = try FixtureTree()
        let path = tree.stateFile + ".lock"
        var first: RunLock? = RunLock(path: path)
        #expect(try first!.tryLock())
        // flock locks belong to the open file description: a second open
        // in the same process conflicts just like another process would.
        #expect(try RunLock(path: path).tryLock() == false)
        first = nil
        #expect(try RunLock(path: path).tryLock())
    }
}

/// force_empty as the v1 controller writes it: one deadline-bounded write.
private func forceEmpty(_ tree: FixtureTree, _ cgroup: String, deadline: Int64) throws -> WriteOutcome {
    try CgroupV1Controller(cgroupRoot: tree.cgroupRoot, procRoot: tree.procRoot)
        .reclaim(.emptyTarget, targetPath: tree.path(cgroup), usageBefore: .zero, deadlineMilliseconds: deadline) { _ in }.outcome
}

struct ForceEmptyTests {
    @Test("writes 1 to memory.force_empty")
    func writes() throws {
        let tree = try FixtureTree()
        let outcome = try forceEmpty(tree, "cgroup/user.slice", deadline: 5000)
        guard case .completed = outcome else { Issue.record("\(outcome)"); return }
        #expect(tree.read("cgroup/user.slice/memory.force_empty") == "1\n")
    }

    @Test("a write that blocks is interrupted at the deadline")
    func deadline() throws {
        let tree = try FixtureTree()
        // A FIFO with no reader blocks open(2) like a busy force_empty blocks write(2).
        try tree.replaceWithFIFO("cgroup/user.slice/memory.force_empty")
        let start = MonotonicClock.nowMilliseconds()
        let outcome = try forceEmpty(tree, "cgroup/user.slice", deadline: 300)
        let took = MonotonicClock.nowMilliseconds() - start
        guard case .interrupted(let ms, .deadline) = outcome else { Issue.record("not interrupted: \(outcome)"); return }
        #expect(ms >= 300)
        #expect(took < 2300, "took \(took) ms for a 300 ms deadline")
    }

    @Test("a missing force_empty is an error naming the path")
    func missing() throws {
        let tree = try FixtureTree()
        #expect {
            _ = try forceEmpty(tree, "cgroup/nope", deadline: 1000)
        } throws: { error in
            "\(error)".contains("cgroup/nope/memory.force_empty: No such file or directory")
        }
    }
}

struct HostFixtureTests {
    @Test("observeNode reads the fixture's numbers in bytes")
    func observe() throws {
        let tree = try FixtureTree(memTotalKB: 1000, rootUsage: 5000, rootInactiveFile: 1000, minFreeKbytes: 2)
        let host = MemoryControllers.make(.v1, cgroupRoot: tree.cgroupRoot, procRoot: tree.procRoot)
        let node = try host.observeNode()
        #expect(node == NodeObservation(memTotal: 1_024_000, rootUsage: 5000, rootInactiveFile: 1000, watermark: 2048))
        #expect(try host.targetUsage(at: host.resolveTarget("user.slice")) == 300_000_000)
    }

    @Test("nested targets resolve; missing and escaping ones do not")
    func targets() throws {
        let tree = try FixtureTree()
        try tree.setTarget("a.slice/b.scope", rss: 1, cache: 2)
        let host = MemoryControllers.make(.v1, cgroupRoot: tree.cgroupRoot, procRoot: tree.procRoot)
        #expect(try host.resolveTarget("a.slice/b.scope") == "\(tree.cgroupRoot)/a.slice/b.scope")
        #expect(throws: KernelError.targetMissing(path: "\(tree.cgroupRoot)/nope")) { try host.resolveTarget("nope") }
        try FileManager.default.createSymbolicLink(atPath: tree.path("cgroup/up"), withDestinationPath: "..")
        #expect { try host.resolveTarget("up") } throws: { error in
            if case KernelError.targetEscapes = error { return true }
            return false
        }
    }
}

struct LogFormatTests {
    @Test("date(1) default format, five spaces")
    func format() {
        setenv("TZ", "UTC", 1)
        tzset()
        // 2024-09-14 02:48:45 UTC
        #expect(WallClock.originalTimestamp(epochSeconds: 1_726_282_125) == "Sat Sep 14 02:48:45 UTC 2024")
        #expect(WallClock.originalTimestamp(epochSeconds: 1_725_158_925).hasPrefix("Sun Sep  1 "))
        #expect(LogFile.format("Before reclaim:", timestamp: "Sat Sep 14 02:48:45 CST 2024")
                == "Sat Sep 14 02:48:45 CST 2024     Before reclaim:\n")
    }
}

struct WallClockTests {
    /// Across a second's start, the wall clock's seconds never read less
    /// than a precise reading of CLOCK_REALTIME taken before them. time(2)
    /// failed this: it trails the clock by up to a tick, so for a few
    /// milliseconds after each second begins it still gives the second
    /// before. (Not against Foundation's Date: its Double rounds a reading
    /// within a microsecond of a second's start up to that second.)
    /// At most about 1.05 s.
    @Test("WallClock.nowSeconds is never behind a clock reading taken before it, across a second's start")
    func notBehind() {
        func precise() -> (seconds: Int64, nanoseconds: Int) {
            var ts = timespec()
            clock_gettime(CLOCK_REALTIME, &ts)
            return (Int64(ts.tv_sec), ts.tv_nsec)
        }
        let boundary = precise().seconds + 1
        var behind = 0
        var reads = 0
        while true {
            let before = precise()
            let now = WallClock.nowSeconds()
            reads += 1
            if now < before.seconds { behind += 1 }
            // The window after a second's start is a few milliseconds.
            if before.seconds > boundary || (before.seconds == boundary && before.nanoseconds > 50_000_000) { break }
        }
        #expect(behind == 0, "\(behind) of \(reads) readings were behind the one taken before them")
    }
}
