import Foundation
@testable import MemcgEngine
import MemcgCore
@testable import MemcgKernel
import Testing
import TestSupport

/// A node as the kernel's reclaim treats it, for driving held episodes
/// in-process: the target's pages kubelet counts (`active`: anon and
/// active file) and those it never counts (`inactive`: inactive file), the
/// rest of the node's working set, and a writer that charges the target
/// while a reclaim runs (`growthPerFreed` bytes per byte freed: the longer
/// the step, the more it writes).
final class SimulatedNode: @unchecked Sendable {
    private let lock = NSLock()
    let memTotal = Int64(24) << 30
    let watermark = Bytes.mib(64)
    private(set) var other: Int64
    private(set) var active: Int64
    private(set) var inactive: Int64
    let growthPerFreed: Double
    /// What each reclaim write asked for (nil: everything, force_empty).
    private(set) var writes: [Int64?] = []

    init(other: Int64, active: Int64, inactive: Int64, growthPerFreed: Double = 0) {
        (self.other, self.active, self.inactive, self.growthPerFreed) = (other, active, inactive, growthPerFreed)
    }

    /// kubelet's available: MemTotal - (usage - inactive_file).
    var available: Int64 { lock.withLock { memTotal - other - active } }
    var usage: Int64 { lock.withLock { active + inactive } }

    var observation: NodeObservation {
        lock.withLock {
            NodeObservation(memTotal: Bytes(memTotal), rootUsage: Bytes(other + active + inactive), rootInactiveFile: Bytes(inactive),
                            watermark: watermark)
        }
    }

    /// A writer between checks: `bytes` more of what kubelet counts.
    func charge(_ bytes: Int64) { lock.withLock { active += bytes } }

    /// Reclaims like the kernel's LRU: inactive file first, then the rest;
    /// nil takes everything (force_empty). The writer charges meanwhile.
    /// Returns what the kernel reclaimed (not the usage's drop: the writer
    /// may have charged more).
    @discardableResult
    func reclaim(_ amount: Int64?) -> Int64 {
        lock.withLock {
            writes.append(amount)
            let want = amount ?? (active + inactive)
            let fromInactive = min(want, inactive)
            inactive -= fromInactive
            let fromActive = min(want - fromInactive, active)
            active -= fromActive
            active += Int64(Double(fromInactive + fromActive) * growthPerFreed)
            return fromInactive + fromActive
        }
    }
}

/// What a simulated controller shares with every hierarchy: the node, the target's usage,
/// no dying cgroups and no wake source (a check needs neither).
protocol SimulatedController: MemoryController {
    var node: SimulatedNode { get }
    var root: String { get }
}

extension SimulatedController {
    var cgroupRoot: String { root }
    var procRoot: String { root + "/proc" }
    func observe() throws(KernelError) -> (node: NodeObservation, memAvailable: Bytes?) { (node.observation, nil) }
    func targetUsage(at targetPath: String) throws(KernelError) -> Bytes { Bytes(node.usage) }
    var dyingSource: any DyingCgroupsSource { NoDying() }
    func dyingCountWithoutTarget() throws(KernelError) -> Int64? { nil }
    func checkCanReclaim(targetPath: String) throws(ReclaimError) {}
    var eventSourcePath: String { root + "/none" }
    func reclaimFile(targetPath: String) -> String { "\(targetPath)/\(hierarchy == .v1 ? "memory.force_empty" : "memory.reclaim")" }
    func armWake(replacing current: (any WakeSource)?, node: NodeObservation, policy: Policy,
                 growthSoFar: Bytes) throws(SystemError) -> WakeArming {
        throw SystemError("arm", eventSourcePath, errno: 95)
    }
}

struct NoDying: DyingCgroupsSource {
    func measure(targetPath: String) throws(KernelError) -> DyingCgroups { DyingCgroups(count: 0, scope: .target, bytes: .zero) }
    func read(targetPath: String) throws(KernelError) -> DyingReading { DyingReading(dying: try measure(targetPath: targetPath), numCgroups: nil) }
    func complete(_ readings: [DyingReading]) throws(KernelError) -> [DyingCgroups] { readings.map(\.dying) }
}

/// A controller over a simulated node; `run` is how its kernel takes a plan.
struct Simulated<Plan: ReclaimPlan>: SimulatedController {
    let hierarchy: CgroupHierarchy
    var node: SimulatedNode
    var root: String
    let run: @Sendable (Plan, Bytes, SimulatedNode) -> Plan

    func reclaim(_ plan: Plan, targetPath: String, usageBefore: Bytes, deadlineMilliseconds: Int64,
                 step: (ReclaimStepReport) -> Void) throws(ReclaimError) -> ReclaimReport<Plan> {
        ReclaimReport(outcome: .completed(milliseconds: 1), plan: run(plan, usageBefore, node))
    }
}

extension Simulated where Plan == ForceEmptyPlan {
    /// v1: force_empty, everything at once (the plan's deficit mode is not simulated).
    static func v1(node: SimulatedNode, root: String) -> Self {
        Self(hierarchy: .v1, node: node, root: root) { plan, _, node in
            node.reclaim(nil)
            return plan
        }
    }
}

extension Simulated where Plan == ReclaimAmountPlan {
    /// v2: memory.reclaim of the plan's steps, each freeing inactive file
    /// first; a write that reclaimed less than it asked ends in EAGAIN, as
    /// the kernel's does, whatever the writer charged meanwhile.
    static func v2(node: SimulatedNode, root: String) -> Self {
        Self(hierarchy: .v2, node: node, root: root) { plan, usageBefore, node in
            var amount = plan
            var before = usageBefore
            while let ask = amount.nextStep {
                let reclaimed = node.reclaim(ask.value)
                let now = Bytes(node.usage)
                amount.record(asked: ask, reclaimed < ask.value ? .partial(freed: before - now) : .completed(freed: before - now))
                before = now
            }
            return amount
        }
    }
}

/// Held episodes in-process against simulated nodes: the loop holds where a
/// single reclaim would not, grows its steps past inactive file on v2,
/// stops when the target has nothing left, and never runs for the oneshot.
@Suite(.serialized)
struct HoldLoopTests {
    static let gib = Int64(1) << 30
    static let mib = Int64(1) << 20
    /// 4 GiB + the simulated 64 MiB watermark.
    static let globalThresh = (Int64(4) << 30) + (Int64(64) << 20)

    struct Run {
        var record: CheckRecord
        var failure: Failure?
        var log: String
    }

    /// One check on `controller`, holding when `hold` is given.
    static func check(_ controller: any SimulatedController, dir: TempDirectory, hold: HoldContext?,
                      _ values: [ConfigKey: String] = [:]) throws -> Run {
        var config = Config()
        try config.set(.cgroupRoot, to: dir.path)
        try config.set(.procRoot, to: dir.path("proc"))
        try config.set(.stateFile, to: dir.path("state/state"))
        try config.set(.dyingReclaim, to: "off")
        for (key, value) in values { try config.set(key, to: value) }
        let console = CapturedConsole()
        let run = CheckRun(config: config, dryRun: false, log: EventLog(path: dir.path("mon_memcg.log"), console: console),
                           controller: .success(controller), hold: hold)
        let (record, failure) = run.runAndPublish()
        return Run(record: record, failure: failure, log: dir.read("mon_memcg.log") ?? "")
    }

    static func directory() throws -> TempDirectory {
        let dir = try TempDirectory("mon_memcg-episode")
        try FileManager.default.createDirectory(atPath: dir.path("user.slice"), withIntermediateDirectories: true)
        return dir
    }

    static let watching = HoldContext(fall: FallRate(), leadMilliseconds: 100)

    @Test("v1, a busy writer refilling the target during force_empty: one reclaim leaves available short, a held episode lifts it above the line")
    func v1BusyWriter() throws {
        // available 2 GiB; force_empty frees 6 GiB while the writer charges 4.5 GiB
        let dir = try Self.directory()
        defer { dir.remove() }
        let single = SimulatedNode(other: 16 * Self.gib, active: 6 * Self.gib, inactive: 0, growthPerFreed: 0.75)
        let once = try Self.check(Simulated.v1(node: single, root: dir.path), dir: dir, hold: nil)
        #expect(once.failure == nil)
        #expect(single.writes.count == 1)
        #expect(single.available < Self.globalThresh, "one force_empty is not enough: \(single.available)")
        #expect(!once.log.contains("hold step") && !once.log.contains("hold ended"), "the oneshot never holds:\n\(once.log)")

        let dir2 = try Self.directory()
        defer { dir2.remove() }
        let held = SimulatedNode(other: 16 * Self.gib, active: 6 * Self.gib, inactive: 0, growthPerFreed: 0.75)
        let run = try Self.check(Simulated.v1(node: held, root: dir2.path), dir: dir2, hold: Self.watching)
        #expect(run.failure == nil)
        #expect(held.available >= Self.globalThresh + 256 * Self.mib, "\(run.log)")
        #expect(run.record.held == HeldEpisode(steps: 2, stop: .recovered, ahead: false, byAmount: false), "\(run.log)")
        #expect(held.writes == [nil, nil])
        // The original's lines once, then the step, then why it ended.
        #expect(run.log.components(separatedBy: "need reclaim").count == 2, "\(run.log)")
        #expect(run.log.contains("hold step 2: available \(Self.gib * 24 - 16 * Self.gib - 4_831_838_208) < global thresh \(Self.globalThresh) + hold_hysteresis 268435456"), "\(run.log)")
        #expect(run.log.contains("hold ended after 2 steps in "), "\(run.log)")
        // last is the usage after the last step, as after any reclaim.
        #expect(dir2.read("state/state")?.contains("last \(held.usage)\n") == true, "\(dir2.read("state/state") ?? "")")
    }

    @Test("v2, memory.reclaim frees inactive file first: the steps grow until available rises")
    func v2InactiveFirst() throws {
        // available 3.5 GiB, the target 4 GiB counted + 6 GiB inactive file
        let dir = try Self.directory()
        defer { dir.remove() }
        let single = SimulatedNode(other: 16 * Self.gib + Self.gib / 2, active: 4 * Self.gib, inactive: 6 * Self.gib)
        let once = try Self.check(Simulated.v2(node: single, root: dir.path), dir: dir, hold: nil)
        #expect(once.failure == nil)
        #expect(single.available == 3 * Self.gib + Self.gib / 2, "the shortfall-sized reclaim freed inactive file only")

        let dir2 = try Self.directory()
        defer { dir2.remove() }
        let held = SimulatedNode(other: 16 * Self.gib + Self.gib / 2, active: 4 * Self.gib, inactive: 6 * Self.gib)
        let run = try Self.check(Simulated.v2(node: held, root: dir2.path), dir: dir2, hold: Self.watching)
        #expect(run.failure == nil, "\(run.failure?.message ?? "")")
        #expect(held.available >= Self.globalThresh + 256 * Self.mib, "\(run.log)")
        let episode = try #require(run.record.held, "\(run.log)")
        #expect(episode.stop == .recovered)
        #expect(episode.steps > 2 && episode.steps < HoldEpisode.maximumSteps, "\(run.log)")
        #expect(run.log.contains("extra 1677721600 not lifted by earlier steps"), "step 2 asks what step 1 did not lift:\n\(run.log)")
        #expect(run.log.contains("+ hold margin "), "the held steps' request words:\n\(run.log)")
    }

    @Test("v2, a target holding only inactive file: the steps end when it has nothing left, and say so")
    func v2NothingLeft() throws {
        let dir = try Self.directory()
        defer { dir.remove() }
        let node = SimulatedNode(other: 21 * Self.gib, active: 0, inactive: 2 * Self.gib)
        let run = try Self.check(Simulated.v2(node: node, root: dir.path), dir: dir, hold: Self.watching)
        #expect(run.failure == nil)
        #expect(node.usage == 0)
        #expect(run.record.held?.stop == .nothingFreed(freed: .zero), "\(run.log)")
        #expect(run.log.contains("it has nothing reclaimable left now"), "\(run.log)")
        #expect(node.available == 3 * Self.gib, "nothing kubelet counts was there to free")
    }

    @Test("v2, writers charging more than each step reclaims: the steps go on to the episode's bound instead of stopping as if nothing were reclaimable")
    func v2Outgrown() throws {
        let dir = try Self.directory()
        defer { dir.remove() }
        let node = SimulatedNode(other: 16 * Self.gib + Self.gib / 2, active: 5 * Self.gib, inactive: 0, growthPerFreed: 1.1)
        let run = try Self.check(Simulated.v2(node: node, root: dir.path), dir: dir, hold: Self.watching)
        #expect(run.failure == nil, "\(run.failure?.message ?? "")")
        #expect(run.record.held?.stop == .stepLimit, "\(run.log)")
        #expect(!run.log.contains("nothing reclaimable left"), "\(run.log)")
        #expect(run.log.contains("\(HoldEpisode.maximumSteps) steps is the most an episode takes"), "\(run.log)")
    }

    @Test("a wake-up still short after an episode its bound ended goes on holding, where the growth rule would skip; after any other ending it skips")
    func continuesAfterBound() throws {
        let dir = try Self.directory()
        defer { dir.remove() }
        let node = SimulatedNode(other: 16 * Self.gib + Self.gib / 2, active: 5 * Self.gib, inactive: 0, growthPerFreed: 1.1)
        let controller = Simulated.v2(node: node, root: dir.path)
        let first = try Self.check(controller, dir: dir, hold: Self.watching)
        let ended = try #require(first.record.held?.memory, "\(first.log)")
        #expect(ended.stop == .stepLimit)
        #expect(node.available < Self.globalThresh, "still short: \(node.available)")

        // What the original does next: last is the usage the episode left, the change is small
        // (after an episode that recovered taking all it could).
        let skipped = try Self.check(controller, dir: dir, hold: HoldContext(fall: FallRate(), leadMilliseconds: 100, previous: HoldMemory(stop: .recovered, byAmount: false)))
        #expect(skipped.record.decision?.action == .skipGrowthBelowThreshold, "\(skipped.log)")
        #expect(skipped.log.dropFirst(first.log.count).contains("change is too small (less than 1073741824 ), so skip reclaim"), "\(skipped.log)")
        let writes = node.writes.count

        let going = try Self.check(controller, dir: dir, hold: HoldContext(fall: FallRate(), leadMilliseconds: 100, previous: ended))
        #expect(going.failure == nil, "\(going.failure?.message ?? "")")
        #expect(going.record.decision?.action == .reclaim)
        #expect(node.writes.count > writes, "it reclaimed")
        let lines = String(going.log.dropFirst(skipped.log.count)).components(separatedBy: "\n")
        let continued = try #require(lines.firstIndex { $0.contains("hold continues: the last episode ended on its bound (32 steps)") }, "\(going.log)")
        #expect(lines[continued - 1].contains("mem usage: CURRENT"), "under the original's usage line:\n\(lines.joined(separator: "\n"))")
        #expect(!lines.contains { $0.contains("change is too small") }, "the growth rule's skip is not said when it is overridden")
        #expect(going.record.held != nil)
    }

    @Test("short again after an episode that recovered by amount, the target refilled by less than growth_threshold: it goes on holding; after one that took all it could, the growth rule skips")
    func continuesAfterRecoveredByAmount() throws {
        let dir = try Self.directory()
        defer { dir.remove() }
        // available 3.5 GiB: 576 MiB short of global thresh; deficit asks that + 300 MiB
        let node = SimulatedNode(other: 16 * Self.gib + Self.gib / 2, active: 4 * Self.gib, inactive: 0)
        let controller = Simulated.v2(node: node, root: dir.path)
        let values: [ConfigKey: String] = [.reclaimAmount: "deficit", .reclaimMargin: "300M"]
        let first = try Self.check(controller, dir: dir, hold: Self.watching, values)
        #expect(first.failure == nil, "\(first.failure?.message ?? "")")
        let memory = try #require(first.record.held?.memory, "\(first.log)")
        #expect(memory == HoldMemory(stop: .recovered, byAmount: true), "\(first.log)")
        #expect(node.available == Self.globalThresh + 300 * Self.mib, "\(first.log)")

        // The writers refill 400 MiB: short by 100 MiB, the change 400 MiB < 1 GiB.
        node.charge(400 * Self.mib)
        let skipped = try Self.check(controller, dir: dir, hold: HoldContext(fall: FallRate(), leadMilliseconds: 100,
                                                                              previous: HoldMemory(stop: .recovered, byAmount: false)), values)
        #expect(skipped.record.decision?.action == .skipGrowthBelowThreshold, "\(skipped.log)")
        #expect(skipped.log.dropFirst(first.log.count).contains("change is too small (less than 1073741824 ), so skip reclaim"), "\(skipped.log)")
        let writes = node.writes.count

        let going = try Self.check(controller, dir: dir, hold: HoldContext(fall: FallRate(), leadMilliseconds: 100, previous: memory), values)
        #expect(going.failure == nil, "\(going.failure?.message ?? "")")
        #expect(going.record.decision?.action == .reclaim)
        #expect(node.writes.count > writes, "it reclaimed")
        #expect(node.available >= Self.globalThresh + 256 * Self.mib, "\(going.log)")
        let lines = String(going.log.dropFirst(skipped.log.count)).components(separatedBy: "\n")
        let continued = try #require(lines.firstIndex {
            $0.contains("hold continues: the last episode stopped its reclaim by amount once available was back above global thresh + hold_hysteresis 268435456, leaving the target's page cache; it has refilled since last \(4 * Self.gib - 876 * Self.mib): the change \(400 * Self.mib) is below growth threshold 1073741824")
        }, "\(going.log)")
        #expect(lines[continued - 1].contains("mem usage: CURRENT"), "under the original's usage line:\n\(lines.joined(separator: "\n"))")
        #expect(!lines.contains { $0.contains("change is too small") }, "the growth rule's skip is not said when it is overridden")
        #expect(going.record.held?.memory == HoldMemory(stop: .recovered, byAmount: true), "\(going.log)")
    }

    @Test("hold = off: watch's check reclaims once, as the oneshot does")
    func holdOff() throws {
        let dir = try Self.directory()
        defer { dir.remove() }
        let node = SimulatedNode(other: 16 * Self.gib, active: 6 * Self.gib, inactive: 0, growthPerFreed: 0.75)
        let run = try Self.check(Simulated.v1(node: node, root: dir.path), dir: dir, hold: Self.watching, [.hold: "off"])
        #expect(node.writes.count == 1)
        #expect(run.record.held == nil)
        #expect(!run.log.contains("hold step") && !run.log.contains("hold ended"))
    }

    @Test("reclaim ahead: above global thresh, falling fast enough to cross it within a step")
    func ahead() throws {
        let dir = try Self.directory()
        defer { dir.remove() }
        // available = global thresh + 500 MiB; at 1 GiB/s a 1 s step crosses it
        let active = 24 * Self.gib - 16 * Self.gib - (Self.globalThresh + 500 * Self.mib)
        let node = SimulatedNode(other: 16 * Self.gib, active: active, inactive: 0)
        let run = try Self.check(Simulated.v1(node: node, root: dir.path), dir: dir,
                                 hold: HoldContext(fall: FallRate(), leadMilliseconds: 1_000))
        #expect(run.failure == nil)
        #expect(run.log.contains("and will be below global thresh \(Self.globalThresh) within 1.000 s (one reclaim step): reclaiming ahead"), "\(run.log)")
        #expect(!run.log.contains("need reclaim"), "not short: the original's line would be false")
        #expect(run.record.held == HeldEpisode(steps: 1, stop: .recovered, ahead: true, byAmount: false), "\(run.log)")
        #expect(node.writes == [nil])

        // A slow fall: nothing ahead, the original's "nothing to do".
        let dir2 = try Self.directory()
        defer { dir2.remove() }
        let calm = SimulatedNode(other: 16 * Self.gib, active: active, inactive: 0)
        var slow = FallRate()
        slow.observe(available: Bytes(calm.available), atMilliseconds: 0)
        for second in 1...8 { slow.observe(available: Bytes(calm.available), atMilliseconds: Int64(second) * 1_000) }
        let quiet = try Self.check(Simulated.v1(node: calm, root: dir2.path), dir: dir2, hold: HoldContext(fall: slow, leadMilliseconds: 1_000))
        #expect(calm.writes.isEmpty, "\(quiet.log)")
        #expect(quiet.record.held == nil)
    }
}
