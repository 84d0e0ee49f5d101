@testable import MemcgCore
import Testing
import TestSupport

// MARK: - reclaim_amount and reclaim_margin

@Test("defaults: auto and 256M, documented in the shipped file")
func reclaimAmountDefaults() throws {
    let config = Config()
    #expect(config.reclaimAmount == .auto)
    #expect(config.reclaimMargin == .mib(256))
    #expect(config.reclaimAmountSetting == ReclaimAmountSetting(mode: .auto, margin: .mib(256)))
    // Each default read back as written and as printed: ConfigTests, for every key.
    for line in ["#reclaim_amount = auto", "#reclaim_margin = 256M", "auto = all on cgroup v1"] {
        #expect(ConfigFile.defaultText().contains(line), "\(line)")
    }
}

// MARK: - sizing a deficit

struct DeficitRow: NamedRow {
    var name: String
    var available, globalThreshold, current, margin, expected: Int64
}

@Test("deficit = global thresh + margin - available, at most current, never negative", arguments: [
    DeficitRow(name: "256 MiB short, 32 MiB margin", available: 4_000 << 20, globalThreshold: 4_256 << 20, current: 1 << 30,
               margin: 32 << 20, expected: 288 << 20),
    DeficitRow(name: "no margin: the shortfall alone", available: 4_000 << 20, globalThreshold: 4_256 << 20, current: 1 << 30,
               margin: 0, expected: 256 << 20),
    DeficitRow(name: "capped at what the target holds", available: 1 << 30, globalThreshold: 8 << 30, current: 500 << 20,
               margin: 256 << 20, expected: 500 << 20),
    DeficitRow(name: "the original design's logs: available -300967919616", available: -300_967_919_616, globalThreshold: 4_362_076_160,
               current: 526_000_000_000, margin: 256 << 20, expected: 300_967_919_616 + 4_362_076_160 + (256 << 20)),
    DeficitRow(name: "hostile: not short at all", available: 9 << 30, globalThreshold: 4 << 30, current: 1 << 30,
               margin: 256 << 20, expected: 0),
    DeficitRow(name: "hostile: negative current", available: 0, globalThreshold: 4 << 30, current: -5,
               margin: 256 << 20, expected: 0),
])
func deficitSize(row: DeficitRow) {
    let decision = Decision(action: .reclaim, available: Bytes(row.available), globalThreshold: Bytes(row.globalThreshold),
                            growthThreshold: .gib(1), current: Bytes(row.current), last: .zero)
    let deficit = ReclaimDeficit(for: decision, margin: Bytes(row.margin))
    #expect(deficit.request == Bytes(row.expected))
    #expect(ForceEmptyPlan.emptyUntilFreed(deficit).asked == Bytes(row.expected))
    // v2's auto keeps growth_threshold as its margin, as before the key existed.
    #expect(ReclaimAmountPlan.request(for: decision) == ReclaimAmountPlan.request(for: decision, margin: .gib(1)))
}

// MARK: - the lines

@Test("a deficit reclaim logs its request, then what was asked, freed, and why it stopped")
func deficitLines() {
    let decision = Decision(action: .reclaim, available: 1_000, globalThreshold: 5_000, growthThreshold: 64, current: 90_000, last: 0)
    let plan = ForceEmptyPlan.emptyUntilFreed(ReclaimDeficit(for: decision, margin: 500))
    let file = "/sys/fs/cgroup/memory//user.slice/memory.force_empty"
    #expect(plan.requestLine(file: file, decision: decision)
        == "memory.force_empty: requesting 4500 bytes (global thresh 5000 + reclaim_margin 500 - available 1000, at most current 90000); the write is interrupted once the target's usage has fallen to its working set (usage - total_inactive_file) minus that")
    #expect(ForceEmptyPlan.emptyTarget.requestLine(file: file, decision: decision) == nil, "the original force_empty announces nothing")
    #expect(plan.dryRunLine(file: file, decision: decision)
        == "dry-run: would have written 1 to \(file) and interrupted it once the target's usage had fallen to its working set minus 4500 bytes (global thresh 5000 + reclaim_margin 500 - available 1000, at most current 90000), then stored the usage after it as last")
    let ends: [(ReclaimStop, String)] = [(.amountReached, "amount reached"), (.deadline, "deadline"),
                                         (.signal("SIGTERM"), "signal SIGTERM"), (.finished, "finished")]
    for (stop, word) in ends {
        #expect(LogLines.reclaimByAmountEnded(asked: 4_500, freed: 4_700, milliseconds: 1_234, stop: stop)
            == "reclaim asked 4500 bytes, freed 4700 bytes in 1.234 s, stopped: \(word)")
    }
    let v2 = ReclaimAmountPlan(request: 90_000, basis: .everything)
    #expect(v2.requestLine(file: "/c/user.slice/memory.reclaim", decision: decision)?
        .contains("(reclaim_amount all: everything the target holds, current 90000)") == true)
}

// MARK: - A held step's margin (hold = on)

struct HeldPlanRow: NamedRow {
    var name: String
    var mode: ReclaimAmountMode
    var held: Int64
    var forceEmpty: ForceEmptyPlan
    var reclaim: ReclaimAmountPlan
}

/// available 3000 MiB, global thresh 3256 MiB: 256 MiB short; the target holds 1 GiB.
let heldDecision = Decision(action: .reclaim, available: Bytes(3_000 << 20), globalThreshold: Bytes(3_256 << 20),
                            growthThreshold: .gib(1), current: .gib(1), last: .zero)

@Test("a held step's margin replaces growth_threshold under auto (v2), and reclaim_margin under deficit when larger", arguments: [
    HeldPlanRow(name: "auto: v1 force_empty to the end, v2 the shortfall + the held margin", mode: .auto, held: 100 << 20,
                forceEmpty: .emptyTarget, reclaim: ReclaimAmountPlan(request: Bytes(356 << 20), basis: .held(Bytes(100 << 20)))),
    HeldPlanRow(name: "deficit, held margin above reclaim_margin (32M): the held one, said so", mode: .deficit, held: 100 << 20,
                forceEmpty: .emptyUntilFreed(ReclaimDeficit(request: Bytes(356 << 20), margin: Bytes(100 << 20), held: true)),
                reclaim: ReclaimAmountPlan(request: Bytes(356 << 20), basis: .held(Bytes(100 << 20)))),
    HeldPlanRow(name: "deficit, held margin below reclaim_margin: reclaim_margin", mode: .deficit, held: 1 << 20,
                forceEmpty: .emptyUntilFreed(ReclaimDeficit(request: Bytes(288 << 20), margin: .mib(32))),
                reclaim: ReclaimAmountPlan(request: Bytes(288 << 20), basis: .margin(.mib(32)))),
    HeldPlanRow(name: "all: everything, the held margin unused", mode: .all, held: 100 << 20,
                forceEmpty: .emptyTarget, reclaim: ReclaimAmountPlan(request: .gib(1), basis: .everything)),
    HeldPlanRow(name: "auto, a held margin past what the target holds: capped at current", mode: .auto, held: 4 << 30,
                forceEmpty: .emptyTarget, reclaim: ReclaimAmountPlan(request: .gib(1), basis: .held(.gib(4)))),
])
func heldPlans(row: HeldPlanRow) {
    let amount = ReclaimAmountSetting(mode: row.mode, margin: .mib(32), heldMargin: Bytes(row.held))
    #expect(ForceEmptyPlan(for: heldDecision, amount: amount) == row.forceEmpty)
    #expect(ReclaimAmountPlan(for: heldDecision, amount: amount) == row.reclaim)
    if case .emptyUntilFreed(let deficit) = row.forceEmpty, deficit.held {
        #expect(ForceEmptyPlan(for: heldDecision, amount: amount).requestLine(file: "f", decision: heldDecision)?.contains("+ hold margin 104857600 -") == true)
    }
}
