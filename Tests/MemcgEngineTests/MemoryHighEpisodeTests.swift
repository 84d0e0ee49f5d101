import Foundation
@testable import MemcgEngine
import MemcgCore
@testable import MemcgKernel
import Testing
import TestSupport

/// v2 with memory.high, in-process: `Simulated.v2`'s node and reclaim, plus
/// the target's memory.high and memory.stat as files in the test's
/// directory. `failReads` makes every read of the node fail once the lever
/// is engaged: a node the daemon can no longer see.
struct SimulatedV2Lever: SimulatedController {
    let hierarchy = CgroupHierarchy.v2
    var node: SimulatedNode
    var root: String
    var failReads = false

    func observe() throws(KernelError) -> (node: NodeObservation, memAvailable: Bytes?) {
        if failReads, (try? String(contentsOfFile: root + "/user.slice/memory.high", encoding: .utf8)) != "max\n" {
            throw .malformed(path: root + "/proc/meminfo", ParseError("no MemTotal line"))
        }
        return (node.observation, nil)
    }
    func lever(targetPath: String) -> LeverFile? { LeverFile(targetPath: targetPath) }
    func reclaim(_ plan: ReclaimAmountPlan, targetPath: String, usageBefore: Bytes, deadlineMilliseconds: Int64,
                 step: (ReclaimStepReport) -> Void) throws(ReclaimError) -> ReclaimReport<ReclaimAmountPlan> {
        try Simulated.v2(node: node, root: root).reclaim(plan, targetPath: targetPath, usageBefore: usageBefore,
                                                        deadlineMilliseconds: deadlineMilliseconds, step: step)
    }
}

@Suite(.serialized)
struct MemoryHighEpisodeTests {
    static let gib = HoldLoopTests.gib
    static let mib = HoldLoopTests.mib

    static func directory(anon: Int64, file: Int64) throws -> TempDirectory {
        let dir = try HoldLoopTests.directory()
        try dir.write("user.slice/memory.high", "max\n")
        try dir.write("user.slice/memory.stat", "anon \(anon)\nfile \(file)\nshmem 0\nfile_mapped 0\n")
        return dir
    }

    /// A target of 2 GiB of inactive file only, on a node 1.3 GiB short: no
    /// reclaim raises kubelet's available, so the episode ends still short
    /// and the lever stays engaged.
    static func stuckShort() throws -> (TempDirectory, SimulatedV2Lever) {
        let dir = try directory(anon: 0, file: 2 * gib)
        let node = SimulatedNode(other: 21 * gib, active: 0, inactive: 2 * gib)
        return (dir, SimulatedV2Lever(node: node, root: dir.path))
    }

    @Test("a held episode that recovers: memory.high set at its start, the original saved first, restored in the same check")
    func recoversInOneCheck() throws {
        // HoldLoopTests.v2InactiveFirst's node: 4 GiB counted + 6 GiB inactive file.
        let dir = try Self.directory(anon: Self.gib, file: 9 * Self.gib)
        defer { dir.remove() }
        let node = SimulatedNode(other: 16 * Self.gib + Self.gib / 2, active: 4 * Self.gib, inactive: 6 * Self.gib)
        let run = try HoldLoopTests.check(SimulatedV2Lever(node: node, root: dir.path), dir: dir, hold: HoldLoopTests.watching,
                                          [.memoryHigh: "on"])
        #expect(run.failure == nil, "\(run.failure?.message ?? "")")
        #expect(run.record.held?.stop == .recovered, "\(run.log)")
        let set = try #require(run.log.range(of: "memory.high set to "), "\(run.log)")
        let restored = try #require(run.log.range(of: "memory.high restored to max on \(dir.path)/user.slice"), "\(run.log)")
        #expect(set.lowerBound < restored.lowerBound)
        #expect(run.log.contains(">= global thresh + hold_hysteresis"), "\(run.log)")
        #expect(dir.read("user.slice/memory.high") == "max\n")
        #expect(dir.read("state/state")?.contains("memory_high") == false, "\(dir.read("state/state") ?? "")")
    }

    @Test("an episode that reclaims ahead engages the lever too, on the shortfall the fall makes within one step")
    func aheadEngages() throws {
        // HoldLoopTests.ahead's node: available = global thresh + 500 MiB, at 1 GiB/s a 1 s step crosses it
        let usage = 24 * Self.gib - 16 * Self.gib - (HoldLoopTests.globalThresh + 500 * Self.mib)
        let dir = try Self.directory(anon: Self.gib / 4, file: usage - Self.gib / 4)
        defer { dir.remove() }
        let node = SimulatedNode(other: 16 * Self.gib, active: usage, inactive: 0)
        let run = try HoldLoopTests.check(SimulatedV2Lever(node: node, root: dir.path), dir: dir,
                                          hold: HoldContext(fall: FallRate(), leadMilliseconds: 1_000), [.memoryHigh: "on"])
        #expect(run.failure == nil, "\(run.failure?.message ?? "")")
        #expect(run.record.held?.ahead == true, "\(run.log)")
        let ahead = try #require(run.log.range(of: "reclaiming ahead"), "\(run.log)")
        // line (global thresh + 256 MiB) - (available - 1 GiB) = 780 MiB
        let set = try #require(run.log.range(of: "memory.high set to "), "no lever in an episode ahead:\n\(run.log)")
        #expect(run.log.contains("its usage \(usage) minus the shortfall \(780 * Self.mib) below global thresh + hold_hysteresis"), "\(run.log)")
        let restored = try #require(run.log.range(of: "memory.high restored to max on \(dir.path)/user.slice"), "\(run.log)")
        #expect(ahead.lowerBound < set.lowerBound && set.lowerBound < restored.lowerBound)
        #expect(dir.read("user.slice/memory.high") == "max\n")
    }

    @Test("engaged and still short at the end of the check: kept, then a read that fails restores it")
    func failedReadRestores() throws {
        var (dir, controller) = try Self.stuckShort()
        defer { dir.remove() }
        let first = try HoldLoopTests.check(controller, dir: dir, hold: HoldLoopTests.watching, [.memoryHigh: "on"])
        #expect(first.failure == nil)
        // Set before the first reclaim: usage 2 GiB minus the shortfall of
        // 1.3125 GiB below 4 GiB + 64 MiB + 256 MiB (above the floor, 128 MiB).
        #expect(dir.read("user.slice/memory.high") == "738197504\n", "\(first.log)")
        #expect(dir.read("state/state")?.contains("memory_high_original max\nmemory_high_written 738197504\n") == true)
        controller.failReads = true
        let second = try HoldLoopTests.check(controller, dir: dir, hold: HoldLoopTests.watching, [.memoryHigh: "on"])
        #expect(second.failure != nil)
        #expect(dir.read("user.slice/memory.high") == "max\n", "\(second.log)")
        #expect(second.log.contains("the check failed; a daemon that cannot see the node keeps no limit on it"), "\(second.log)")
        #expect(dir.read("state/state")?.contains("memory_high") == false)
    }

    @Test("the next start: a check (no hold) restores what the state file says a killed watch left")
    func nextStart() throws {
        let (dir, controller) = try Self.stuckShort()
        defer { dir.remove() }
        // The record is saved onto the state as loaded: the drop_caches stamp stays.
        try FileManager.default.createDirectory(atPath: dir.path("state"), withIntermediateDirectories: true)
        try dir.write("state/state", "mon_memcg-state 1\nlast_drop_caches 1726282125\n")
        _ = try HoldLoopTests.check(controller, dir: dir, hold: HoldLoopTests.watching, [.memoryHigh: "on"])
        #expect(dir.read("user.slice/memory.high") == "738197504\n")
        #expect(dir.read("state/state")?.contains("last_drop_caches 1726282125\n") == true, "\(dir.read("state/state") ?? "")")
        // The watch "dies" here: nothing of it runs again. The timer's check:
        let next = try HoldLoopTests.check(controller, dir: dir, hold: nil, [.memoryHigh: "on"])
        #expect(dir.read("user.slice/memory.high") == "max\n", "\(next.log)")
        #expect(next.log.contains("restored at this start"), "\(next.log)")
        #expect(dir.read("state/state")?.contains("memory_high") == false)
        // And memory_high = off on the v1 controller: no lever at all.
        #expect(Simulated.v1(node: controller.node, root: dir.path).lever(targetPath: dir.path) == nil)
    }
}
