import Foundation
import Testing
@testable import MemcgCore
@testable import MemcgKernel
import TestSupport

/// `reclaim_amount`: which plan each controller picks, a stopped
/// force_empty on a fixture tree, and the must-show on the real kernel.
struct ReclaimAmountPlanTests {
    static let decision = Decision(action: .reclaim, available: Bytes(3_000 << 20), globalThreshold: Bytes(3_256 << 20),
                                   growthThreshold: .gib(1), current: .gib(1), last: .zero)

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var hierarchy: CgroupHierarchy
        var mode: ReclaimAmountMode
        var expected: any ReclaimPlan
        var testDescription: String { name }
    }

    @Test("plan(for:amount:) per hierarchy and mode; auto is what each did before the key existed", arguments: [
        Row(name: "v1 auto: force_empty to the end (the original script)", hierarchy: .v1, mode: .auto, expected: ForceEmptyPlan.emptyTarget),
        Row(name: "v1 all", hierarchy: .v1, mode: .all, expected: ForceEmptyPlan.emptyTarget),
        Row(name: "v1 deficit: 256 MiB short + 32 MiB margin", hierarchy: .v1, mode: .deficit,
            expected: ForceEmptyPlan.emptyUntilFreed(ReclaimDeficit(request: Bytes(288 << 20), margin: .mib(32)))),
        Row(name: "v2 auto: shortfall + growth_threshold", hierarchy: .v2, mode: .auto,
            expected: ReclaimAmountPlan(request: .gib(1))),  // 256 MiB + 1 GiB, capped at current 1 GiB
        Row(name: "v2 deficit: shortfall + reclaim_margin", hierarchy: .v2, mode: .deficit,
            expected: ReclaimAmountPlan(request: Bytes(288 << 20), basis: .margin(.mib(32)))),
        Row(name: "v2 all: everything the target holds", hierarchy: .v2, mode: .all,
            expected: ReclaimAmountPlan(request: .gib(1), basis: .everything)),
    ])
    func plans(row: Row) {
        let controller = MemoryControllers.make(row.hierarchy, cgroupRoot: "/nonexistent", procRoot: "/nonexistent")
        let plan = controller.plan(for: Self.decision, amount: ReclaimAmountSetting(mode: row.mode, margin: .mib(32)))
        #expect(plan as? ForceEmptyPlan == row.expected as? ForceEmptyPlan)
        #expect(plan as? ReclaimAmountPlan == row.expected as? ReclaimAmountPlan)
        // v2's auto request is the one before reclaim_amount existed.
        if row.hierarchy == .v2, row.mode == .auto {
            #expect(plan.asked == ReclaimAmountPlan.request(for: Self.decision))
        }
    }

    @Test("fixture: a deficit force_empty whose usage never falls runs to the end: finished, not amount reached")
    func fixtureFinished() throws {
        let dir = try TempDirectory("mon_memcg-deficit")
        defer { dir.remove() }
        try dir.write("memory.force_empty", "")
        try dir.write("memory.usage_in_bytes", "300000000\n")
        try dir.write("memory.stat", FixtureTree.memoryStat(rss: 0, cache: 300_000_000, totalRSS: 0, totalCache: 300_000_000, totalInactiveFile: 100_000_000))
        let controller = CgroupV1Controller(cgroupRoot: dir.path, procRoot: "/nonexistent")
        let plan = ForceEmptyPlan.emptyUntilFreed(ReclaimDeficit(request: 100_000_000, margin: 0))
        let report = try controller.reclaim(plan, targetPath: dir.path, usageBefore: 300_000_000, deadlineMilliseconds: 5_000) { _ in
            Issue.record("force_empty has no steps")
        }
        #expect(!report.amountReached)
        #expect(!report.outcome.wasInterrupted)
        #expect(dir.read("memory.force_empty") == "1\n")
    }

    @Test("fixture: a deficit force_empty on a target without memory.usage_in_bytes fails naming the file, writes nothing")
    func fixtureNoUsage() throws {
        let dir = try TempDirectory("mon_memcg-deficit")
        defer { dir.remove() }
        try dir.write("memory.force_empty", "")
        let controller = CgroupV1Controller(cgroupRoot: dir.path, procRoot: "/nonexistent")
        #expect {
            _ = try controller.reclaim(.emptyUntilFreed(ReclaimDeficit(request: 1, margin: 0)), targetPath: dir.path,
                                       usageBefore: 1, deadlineMilliseconds: 1_000) { _ in }
        } throws: { error in
            "\(error)".contains("\(dir.path)/memory.usage_in_bytes") && "\(error)".contains("nothing was written")
        }
        #expect(dir.read("memory.force_empty") == "")
    }
}

/// The issue's must-show on the real kernel: a target with 1 GiB of page
/// cache (read twice, so active, as a session's hot files are) and a
/// shortfall of 256 MiB.
@Suite(.serialized, .enabled(if: KernelLab.available, "needs root and a cgroup v1 memory controller at /sys/fs/cgroup/memory"))
struct ReclaimAmountKernelTests {
    static let shortfall: Int64 = 256 << 20
    static let margin: Int64 = 32 << 20
    /// How far the stop may land from the ask: the kernel checks thresholds
    /// every 128 page events per CPU and force_empty frees a batch per
    /// call, the signal takes one more loop iteration, and memory.stat
    /// (what this test reads) differs from memory.usage_in_bytes (what the
    /// stop reads) by the kernel memory charged. In runs of these tests
    /// the freed bytes landed between 8 MiB short of and 16 MiB past the ask.
    static let tolerance: Int64 = 32 << 20
    /// Past the ask the stop also waits for its thread to be scheduled,
    /// while force_empty frees about 2 GB/s: on a loaded machine (two
    /// emulated VMs and a build beside the test) it landed 32.04 and 45 MiB
    /// past the ask. Freeing a little more is harmless; the bound is there
    /// to catch a stop that does not stop (it would free all 1 GiB).
    static let overshootTolerance: Int64 = 64 << 20

    /// A cgroup holding 1 GiB of clean, active page cache; returns it and its usage.
    func fill(_ tag: String, data: String) throws -> (String, Int64) {
        let cgroup = try KernelLab.makeCgroup(tag)
        let status = try KernelLab.runInside(cgroup, "dd if=/dev/zero of=\(data) bs=1M count=1024 conv=fsync status=none && cat \(data) > /dev/null && cat \(data) > /dev/null")
        #expect(status == 0)
        return (cgroup, KernelLab.usage(cgroup))
    }

    @Test("deficit frees at least the shortfall and at most shortfall + margin + overshoot tolerance; all empties the target")
    func deficitThenAll() throws {
        // It fills and frees 1 GiB or more: the node's available moves by
        // that much, under tests that set their line from it.
        let lab = KernelLab.exclusive()
        defer { withExtendedLifetime(lab) {} }
        let scratch = "/var/tmp/mon_memcg-test-deficit-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let controller = CgroupV1Controller(cgroupRoot: KernelLab.memoryMount, procRoot: "/proc")

        let (target, before) = try fill("deficit", data: "\(scratch)/a")
        defer { KernelLab.remove(target) }
        #expect(before >= 1000 << 20, "page cache was not charged: \(before)")
        let path = "\(KernelLab.memoryMount)/\(target)"
        let decision = Decision(action: .reclaim, available: Bytes(4_000 << 20), globalThreshold: Bytes((4_000 << 20) + Self.shortfall),
                                growthThreshold: .gib(1), current: Bytes(before), last: .zero)
        let plan = controller.plan(for: decision, amount: ReclaimAmountSetting(mode: .deficit, margin: Bytes(Self.margin)))
        #expect(plan.asked == Bytes(Self.shortfall + Self.margin))
        let report = try controller.reclaim(plan, targetPath: path, usageBefore: Bytes(before), deadlineMilliseconds: 30_000) { _ in }
        let after = KernelLab.usage(target)
        let freed = before - after
        print("real kernel deficit: asked \(Self.shortfall + Self.margin), freed \(freed) of \(before) in \(report.outcome.milliseconds) ms, amountReached \(report.amountReached)")
        #expect(report.amountReached, "the write was not stopped by amount: \(report)")
        #expect(!report.outcome.wasInterrupted)
        #expect(freed >= Self.shortfall, "freed \(freed) < shortfall \(Self.shortfall)")
        #expect(freed <= Self.shortfall + Self.margin + Self.overshootTolerance, "freed \(freed) > \(Self.shortfall + Self.margin + Self.overshootTolerance)")

        // The same target, all: force_empty to the end.
        let all = controller.plan(for: decision, amount: ReclaimAmountSetting(mode: .all, margin: Bytes(Self.margin)))
        #expect(all == .emptyTarget)
        let allReport = try controller.reclaim(all, targetPath: path, usageBefore: Bytes(after), deadlineMilliseconds: 30_000) { _ in }
        let emptied = KernelLab.usage(target)
        print("real kernel all: \(after) -> \(emptied) in \(allReport.outcome.milliseconds) ms")
        #expect(!allReport.amountReached)
        #expect(emptied < 8 << 20, "all left \(emptied) bytes")
    }

    @Test("deficit with cold inactive cache in front of a hot set: the cold pages go, then the amount out of the working set, the rest of the hot set stays")
    func coldBeforeHot() throws {
        // It fills and frees 1 GiB or more: the node's available moves by
        // that much, under tests that set their line from it.
        let lab = KernelLab.exclusive()
        defer { withExtendedLifetime(lab) {} }
        let scratch = "/var/tmp/mon_memcg-test-deficit-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let target = try KernelLab.makeCgroup("deficit-cold")
        defer { KernelLab.remove(target) }
        // 1 GiB written once (inactive), 512 MiB read twice (active).
        #expect(try KernelLab.runInside(target, "dd if=/dev/zero of=\(scratch)/cold bs=1M count=1024 conv=fsync status=none && dd if=/dev/zero of=\(scratch)/hot bs=1M count=512 conv=fsync status=none && cat \(scratch)/hot > /dev/null && cat \(scratch)/hot > /dev/null") == 0)
        /// As kubelet counts it: usage_in_bytes (kernel memory the reclaim
        /// frees too included) - total_inactive_file.
        func workingSet() -> Int64 {
            let usage = Int64((try? String(contentsOfFile: "\(KernelLab.memoryMount)/\(target)/memory.usage_in_bytes", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
            return usage - (KernelLab.stat(target)["total_inactive_file"] ?? 0)
        }
        let before = KernelLab.usage(target)
        let wsBefore = workingSet()
        #expect(wsBefore >= 480 << 20, "the hot set is not active: working set \(wsBefore)")
        let controller = CgroupV1Controller(cgroupRoot: KernelLab.memoryMount, procRoot: "/proc")
        let plan = ForceEmptyPlan.emptyUntilFreed(ReclaimDeficit(request: Bytes(Self.shortfall), margin: .zero))
        let report = try controller.reclaim(plan, targetPath: "\(KernelLab.memoryMount)/\(target)", usageBefore: Bytes(before),
                                            deadlineMilliseconds: 30_000) { _ in }
        let after = KernelLab.usage(target)
        let wsAfter = workingSet()
        print("real kernel cold+hot deficit: usage \(before) -> \(after), working set \(wsBefore) -> \(wsAfter), amountReached \(report.amountReached)")
        #expect(report.amountReached)
        // Stopped at usage - 256 MiB, it would have freed 256 MiB of cold
        // pages and left the working set (kubelet's view) where it was.
        #expect(wsBefore - wsAfter >= Self.shortfall - Self.tolerance, "working set fell by \(wsBefore - wsAfter)")
        #expect(after >= 128 << 20, "the hot set was emptied too: \(after) left")
    }
}
