import Foundation
import Testing
@testable import MemcgCore
@testable import MemcgKernel
import TestSupport

// MARK: - v1 reader on fixture trees

struct V1Row: NamedRow {
    var name: String
    var build: @Sendable (FixtureTree) throws -> Void
    /// nil: the measurement must fail.
    var expected: DyingCgroups?
}

func stat(rss: Int64 = 0, cache: Int64 = 0, totalRSS: Int64, totalCache: Int64) -> String {
    FixtureTree.memoryStat(rss: rss, cache: cache, totalRSS: totalRSS, totalCache: totalCache, totalInactiveFile: 0)
}

/// user.slice with total_rss 100 + total_cache 900, own rss 0 + cache 100.
func targetWithChildren(_ t: FixtureTree, children: [String: Int64]) throws {
    try t.write("cgroup/user.slice/memory.stat", stat(rss: 0, cache: 100, totalRSS: 100, totalCache: 900))
    for (name, total) in children {
        try t.write("cgroup/user.slice/\(name)/memory.stat", stat(rss: 0, cache: total, totalRSS: 0, totalCache: total))
    }
}

@Test("v1: count and bytes from fixture trees, race-tolerant", arguments: [
    V1Row(name: "nothing dying", build: { t in
        try targetWithChildren(t, children: ["a": 900])
        try t.writeProcCgroups(memoryCgroups: 3)
    }, expected: DyingCgroups(count: 0, scope: .hierarchy, bytes: 0)),
    V1Row(name: "two dying holding 400", build: { t in
        try targetWithChildren(t, children: ["a": 300, "b": 200])
        try t.writeProcCgroups(memoryCgroups: 6)
    }, expected: DyingCgroups(count: 2, scope: .hierarchy, bytes: 400)),
    V1Row(name: "nested live cgroups count as live, grandchildren are in their parent's total", build: { t in
        try targetWithChildren(t, children: ["a": 500, "a/x": 200, "a/x/y": 100])
        try t.write("cgroup/other.slice/memory.stat", stat(totalRSS: 0, totalCache: 0))
        try t.writeProcCgroups(memoryCgroups: 7)
    }, expected: DyingCgroups(count: 1, scope: .hierarchy, bytes: 400)),
    V1Row(name: "a child that vanished between listing and reading is skipped", build: { t in
        try targetWithChildren(t, children: ["a": 300])
        try FileManager.default.createDirectory(atPath: t.path("cgroup/user.slice/gone"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: t.path("cgroup/user.slice/gone/memory.stat"), withDestinationPath: t.path("nowhere"))
        try t.writeProcCgroups(memoryCgroups: 4)
    }, expected: DyingCgroups(count: 0, scope: .hierarchy, bytes: 600)),
    V1Row(name: "hostile: a symlinked directory is neither walked nor read", build: { t in
        try targetWithChildren(t, children: ["a": 300])
        try t.write("elsewhere/memory.stat", stat(totalRSS: 0, totalCache: 999_999))
        try t.write("elsewhere/deep/x/memory.stat", stat(totalRSS: 0, totalCache: 1))
        try FileManager.default.createSymbolicLink(atPath: t.path("cgroup/user.slice/link"), withDestinationPath: t.path("elsewhere"))
        try t.writeProcCgroups(memoryCgroups: 3)
    }, expected: DyingCgroups(count: 0, scope: .hierarchy, bytes: 600)),
    V1Row(name: "hostile: fewer cgroups counted than directories", build: { t in
        try targetWithChildren(t, children: ["a": 300])
        try t.writeProcCgroups(memoryCgroups: 1)
    }, expected: DyingCgroups(count: 0, scope: .hierarchy, bytes: 600)),
    V1Row(name: "hostile: live children larger than the target", build: { t in
        try targetWithChildren(t, children: ["a": 5000])
        try t.writeProcCgroups(memoryCgroups: 3)
    }, expected: DyingCgroups(count: 0, scope: .hierarchy, bytes: 0)),
    V1Row(name: "hostile: /proc/cgroups missing", build: { t in
        try t.remove("proc/cgroups")
    }, expected: nil),
    V1Row(name: "hostile: /proc/cgroups garbage", build: { t in
        try t.write("proc/cgroups", "memory 4 many 1\n")
    }, expected: nil),
    V1Row(name: "hostile: memory controller disabled", build: { t in
        try t.write("proc/cgroups", "memory\t4\t12\t0\n")
    }, expected: nil),
    V1Row(name: "hostile: target memory.stat without total_cache", build: { t in
        try t.write("cgroup/user.slice/memory.stat", "rss 0\ncache 0\ntotal_rss 0\n")
    }, expected: nil),
    V1Row(name: "hostile: a live child's memory.stat is garbage", build: { t in
        try targetWithChildren(t, children: [:])
        try t.write("cgroup/user.slice/a/memory.stat", "total_cache lots\n")
    }, expected: nil),
])
func v1Reader(row: V1Row) throws {
    let tree = try FixtureTree()
    try row.build(tree)
    let reader = DyingCgroupsV1(cgroupRoot: tree.cgroupRoot, procRoot: tree.procRoot)
    let got = try? reader.measure(targetPath: tree.path("cgroup/user.slice"))
    #expect(got == row.expected)
}

@Test("v1: errors name the file")
func v1ErrorNamesFile() throws {
    let tree = try FixtureTree()
    try tree.remove("proc/cgroups")
    let reader = DyingCgroupsV1(cgroupRoot: tree.cgroupRoot, procRoot: tree.procRoot)
    #expect(throws: KernelError.self) { try reader.measure(targetPath: tree.path("cgroup/user.slice")) }
    do {
        _ = try reader.measure(targetPath: tree.path("cgroup/user.slice"))
    } catch {
        #expect(error.description.contains("\(tree.procRoot)/cgroups"))
    }
}

// MARK: - v2 seam on fixture trees

struct V2Row: NamedRow {
    var name: String
    var files: [String: String]
    var expected: DyingCgroups?
}

@Test("v2: cgroup.stat counts below the target, memory.current gives the bytes when one is dying", arguments: [
    V2Row(name: "memory delegated to children", files: [
        "cgroup.stat": "nr_descendants 2\nnr_dying_descendants 7\nnr_subsys_memory 3\nnr_dying_subsys_memory 4\n",
        "cgroup.subtree_control": "cpu memory pids\n",
        "memory.current": "1000\n",
        "a/memory.current": "300\n",
        "b/memory.current": "200\n",
    ], expected: DyingCgroups(count: 4, scope: .target, bytes: 500)),
    // The children's own kernel memory is charged to the target: 1,000 empty
    // children left 7.5 MiB here on 6.12 with no cgroup dying.
    V2Row(name: "no dying memory cgroup: what live children leave uncounted is not dying", files: [
        "cgroup.stat": "nr_descendants 2\nnr_dying_descendants 0\nnr_subsys_memory 3\nnr_dying_subsys_memory 0\n",
        "cgroup.subtree_control": "cpu memory pids\n",
        "memory.current": "1000\n",
        "a/memory.current": "300\n",
        "b/memory.current": "200\n",
    ], expected: DyingCgroups(count: 0, scope: .target, bytes: 0)),
    V2Row(name: "dying cgroups of other controllers only: no dying bytes", files: [
        "cgroup.stat": "nr_descendants 1\nnr_dying_descendants 2\nnr_subsys_memory 2\nnr_dying_subsys_memory 0\n",
        "cgroup.subtree_control": "memory pids\n",
        "memory.current": "1000\n",
        "a/memory.current": "300\n",
    ], expected: DyingCgroups(count: 0, scope: .target, bytes: 0)),
    // Files that would fail to parse if read: with 0 dying, none of them is.
    V2Row(name: "no dying memory cgroup: memory.current and the children are not read", files: [
        "cgroup.stat": "nr_descendants 1\nnr_dying_descendants 0\n",
        "cgroup.subtree_control": "memory\n",
        "memory.current": "max\n",
        "a/memory.current": "max\n",
    ], expected: DyingCgroups(count: 0, scope: .target, bytes: 0)),
    V2Row(name: "hostile: a child's memory.current garbage while one is dying", files: [
        "cgroup.stat": "nr_dying_descendants 1\n", "cgroup.subtree_control": "memory\n", "memory.current": "1000\n",
        "a/memory.current": "max\n",
    ], expected: nil),
    V2Row(name: "memory not delegated: children are not memory cgroups", files: [
        "cgroup.stat": "nr_descendants 1\nnr_dying_descendants 3\n",
        "cgroup.subtree_control": "pids\n",
        "memory.current": "1000\n",
        "a/cgroup.procs": "",
    ], expected: DyingCgroups(count: 3, scope: .target, bytes: 0)),
    V2Row(name: "hostile: no cgroup.stat", files: ["cgroup.subtree_control": "memory\n", "memory.current": "1\n"], expected: nil),
    V2Row(name: "hostile: memory.current garbage", files: [
        "cgroup.stat": "nr_dying_descendants 1\n", "cgroup.subtree_control": "memory\n", "memory.current": "max\n",
    ], expected: nil),
])
func v2Reader(row: V2Row) throws {
    let tree = try FixtureTree(target: nil)
    for (file, text) in row.files { try tree.write("v2/target/\(file)", text) }
    #expect((try? DyingCgroupsV2().measure(targetPath: tree.path("v2/target"))) == row.expected)
}

// MARK: - escalation writes on fixture trees

@Test("escalation writes 1 to the reaper and drop_caches knobs under sys_root and proc_root")
func escalationWrites() throws {
    let tree = try FixtureTree()
    let escalation = Escalation(procRoot: tree.procRoot, sysRoot: tree.path("sys"))
    #expect(!escalation.reaperPresent)
    #expect(escalation.path(for: .reaper) == tree.path("sys/kernel/mm/memcg_reaper/reap"))
    #expect(escalation.path(for: .dropCaches) == tree.path("proc/sys/vm/drop_caches"))
    try tree.write("sys/kernel/mm/memcg_reaper/reap", "0\n")
    try tree.write("proc/sys/vm/drop_caches", "stale\n")
    #expect(escalation.reaperPresent)
    for step in [EscalationStep.reaper, .dropCaches] {
        let outcome = try escalation.perform(step, timeoutMilliseconds: 5_000)
        guard case .completed = outcome else { Issue.record("\(step): \(outcome)"); continue }
    }
    #expect(tree.read("sys/kernel/mm/memcg_reaper/reap") == "1\n")
    #expect(tree.read("proc/sys/vm/drop_caches") == "1\n")
}

struct WriteFailureRow: NamedRow {
    var name: String
    var build: @Sendable (FixtureTree) throws -> Void
    var errno: Int32
}

@Test("escalation write failures carry the path and errno", arguments: [
    WriteFailureRow(name: "knob missing", build: { _ in }, errno: ENOENT),
    WriteFailureRow(name: "hostile: knob is a directory", build: { t in
        try FileManager.default.createDirectory(atPath: t.path("proc/sys/vm/drop_caches"), withIntermediateDirectories: true)
    }, errno: EISDIR),
    WriteFailureRow(name: "hostile: knob is a symlink", build: { t in
        try t.write("target", "")
        try FileManager.default.createSymbolicLink(atPath: t.path("proc/sys/vm/drop_caches"), withDestinationPath: t.path("target"))
    }, errno: ELOOP),
])
func escalationWriteFailures(row: WriteFailureRow) throws {
    let tree = try FixtureTree()
    try row.build(tree)
    let escalation = Escalation(procRoot: tree.procRoot, sysRoot: tree.path("sys"))
    do {
        let outcome = try escalation.perform(.dropCaches, timeoutMilliseconds: 2_000)
        Issue.record("expected an error, got \(outcome)")
    } catch {
        #expect(error.errno == row.errno)
        #expect(error.path == tree.path("proc/sys/vm/drop_caches"))
    }
}

@Test("a blocked escalation write is interrupted at its deadline")
func escalationDeadline() throws {
    let tree = try FixtureTree()
    try FileManager.default.createDirectory(atPath: tree.path("sys/kernel/mm/memcg_reaper"), withIntermediateDirectories: true)
    // A FIFO with no reader: open(O_WRONLY) blocks like a reaper that does not return.
    #expect(mkfifo(tree.path("sys/kernel/mm/memcg_reaper/reap"), 0o600) == 0)
    let escalation = Escalation(procRoot: tree.procRoot, sysRoot: tree.path("sys"))
    let start = MonotonicClock.nowMilliseconds()
    let outcome = try escalation.perform(.reaper, timeoutMilliseconds: 300)
    let took = MonotonicClock.nowMilliseconds() - start
    guard case .interrupted(let ms, .deadline) = outcome else {
        Issue.record("expected interrupted, got \(outcome)")
        return
    }
    #expect(ms >= 290 && took < 1_500, "interrupted after \(ms) ms, returned after \(took) ms")
}
