import Testing
@testable import MemcgCore

/// A situation where escalation is warranted: memory short, 2 GiB dying,
/// growth_threshold 1 GiB, no reaper, drop_caches never ran, 30 s left.
func shortSituation(_ change: (inout EscalationSituation) -> Void = { _ in }) -> EscalationSituation {
    var s = EscalationSituation(
        available: .gib(1), globalThreshold: .gib(4), dying: DyingCgroups(count: 40, scope: .hierarchy, bytes: .gib(2)),
        growthThreshold: .gib(1), reaperPresent: false, lastDropCaches: nil, now: 1_000_000,
        dropCachesIntervalSeconds: 600, remainingMilliseconds: 30_000)
    change(&s)
    return s
}

struct PolicyRow: Sendable, CustomTestStringConvertible {
    var name: String
    var mode: DyingReclaimMode
    var situation: EscalationSituation
    var tried: [EscalationStep] = []
    var verdict: EscalationVerdict
    var testDescription: String { name }
}

let now: Int64 = 1_000_000

@Test("escalation policy: every branch", arguments: [
    // What stops it before any step.
    PolicyRow(name: "off never escalates", mode: .off, situation: shortSituation(), verdict: .stop(.disabled)),
    PolicyRow(name: "off with the reaper present", mode: .off, situation: shortSituation { $0.reaperPresent = true }, verdict: .stop(.disabled)),
    PolicyRow(name: "memory recovered", mode: .auto, situation: shortSituation { $0.available = .gib(5) },
              verdict: .stop(.availableRecovered(available: .gib(5), globalThreshold: .gib(4)))),
    PolicyRow(name: "boundary: available == threshold is not short", mode: .auto, situation: shortSituation { $0.available = .gib(4) },
              verdict: .stop(.availableRecovered(available: .gib(4), globalThreshold: .gib(4)))),
    PolicyRow(name: "negative available (the original script's logs) is short", mode: .auto,
              situation: shortSituation { $0.available = Bytes(-300_967_919_616) }, verdict: .run(.dropCaches)),
    PolicyRow(name: "dying not measured: never act blind", mode: .auto, situation: shortSituation { $0.dying = nil }, verdict: .stop(.dyingUnknown)),
    PolicyRow(name: "dying below growth_threshold", mode: .auto,
              situation: shortSituation { $0.dying?.bytes = Bytes(Bytes.gibibyte - 1) },
              verdict: .stop(.dyingBelowThreshold(bytes: Bytes(Bytes.gibibyte - 1), growthThreshold: .gib(1)))),
    PolicyRow(name: "boundary: dying == growth_threshold escalates", mode: .auto,
              situation: shortSituation { $0.dying?.bytes = .gib(1) }, verdict: .run(.dropCaches)),
    PolicyRow(name: "hostile: growth_threshold 0 and nothing dying: no node-wide drop for nothing", mode: .auto,
              situation: shortSituation { $0.growthThreshold = .zero; $0.dying?.bytes = .zero },
              verdict: .stop(.dyingBelowThreshold(bytes: .zero, growthThreshold: .zero))),
    PolicyRow(name: "growth_threshold 0 and one dying page", mode: .auto,
              situation: shortSituation { $0.growthThreshold = .zero; $0.dying?.bytes = 4096 }, verdict: .run(.dropCaches)),
    PolicyRow(name: "many dying cgroups but no bytes", mode: .auto,
              situation: shortSituation { $0.dying = DyingCgroups(count: 100_000, scope: .hierarchy, bytes: .zero) },
              verdict: .stop(.dyingBelowThreshold(bytes: .zero, growthThreshold: .gib(1)))),
    // auto
    PolicyRow(name: "auto, reaper present: reaper first", mode: .auto, situation: shortSituation { $0.reaperPresent = true }, verdict: .run(.reaper)),
    PolicyRow(name: "auto, reaper ran, still short: drop_caches", mode: .auto, situation: shortSituation { $0.reaperPresent = true },
              tried: [.reaper], verdict: .run(.dropCaches)),
    PolicyRow(name: "auto, both ran: exhausted", mode: .auto, situation: shortSituation { $0.reaperPresent = true },
              tried: [.reaper, .dropCaches], verdict: .stop(.exhausted)),
    PolicyRow(name: "auto, no reaper: drop_caches", mode: .auto, situation: shortSituation(), verdict: .run(.dropCaches)),
    PolicyRow(name: "auto, no reaper, drop_caches ran: exhausted", mode: .auto, situation: shortSituation(), tried: [.dropCaches], verdict: .stop(.exhausted)),
    // reaper only
    PolicyRow(name: "reaper mode, present", mode: .reaper, situation: shortSituation { $0.reaperPresent = true }, verdict: .run(.reaper)),
    PolicyRow(name: "reaper mode, absent", mode: .reaper, situation: shortSituation(), verdict: .stop(.reaperAbsent)),
    PolicyRow(name: "reaper mode never drops caches", mode: .reaper, situation: shortSituation { $0.reaperPresent = true },
              tried: [.reaper], verdict: .stop(.exhausted)),
    // drop_caches only
    PolicyRow(name: "drop_caches mode skips a present reaper", mode: .dropCaches, situation: shortSituation { $0.reaperPresent = true }, verdict: .run(.dropCaches)),
    PolicyRow(name: "drop_caches mode, ran: exhausted", mode: .dropCaches, situation: shortSituation(), tried: [.dropCaches], verdict: .stop(.exhausted)),
    // rate limit
    PolicyRow(name: "rate limit: 599 s ago", mode: .auto, situation: shortSituation { $0.lastDropCaches = now - 599 },
              verdict: .stop(.rateLimited(last: now - 599, nextAllowed: now + 1))),
    PolicyRow(name: "rate limit boundary: exactly one interval ago", mode: .auto, situation: shortSituation { $0.lastDropCaches = now - 600 }, verdict: .run(.dropCaches)),
    PolicyRow(name: "rate limit: long ago", mode: .dropCaches, situation: shortSituation { $0.lastDropCaches = 0 }, verdict: .run(.dropCaches)),
    PolicyRow(name: "rate limit: same second", mode: .dropCaches, situation: shortSituation { $0.lastDropCaches = now },
              verdict: .stop(.rateLimited(last: now, nextAllowed: now + 600))),
    PolicyRow(name: "rate limit after the reaper ran", mode: .auto,
              situation: shortSituation { $0.reaperPresent = true; $0.lastDropCaches = now - 10 }, tried: [.reaper],
              verdict: .stop(.rateLimited(last: now - 10, nextAllowed: now + 590))),
    PolicyRow(name: "rate limit does not hold back the reaper", mode: .auto,
              situation: shortSituation { $0.reaperPresent = true; $0.lastDropCaches = now - 10 }, verdict: .run(.reaper)),
    PolicyRow(name: "hostile: clock set back 5 s (stamp slightly in the future)", mode: .auto,
              situation: shortSituation { $0.lastDropCaches = now + 5 }, verdict: .stop(.rateLimited(last: now + 5, nextAllowed: now + 605))),
    PolicyRow(name: "hostile: stamp far in the future is ignored", mode: .auto,
              situation: shortSituation { $0.lastDropCaches = now + 601 }, verdict: .run(.dropCaches)),
    PolicyRow(name: "hostile: stamp Int64.max does not overflow", mode: .auto,
              situation: shortSituation { $0.lastDropCaches = Int64.max }, verdict: .run(.dropCaches)),
    PolicyRow(name: "hostile: interval Int64.max", mode: .auto,
              situation: shortSituation { $0.lastDropCaches = now - 1; $0.dropCachesIntervalSeconds = Int64.max },
              verdict: .stop(.rateLimited(last: now - 1, nextAllowed: Int64.max))),
    // the run's deadline
    PolicyRow(name: "deadline: 4999 ms is too little for drop_caches", mode: .auto, situation: shortSituation { $0.remainingMilliseconds = 4_999 },
              verdict: .stop(.noTimeLeft(.dropCaches, remainingMilliseconds: 4_999))),
    PolicyRow(name: "deadline: 5000 ms is enough for drop_caches", mode: .auto, situation: shortSituation { $0.remainingMilliseconds = 5_000 }, verdict: .run(.dropCaches)),
    PolicyRow(name: "deadline: 999 ms is too little for the reaper", mode: .reaper,
              situation: shortSituation { $0.reaperPresent = true; $0.remainingMilliseconds = 999 },
              verdict: .stop(.noTimeLeft(.reaper, remainingMilliseconds: 999))),
    PolicyRow(name: "deadline: reaper fits, drop_caches would not", mode: .auto,
              situation: shortSituation { $0.reaperPresent = true; $0.remainingMilliseconds = 3_000 }, verdict: .run(.reaper)),
    PolicyRow(name: "deadline: after the reaper no time for drop_caches", mode: .auto,
              situation: shortSituation { $0.reaperPresent = true; $0.remainingMilliseconds = 3_000 }, tried: [.reaper],
              verdict: .stop(.noTimeLeft(.dropCaches, remainingMilliseconds: 3_000))),
    PolicyRow(name: "hostile: deadline already passed", mode: .auto, situation: shortSituation { $0.remainingMilliseconds = -20_000 },
              verdict: .stop(.noTimeLeft(.dropCaches, remainingMilliseconds: -20_000))),
    PolicyRow(name: "rate limit is reported before the deadline", mode: .auto,
              situation: shortSituation { $0.lastDropCaches = now; $0.remainingMilliseconds = 0 },
              verdict: .stop(.rateLimited(last: now, nextAllowed: now + 600))),
])
func escalationPolicy(row: PolicyRow) {
    #expect(nextEscalation(mode: row.mode, situation: row.situation, tried: row.tried) == row.verdict)
}

struct PlanRow: Sendable, CustomTestStringConvertible {
    var name: String
    var mode: DyingReclaimMode
    var situation: EscalationSituation
    var steps: [EscalationStep]
    var stop: EscalationStop
    var testDescription: String { name }
}

@Test("dry-run plan: the steps that would run if none changed anything", arguments: [
    PlanRow(name: "auto with reaper", mode: .auto, situation: shortSituation { $0.reaperPresent = true }, steps: [.reaper, .dropCaches], stop: .exhausted),
    PlanRow(name: "auto with reaper, drop_caches rate limited", mode: .auto,
            situation: shortSituation { $0.reaperPresent = true; $0.lastDropCaches = now - 1 }, steps: [.reaper],
            stop: .rateLimited(last: now - 1, nextAllowed: now + 599)),
    PlanRow(name: "auto without reaper", mode: .auto, situation: shortSituation(), steps: [.dropCaches], stop: .exhausted),
    PlanRow(name: "off", mode: .off, situation: shortSituation(), steps: [], stop: .disabled),
    PlanRow(name: "not short", mode: .auto, situation: shortSituation { $0.available = .gib(100) }, steps: [],
            stop: .availableRecovered(available: .gib(100), globalThreshold: .gib(4))),
])
func escalationPlan(row: PlanRow) {
    let plan = planEscalation(mode: row.mode, situation: row.situation)
    #expect(plan.steps == row.steps)
    #expect(plan.stop == row.stop)
}

@Test("quiet stops are the ordinary ones; the others are logged")
func quietStops() {
    #expect(EscalationStop.disabled.isQuiet)
    #expect(EscalationStop.availableRecovered(available: 1, globalThreshold: 0).isQuiet)
    #expect(EscalationStop.dyingBelowThreshold(bytes: 0, growthThreshold: 1).isQuiet)
    #expect(!EscalationStop.dyingUnknown.isQuiet)
    #expect(!EscalationStop.reaperAbsent.isQuiet)
    #expect(!EscalationStop.rateLimited(last: 0, nextAllowed: 1).isQuiet)
    #expect(!EscalationStop.noTimeLeft(.dropCaches, remainingMilliseconds: 0).isQuiet)
    #expect(!EscalationStop.exhausted.isQuiet)
}
