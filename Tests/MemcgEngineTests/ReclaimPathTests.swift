import Foundation
@testable import MemcgEngine
@testable import MemcgCore
@testable import MemcgKernel
import Testing
import TestSupport

/// The reclaim path in-process: each controller's plan, the outcome value
/// the check records, and the words a plan brings to the log and `status`.
struct ReclaimPathTests {
    static let decision = Decision(action: .reclaim, available: 1_000, globalThreshold: 5_000, growthThreshold: 64,
                                   current: 300_000_000, last: 0)

    @Test("v1 force_empty: the outcome says what was asked, freed, how long and why it stopped")
    func v1Outcome() throws {
        let tree = try FixtureTree()
        let config = try fixtureConfig(tree, cgroupRoot: tree.cgroupRoot, procRoot: tree.procRoot, stateFile: tree.stateFile)
        let console = CapturedConsole()
        let reclaim = CheckReclaim(config: config, log: EventLog(path: tree.logFile, console: console),
                                   controller: CgroupV1Controller(cgroupRoot: tree.cgroupRoot, procRoot: tree.procRoot),
                                   targetPath: tree.path("cgroup/user.slice"), decision: Self.decision)
        let outcome = try reclaim.run()
        #expect(outcome.asked == nil, "force_empty asks for everything")
        #expect(outcome.freed == .zero)
        #expect(outcome.usageAfter == 300_000_000)
        #expect(outcome.stop == .finished)
        #expect(!outcome.interrupted)
        #expect(outcome.milliseconds >= 0)
        #expect(tree.read("cgroup/user.slice/memory.force_empty") == "1\n")
        #expect(tree.read("state/state") == nil, "the reclaim saves nothing; the check does")
    }

    @Test("v2 memory.reclaim: the amount asked, in logged steps, as an outcome")
    func v2Outcome() throws {
        let tree = try FixtureTreeV2()
        let config = try fixtureConfig(tree, cgroupRoot: nil, procRoot: tree.procRoot, stateFile: tree.stateFile)
        let console = CapturedConsole()
        let decision = Decision(action: .reclaim, available: 1_000, globalThreshold: 100_000_000, growthThreshold: 64,
                                current: 3_000_000_000, last: 0)
        let reclaim = CheckReclaim(config: config, log: EventLog(path: tree.logFile, console: console),
                                   controller: CgroupV2Controller(cgroupRoot: tree.cgroupRoot, procRoot: tree.procRoot),
                                   targetPath: tree.path("cgroup/user.slice"), decision: decision)
        let outcome = try reclaim.run()
        #expect(outcome.asked == Bytes(100_000_000 + 64 - 1_000))
        #expect(outcome.stop == .finished)
        let log = tree.read("mon_memcg.log") ?? ""
        #expect(log.contains("memory.reclaim: requesting 99999064 bytes"), "\(log)")
        #expect(log.contains("memory.reclaim step 1: asked"))
        #expect(outcome.freed == .zero, "a fixture's memory.current never falls")
        #expect(log.contains("reclaim took "), "\(log)")
    }

    @Test("each plan words itself: dry run, request, status, end")
    func planWords() {
        let file = "/c/user.slice/memory.force_empty"
        let deficit = ForceEmptyPlan(for: Self.decision, amount: ReclaimAmountSetting(mode: .deficit, margin: 500))
        #expect(deficit == .emptyUntilFreed(ReclaimDeficit(request: 4_500, margin: 500)))
        #expect(ForceEmptyPlan(for: Self.decision, amount: ReclaimAmountSetting(mode: .auto)) == .emptyTarget)
        #expect(ForceEmptyPlan.emptyTarget.statusLine(file: file, current: 300_000_000, mode: .all)
            == "a check would write 1 to \(file): all the target holds, 300000000 (reclaim_amount all)")
        #expect(deficit.statusLine(file: file, current: nil, mode: .deficit).hasPrefix("a check would write 1 to \(file) and stop it once"))
        let end = ReclaimEnd(milliseconds: 1_234, freed: 4_700, interruption: nil, stop: .amountReached)
        #expect(ForceEmptyPlan.emptyTarget.endLines(end, file: file) == ["reclaim took 1.234 s, freed 4700 bytes"])
        #expect(deficit.endLines(end, file: file) == ["reclaim asked 4500 bytes, freed 4700 bytes in 1.234 s, stopped: amount reached"])
        var interrupted = end
        interrupted.interruption = "reclaim interrupted after 1.234 s"
        #expect(deficit.endLines(interrupted, file: file).count == 2)
        #expect(ForceEmptyPlan.emptyTarget.endLines(interrupted, file: file) == ["reclaim interrupted after 1.234 s"])

        let amount = ReclaimAmountPlan(for: Self.decision, amount: ReclaimAmountSetting(mode: .all))
        #expect(amount.asked == 300_000_000)
        #expect(amount.statusLine(file: "/c/memory.reclaim", current: nil, mode: .all).hasPrefix("a check would write 300000000 to /c/memory.reclaim ("))
        #expect(amount.dryRunLine(file: "/c/memory.reclaim", decision: Self.decision).hasPrefix("dry-run: would have written 300000000 to /c/memory.reclaim"))
    }

    @Test("the check records the outcome and saves the usage after it once; the node it read is no longer current")
    func recorded() throws {
        let tree = try FixtureTree()
        let config = try fixtureConfig(tree, cgroupRoot: tree.cgroupRoot, procRoot: tree.procRoot, stateFile: tree.stateFile,
                                       [.metricsFile: tree.path("state/m.prom")])
        let (record, failure, console) = check(config, logFile: tree.logFile)
        #expect(failure == nil, "\(console.stderr)")
        #expect(record.wrote)
        #expect(record.nodeUnchanged == nil, "watch reads the node again after a reclaim")
        #expect(record.counters.reclaims == 1)
        #expect(tree.read("state/state")?.contains("last 300000000") == true)
        #expect(tree.read("state/m.prom")?.contains("mon_memcg_target_last_bytes 300000000") == true, "\(tree.read("state/m.prom") ?? "")")
    }
}

struct StatusGatherTests {
    @Test("v2 status: the plan's own line and request, gathered from one snapshot")
    func v2Status() throws {
        let tree = try FixtureTreeV2()
        let config = try fixtureConfig(tree, cgroupRoot: nil, procRoot: tree.procRoot, stateFile: tree.stateFile)
        let report = try StatusReport.gather(config: config)
        #expect(report.decision?.action == .reclaim)
        #expect(report.reclaimRequest == report.reclaimPlan?.asked)
        #expect(report.text().contains("a check would write \(report.reclaimRequest?.value ?? -1) to \(tree.cgroupRoot)/user.slice/memory.reclaim"),
                "\(report.text())")
        #expect(tree.read("state/state") == nil)
    }

    @Test("v1 status without a target: the node, the target's problem, no plan")
    func missingTarget() throws {
        let tree = try FixtureTree()
        let config = try fixtureConfig(tree, cgroupRoot: tree.cgroupRoot, procRoot: tree.procRoot, stateFile: tree.stateFile,
                                       [.target: "gone.slice"])
        let report = try StatusReport.gather(config: config)
        #expect(report.decision == nil)
        #expect(report.reclaimPlan == nil)
        #expect(report.targetProblem?.contains("gone.slice") == true)
        #expect(report.json().contains("\"decision\":\"target_missing\""))
    }
}

/// What one `watch` wake-up does between poll(2) returns: the check with
/// the controller found at start, then re-arming from the node it read.
struct WatchWakeupTests {
    @Test("the controller found once serves every wake-up; re-arming reads the check's node")
    func wakeup() throws {
        let tree = try FixtureTreeV2(rootAnon: 100_000_000, rootFile: 100_000_000)
        let config = try fixtureConfig(tree, cgroupRoot: nil, procRoot: tree.procRoot, stateFile: tree.stateFile, [.availableThreshold: "1M"])
        let controller = MemoryControllers.detected(config: config)
        // Detection read mountinfo once; the wake-ups must not need it again.
        try tree.remove("proc/self/mountinfo")
        for _ in 0..<2 {
            let (record, failure, console) = check(config, controller: controller, logFile: tree.logFile)
            #expect(failure == nil, "\(console.stderr)")
            #expect(record.decision?.action == .nothing)
            let node = try #require(record.nodeUnchanged, "no reclaim: the check's node is still the node")
            #expect(node == record.snapshot?.node)
            #expect(record.snapshot?.target.map(\.usage) == .success(3_000_000_000))
            // v2 arms a PSI trigger: independent of the node, refused on a fixture's plain file.
            let arming = Result { try (try controller.get()).armWake(replacing: nil, node: node, policy: config.policy, growthSoFar: .zero) }
            if case .success(let armed) = arming { #expect(armed.changed) }
        }
        // Without the controller found at start, the check has to detect again: and fails.
        let (_, failure, _) = check(config, logFile: tree.logFile)
        #expect(failure != nil, "mountinfo is gone: detection fails")
    }
}
