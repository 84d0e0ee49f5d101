import Foundation
import Testing
@testable import MemcgCore
@testable import MemcgKernel
import TestSupport

/// A counter the work and the test share; the work runs on another thread.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func add() -> Int { lock.withLock { value += 1; return value } }
    var count: Int { lock.withLock { value } }
}

private func blocked(_ signal: Int32) -> Bool {
    var mask = sigset_t()
    pthread_sigmask(SIG_BLOCK, nil, &mask)
    return sigismember(&mask, signal) == 1
}

struct BackgroundWorkTests {
    @Test("join gives the work's value, runs it once, and gives the same value again")
    func joinOnce() {
        let runs = Counter()
        let work = BackgroundWork { runs.add() * 10 }
        #expect(work.join() == 10)
        #expect(work.join() == 10)
        #expect(runs.count == 1)
    }

    @Test("the work runs with every signal blocked, the caller's mask is as it was")
    func signalsBlocked() {
        let before = [SIGALRM, SIGTERM, SIGINT, SIGHUP].map(blocked)
        let work = BackgroundWork { [SIGALRM, SIGTERM, SIGINT, SIGHUP, SIGUSR1].map(blocked) }
        #expect(work.join() == [true, true, true, true, true])
        #expect([SIGALRM, SIGTERM, SIGINT, SIGHUP].map(blocked) == before)
    }

    @Test("a work never joined is waited for when it is dropped")
    func droppedWaits() {
        let done = Counter()
        do {
            _ = BackgroundWork { usleep(50_000); return done.add() }
        }
        #expect(done.count == 1)
    }

    @Test("it runs beside the caller: the caller is not blocked until join")
    func concurrent() {
        let started = Counter()
        let release = NSCondition()
        nonisolated(unsafe) var go = false
        let work = BackgroundWork { () -> Int in
            _ = started.add()
            release.lock()
            while !go { release.wait() }
            release.unlock()
            return 7
        }
        // The work waits for this thread: were it run inline, this would
        // never be reached.
        for _ in 0..<200 where started.count == 0 { usleep(5_000) }
        #expect(started.count == 1)
        release.lock()
        go = true
        release.broadcast()
        release.unlock()
        #expect(work.join() == 7)
    }
}

/// A reading that started its walk completes as one that did not.
@Test("v1: a reading whose walk ran on its own thread completes as measure measures", arguments: [
    ("nothing dying", 3, ["a": Int64(900)]),
    ("two dying holding 400", 6, ["a": 300, "b": 200]),
    ("nested live cgroups", 7, ["a": 500, "a/x": 200, "a/x/y": 100]),
] as [(String, Int64, [String: Int64])])
func v1StartedWalk(_ row: (String, Int64, [String: Int64])) throws {
    let tree = try FixtureTree()
    try targetWithChildren(tree, children: row.2)
    try tree.writeProcCgroups(memoryCgroups: row.1)
    let reader = DyingCgroupsV1(cgroupRoot: tree.cgroupRoot, procRoot: tree.procRoot)
    let target = tree.path("cgroup/user.slice")
    let started = try reader.readStartingCompletion(targetPath: target)
    #expect(started.walk != nil)
    let after = try reader.read(targetPath: target)
    #expect(after.walk == nil)
    let completed = try reader.complete([started, after])
    let whole = try reader.measure(targetPath: target)
    #expect(completed == [whole, whole], "\(row.0)")
}

@Test("v1: a walk that failed on its thread fails complete with the walk's error")
func v1StartedWalkFails() throws {
    let tree = try FixtureTree()
    try targetWithChildren(tree, children: ["a": 300])
    try tree.writeProcCgroups(memoryCgroups: 4)
    let reader = DyingCgroupsV1(cgroupRoot: tree.path("no-such-mount"), procRoot: tree.procRoot)
    let reading = try reader.readStartingCompletion(targetPath: tree.path("cgroup/user.slice"))
    #expect(throws: KernelError.self) { try reader.complete([reading]) }
    do {
        _ = try reader.complete([reading])
    } catch {
        #expect(error.description.contains(tree.path("no-such-mount")), "\(error)")
    }
}

@Test("v2: nothing to start, the reading is already whole")
func v2NothingStarted() throws {
    let tree = try FixtureTree(target: nil)
    for (file, text) in ["cgroup.stat": "nr_dying_descendants 2\n", "cgroup.subtree_control": "memory\n",
                         "memory.current": "100\n", "a/memory.current": "60\n"] {
        try tree.write("v2/target/\(file)", text)
    }
    let reading = try DyingCgroupsV2().readStartingCompletion(targetPath: tree.path("v2/target"))
    #expect(reading.walk == nil)
    #expect(try DyingCgroupsV2().complete([reading]) == [DyingCgroups(count: 2, scope: .target, bytes: 40)])
}

@Test("real kernel: the walk started before a force_empty write counts as the walk after it",
      .enabled(if: KernelLab.available, "needs root and a cgroup v1 memory controller at /sys/fs/cgroup/memory"))
func realKernelStartedWalk() throws {
    let target = try KernelLab.makeCgroup("bgwalk")
    defer { KernelLab.remove(target) }
    for i in 0..<50 { _ = try KernelLab.makeCgroup("c\(i)", parent: target) }
    let reader = DyingCgroupsV1(cgroupRoot: KernelLab.memoryMount, procRoot: "/proc")
    let path = "\(KernelLab.memoryMount)/\(target)"
    let started = try reader.readStartingCompletion(targetPath: path)
    try "1".write(toFile: "\(path)/memory.force_empty", atomically: false, encoding: .utf8)
    let late = try reader.read(targetPath: path)
    let both = try reader.complete([started, late])
    let walkedAfter = try reader.complete([late])
    #expect(both[0].bytes == 0 && both[1].bytes == 0)
    // Other tests create and remove cgroups meanwhile: both counts are
    // bounded by what num_cgroups allowed, and agree when nothing moved.
    let num = try #require(late.numCgroups)
    #expect(both[1].count >= 0 && both[1].count <= num - 1)
    if started.numCgroups == late.numCgroups, walkedAfter[0].count == both[1].count {
        #expect(both[0].count == both[1].count)
    }
}
