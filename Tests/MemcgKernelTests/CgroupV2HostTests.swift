import Foundation
import Testing
import MemcgCore
@testable import MemcgKernel
import TestSupport

/// The kernel layer on cgroup v2 fixture trees: finding the hierarchy,
/// reading kubelet's v2 signal and the target's memory.current, writing
/// memory.reclaim.
@Suite(.serialized)
struct CgroupV2HostTests {
    static let vmFakeroot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/v2-linux6.1-pagecache.fakeroot")

    func config(procRoot: String, cgroupRoot: String? = nil) throws -> Config {
        var c = Config()
        try c.set(.procRoot, to: procRoot)
        if let cgroupRoot { try c.set(.cgroupRoot, to: cgroupRoot) }
        return c
    }

    @Test("cgroup_root set to a cgroup2 mount: v2, used as given")
    func explicitV2() throws {
        let tree = try FixtureTreeV2()
        let host = try MemoryControllers.detect(config: config(procRoot: tree.procRoot, cgroupRoot: tree.cgroupRoot))
        #expect(host.hierarchy == .v2)
        #expect(host.cgroupRoot == tree.cgroupRoot)
    }

    @Test("cgroup_root set to a v1 memory mount: v1, mountinfo not read")
    func explicitV1() throws {
        let tree = try FixtureTree()
        let host = try MemoryControllers.detect(config: config(procRoot: tree.procRoot, cgroupRoot: tree.cgroupRoot))
        #expect(host.hierarchy == .v1)
        #expect(tree.read("proc/self/mountinfo") == nil)
    }

    @Test("cgroup_root unset: cgroup2 found in proc_root/self/mountinfo")
    func detectedV2() throws {
        let tree = try FixtureTreeV2()
        let host = try MemoryControllers.detect(config: config(procRoot: tree.procRoot))
        #expect(host.hierarchy == .v2)
        #expect(host.cgroupRoot == tree.cgroupRoot)
    }

    @Test("cgroup_root unset, hybrid layout: the v1 memory mount wins")
    func detectedHybrid() throws {
        let v1 = try FixtureTree()
        let v2 = try FixtureTreeV2()
        try v1.write("proc/self/mountinfo", """
            41 31 0:38 / \(v2.cgroupRoot) rw,relatime - cgroup2 cgroup2 rw
            35 31 0:32 / \(v1.cgroupRoot) rw,relatime - cgroup cgroup rw,memory

            """)
        let host = try MemoryControllers.detect(config: config(procRoot: v1.procRoot))
        #expect(host.hierarchy == .v1)
        #expect(host.cgroupRoot == v1.cgroupRoot)
    }

    struct Refusal: NamedRow {
        var name: String
        /// cgroup_root, relative to the tree; nil: found in proc_root's mountinfo.
        var cgroupRoot: String?
        var change: @Sendable (FixtureTreeV2) throws -> Void = { _ in }
        var message: String
    }

    static let withoutMemory: @Sendable (FixtureTreeV2) throws -> Void = { try $0.write("cgroup/cgroup.controllers", "cpu io pids\n") }

    static let refusals: [Refusal] = [
        Refusal(name: "cgroup2 without the memory controller (cgroup_root set)", cgroupRoot: "cgroup", change: withoutMemory,
                message: "no cgroup v2 one either"),
        Refusal(name: "cgroup2 without the memory controller (detected)", change: withoutMemory,
                message: "cgroup.controllers is missing or does not list memory"),
        Refusal(name: "cgroup_root is neither v1 nor v2", cgroupRoot: "proc", message: "no cgroup v1 memory controller at"),
        Refusal(name: "mountinfo without any cgroup mount", change: { try $0.write("proc/self/mountinfo", "21 1 0:19 / /proc rw,relatime - proc proc rw\n") },
                message: "no memory controller is mounted"),
        Refusal(name: "mountinfo missing", change: { try $0.remove("proc/self/mountinfo") }, message: "setting cgroup_root skips this detection"),
        Refusal(name: "mountinfo garbage", change: { try $0.write("proc/self/mountinfo", "garbage\n") }, message: "line 1: expected a mountinfo line"),
    ]

    @Test("refused with the reason and the fix", arguments: refusals)
    func refused(row: Refusal) throws {
        let tree = try FixtureTreeV2()
        try row.change(tree)
        // cgroup_root alone (proc_root stays /proc), or proc_root alone: detection.
        let config = try row.cgroupRoot.map { try Config.setting(.cgroupRoot, to: tree.path($0)) } ?? .setting(.procRoot, to: tree.procRoot)
        #expect {
            _ = try MemoryControllers.detect(config: config)
        } throws: { error in
            "\(error)".contains(row.message)
        }
    }

    @Test("the node signal and memory.current from a real 6.1 kernel's files")
    func realKernelFiles() throws {
        let tree = try FixtureTreeV2(copying: Self.vmFakeroot)
        let host = try MemoryControllers.detect(config: config(procRoot: tree.procRoot))
        #expect(host.hierarchy == .v2)
        let node = try host.observeNode()
        // Fixtures/…/cgroup/memory.stat: anon 180224, file 182398976, inactive_file 157360128;
        // proc/meminfo: MemTotal 468416 kB; min_free_kbytes 2641.
        #expect(node.rootUsage == Bytes(180_224 + 182_398_976))
        #expect(node.rootInactiveFile == Bytes(157_360_128))
        #expect(node.memTotal == Bytes(468_416 * 1024))
        #expect(node.watermark == Bytes(2641 * 1024))
        #expect(node.available == Bytes(468_416 * 1024 - (180_224 + 182_398_976 - 157_360_128)))
        let target = try host.resolveTarget("user.slice")
        #expect(try host.targetUsage(at: target) == Bytes(162_332_672))
    }

    @Test("v2 files that do not say what we expect fail closed")
    func malformed() throws {
        let tree = try FixtureTreeV2()
        let host = try MemoryControllers.detect(config: config(procRoot: tree.procRoot))
        try tree.write("cgroup/user.slice/memory.current", "max\n")
        #expect(throws: KernelError.self) { _ = try host.targetUsage(at: "\(tree.cgroupRoot)/user.slice") }
        try tree.write("cgroup/memory.stat", "anon 1\n")
        #expect {
            _ = try host.observeNode()
        } throws: { error in
            "\(error)".contains("no file field")
        }
    }

    @Test("memory.reclaim gets the plan's steps in bytes, one line each, until the request is done")
    func writesReclaim() throws {
        let tree = try FixtureTreeV2()
        let controller = CgroupV2Controller(cgroupRoot: tree.cgroupRoot, procRoot: tree.procRoot)
        var steps: [ReclaimStepReport] = []
        let report = try controller.reclaim(ReclaimAmountPlan(request: Bytes(104_857_600)), targetPath: "\(tree.cgroupRoot)/user.slice",
                                            usageBefore: Bytes(162_332_672), deadlineMilliseconds: 5000) { steps.append($0) }
        // 100 MiB in steps of 32 MiB (the minimum step): 32 + 32 + 32 + 4.
        #expect(steps.map(\.asked) == [Bytes.mib(32), .mib(32), .mib(32), .mib(4)])
        #expect(steps.map(\.number) == [1, 2, 3, 4])
        #expect(!report.outcome.wasInterrupted)
        #expect(tree.read("cgroup/user.slice/memory.reclaim") == "4194304\n")
    }

    @Test("no time left: nothing written, interrupted")
    func noTimeLeft() throws {
        let tree = try FixtureTreeV2()
        let controller = CgroupV2Controller(cgroupRoot: tree.cgroupRoot, procRoot: tree.procRoot)
        let report = try controller.reclaim(ReclaimAmountPlan(request: Bytes(1 << 26)), targetPath: "\(tree.cgroupRoot)/user.slice",
                                            usageBefore: .zero, deadlineMilliseconds: 0) { _ in }
        #expect(report.outcome.wasInterrupted)
        #expect(tree.read("cgroup/user.slice/memory.reclaim") == "")
    }

    @Test("a kernel without memory.reclaim: an error that says so, never a silent no-op")
    func noReclaimFile() throws {
        let tree = try FixtureTreeV2(reclaimFile: false)
        let controller = CgroupV2Controller(cgroupRoot: tree.cgroupRoot, procRoot: tree.procRoot)
        #expect {
            try controller.checkCanReclaim(targetPath: "\(tree.cgroupRoot)/user.slice")
        } throws: { error in
            "\(error)".contains("this kernel has no memory.reclaim (Linux 5.19 or later is needed")
        }
        #expect {
            _ = try controller.reclaim(ReclaimAmountPlan(request: Bytes(1 << 26)), targetPath: "\(tree.cgroupRoot)/user.slice",
                                       usageBefore: .zero, deadlineMilliseconds: 5000) { _ in }
        } throws: { error in
            "\(error)".contains("this kernel has no memory.reclaim: Linux 5.19 or later is needed")
        }
    }
}
