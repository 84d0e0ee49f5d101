import Testing
import TestSupport
@testable import MemcgCore

/// A situation where escalation is warranted: memory short, 2 GiB dying,
/// growth_threshold 1 GiB, no reaper, drop_caches never ran, 30 s left;
/// both clocks readable (this boot `bootA`, up 2 h).
func shortSituation(_ change: (inout EscalationSituation) -> Void = { _ in }) -> EscalationSituation {
    var s = EscalationSituation(
        available: .gib(1), globalThreshold: .gib(4), dying: DyingCgroups(count: 40, scope: .hierarchy, bytes: .gib(2)),
        growthThreshold: .gib(1), reaperPresent: false, lastDropCaches: nil, now: nowStamp,
        dropCachesIntervalSeconds: 600, remainingMilliseconds: 30_000)
    change(&s)
    return s
}

struct PolicyRow: NamedRow {
    var name: String
    var mode: DyingReclaimMode
    var situation: EscalationSituation
    var tried: [EscalationStep] = []
    var verdict: EscalationVerdict
}

let now: Int64 = 1_000_000
let bootA = try! BootID(parsing: "6f1c2b9e-3d4a-4f5b-8c7d-0e1f2a3b4c5d")
let bootB = try! BootID(parsing: "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d")
/// CLOCK_BOOTTIME now in `shortSituation`: 2 h after boot.
let bootNow: Int64 = 7_200_000
let nowStamp = ClockStamp(epochSeconds: now, boot: BootTime(bootID: bootA, milliseconds: bootNow))
/// A stamp as a state file from before the boot clock was kept holds it.
func wall(_ epochSeconds: Int64) -> ClockStamp { ClockStamp(epochSeconds: epochSeconds) }
/// A drop this many ms ago on the boot clock (of `boot`), at `epochSeconds`.
func stamp(_ epochSeconds: Int64, bootAgoMilliseconds: Int64, boot: BootID = bootA) -> ClockStamp {
    ClockStamp(epochSeconds: epochSeconds, boot: BootTime(bootID: boot, milliseconds: bootNow - bootAgoMilliseconds))
}

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
    // rate limit (wall-clock rows: a state file without a boot stamp)
    PolicyRow(name: "rate limit: 599 s ago", mode: .auto, situation: shortSituation { $0.lastDropCaches = wall(now - 599) },
              verdict: .stop(.rateLimited(.wallClock(last: now - 599, nextAllowed: now + 1, because: .noBootStamp)))),
    PolicyRow(name: "rate limit boundary: exactly one interval ago", mode: .auto, situation: shortSituation { $0.lastDropCaches = wall(now - 600) }, verdict: .run(.dropCaches)),
    PolicyRow(name: "rate limit: long ago", mode: .dropCaches, situation: shortSituation { $0.lastDropCaches = wall(0) }, verdict: .run(.dropCaches)),
    PolicyRow(name: "rate limit: same second", mode: .dropCaches, situation: shortSituation { $0.lastDropCaches = wall(now) },
              verdict: .stop(.rateLimited(.wallClock(last: now, nextAllowed: now + 600, because: .noBootStamp)))),
    PolicyRow(name: "rate limit after the reaper ran", mode: .auto,
              situation: shortSituation { $0.reaperPresent = true; $0.lastDropCaches = wall(now - 10) }, tried: [.reaper],
              verdict: .stop(.rateLimited(.wallClock(last: now - 10, nextAllowed: now + 590, because: .noBootStamp)))),
    PolicyRow(name: "rate limit does not hold back the reaper", mode: .auto,
              situation: shortSituation { $0.reaperPresent = true; $0.lastDropCaches = wall(now - 10) }, verdict: .run(.reaper)),
    PolicyRow(name: "hostile: clock set back 5 s (stamp slightly in the future)", mode: .auto,
              situation: shortSituation { $0.lastDropCaches = wall(now + 5) }, verdict: .stop(.rateLimited(.wallClock(last: now + 5, nextAllowed: now + 605, because: .noBootStamp)))),
    PolicyRow(name: "hostile: stamp far in the future is ignored", mode: .auto,
              situation: shortSituation { $0.lastDropCaches = wall(now + 601) }, verdict: .run(.dropCaches)),
    PolicyRow(name: "hostile: stamp Int64.max does not overflow", mode: .auto,
              situation: shortSituation { $0.lastDropCaches = wall(Int64.max) }, verdict: .run(.dropCaches)),
    PolicyRow(name: "hostile: interval Int64.max", mode: .auto,
              situation: shortSituation { $0.lastDropCaches = wall(now - 1); $0.dropCachesIntervalSeconds = Int64.max },
              verdict: .stop(.rateLimited(.wallClock(last: now - 1, nextAllowed: Int64.max, because: .noBootStamp)))),
    // rate limit on the boot clock (the rows of dropCachesLimit below)
    PolicyRow(name: "boot clock: 599 s ago this boot, wall clock stepped forward 3 h", mode: .auto,
              situation: shortSituation { $0.lastDropCaches = stamp(now - 3 * 3600, bootAgoMilliseconds: 599_000) },
              verdict: .stop(.rateLimited(.bootClock(elapsedMilliseconds: 599_000, intervalSeconds: 600)))),
    PolicyRow(name: "boot clock: 600 s ago this boot, wall clock stepped back 5 min", mode: .auto,
              situation: shortSituation { $0.lastDropCaches = stamp(now + 300, bootAgoMilliseconds: 600_000) }, verdict: .run(.dropCaches)),
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
              situation: shortSituation { $0.lastDropCaches = wall(now); $0.remainingMilliseconds = 0 },
              verdict: .stop(.rateLimited(.wallClock(last: now, nextAllowed: now + 600, because: .noBootStamp)))),
])
func escalationPolicy(row: PolicyRow) {
    #expect(nextEscalation(mode: row.mode, situation: row.situation, tried: row.tried) == row.verdict)
}

struct PlanRow: NamedRow {
    var name: String
    var mode: DyingReclaimMode
    var situation: EscalationSituation
    var steps: [EscalationStep]
    var stop: EscalationStop
}

@Test("dry-run plan: the steps that would run if none changed anything", arguments: [
    PlanRow(name: "auto with reaper", mode: .auto, situation: shortSituation { $0.reaperPresent = true }, steps: [.reaper, .dropCaches], stop: .exhausted),
    PlanRow(name: "auto with reaper, drop_caches rate limited", mode: .auto,
            situation: shortSituation { $0.reaperPresent = true; $0.lastDropCaches = wall(now - 1) }, steps: [.reaper],
            stop: .rateLimited(.wallClock(last: now - 1, nextAllowed: now + 599, because: .noBootStamp))),
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
    #expect(!EscalationStop.rateLimited(.wallClock(last: 0, nextAllowed: 1, because: .noBootStamp)).isQuiet)
    #expect(!EscalationStop.rateLimited(.bootClock(elapsedMilliseconds: 0, intervalSeconds: 600)).isQuiet)
    #expect(!EscalationStop.noTimeLeft(.dropCaches, remainingMilliseconds: 0).isQuiet)
    #expect(!EscalationStop.exhausted.isQuiet)
}

// MARK: - the drop_caches rate limit on two clocks

struct LimitRow: NamedRow {
    var name: String
    var last: ClockStamp?
    var now: ClockStamp = nowStamp
    var interval: Int64 = 600
    /// nil: drop_caches may run.
    var limit: DropCachesLimit?
}

@Test("drop_caches rate limit: the boot clock within one boot, the wall clock across boots", arguments: [
    LimitRow(name: "never ran", last: nil, limit: nil),
    // Same boot: the wall clock's steps do not count.
    LimitRow(name: "same boot, wall clock +3 h since the drop, 60 s on the boot clock: limited",
             last: stamp(now - 3 * 3600 - 60, bootAgoMilliseconds: 60_000),
             limit: .bootClock(elapsedMilliseconds: 60_000, intervalSeconds: 600)),
    LimitRow(name: "same boot, wall clock +3 h, 600 s on the boot clock: allowed",
             last: stamp(now - 3 * 3600 - 600, bootAgoMilliseconds: 600_000), limit: nil),
    LimitRow(name: "same boot, wall clock -3 h since the drop, 60 s on the boot clock: limited",
             last: stamp(now + 3 * 3600 - 60, bootAgoMilliseconds: 60_000),
             limit: .bootClock(elapsedMilliseconds: 60_000, intervalSeconds: 600)),
    LimitRow(name: "same boot, wall clock -3 h, 600 s on the boot clock: allowed",
             last: stamp(now + 3 * 3600 - 600, bootAgoMilliseconds: 600_000), limit: nil),
    LimitRow(name: "same boot, wall clock -5 min (less than the interval), 600 s on the boot clock: allowed, not blocked 5 min more",
             last: stamp(now + 300 - 600, bootAgoMilliseconds: 600_000), limit: nil),
    LimitRow(name: "same boot, wall clock -5 min, 599.999 s on the boot clock: limited",
             last: stamp(now + 300 - 600, bootAgoMilliseconds: 599_999),
             limit: .bootClock(elapsedMilliseconds: 599_999, intervalSeconds: 600)),
    LimitRow(name: "same boot, wall clock -2 h then +2 h since the drop, 60 s on the boot clock: limited",
             last: stamp(now - 60, bootAgoMilliseconds: 60_000),
             limit: .bootClock(elapsedMilliseconds: 60_000, intervalSeconds: 600)),
    LimitRow(name: "same boot, dropped while the wall clock was 2 h back, now +2 h again, 60 s on the boot clock: limited",
             last: stamp(now - 2 * 3600 - 60, bootAgoMilliseconds: 60_000),
             limit: .bootClock(elapsedMilliseconds: 60_000, intervalSeconds: 600)),
    LimitRow(name: "same boot, same millisecond: limited",
             last: stamp(now, bootAgoMilliseconds: 0), limit: .bootClock(elapsedMilliseconds: 0, intervalSeconds: 600)),
    LimitRow(name: "boundary: exactly one interval on the boot clock: allowed",
             last: stamp(now, bootAgoMilliseconds: 600_000), limit: nil),
    LimitRow(name: "same boot, a shorter interval (30 s)", last: stamp(now, bootAgoMilliseconds: 29_000), interval: 30,
             limit: .bootClock(elapsedMilliseconds: 29_000, intervalSeconds: 30)),
    // Another boot: the boot clock restarted, the wall clock decides.
    LimitRow(name: "other boot, wall 599 s ago: limited on the wall clock",
             last: stamp(now - 599, bootAgoMilliseconds: 1_000, boot: bootB),
             limit: .wallClock(last: now - 599, nextAllowed: now + 1, because: .otherBoot)),
    LimitRow(name: "other boot, wall 600 s ago: allowed", last: stamp(now - 600, bootAgoMilliseconds: 1_000, boot: bootB), limit: nil),
    LimitRow(name: "other boot, a boot-clock stamp that would read as 0 s ago is not used",
             last: stamp(now - 3600, bootAgoMilliseconds: 0, boot: bootB), limit: nil),
    LimitRow(name: "other boot, wall stamp 3 h ahead (clock set back): not trusted, allowed",
             last: stamp(now + 3 * 3600, bootAgoMilliseconds: 0, boot: bootB), limit: nil),
    // No boot stamp: a state file written before the boot clock was kept.
    LimitRow(name: "no boot stamp (old state file), wall 599 s ago: limited as before",
             last: wall(now - 599), limit: .wallClock(last: now - 599, nextAllowed: now + 1, because: .noBootStamp)),
    LimitRow(name: "no boot stamp, wall 3 h ahead: not trusted, allowed", last: wall(now + 3 * 3600), limit: nil),
    LimitRow(name: "no boot stamp, wall 5 min ahead: trusted, limited (the old rule's two intervals)",
             last: wall(now + 300), limit: .wallClock(last: now + 300, nextAllowed: now + 900, because: .noBootStamp)),
    // The boot id unreadable now: the boot stamp cannot be matched.
    LimitRow(name: "boot id unreadable now, stamp of this boot 60 s ago: judged on the wall clock",
             last: stamp(now - 60, bootAgoMilliseconds: 60_000), now: wall(now),
             limit: .wallClock(last: now - 60, nextAllowed: now + 540, because: .bootIDUnknown)),
    // Garbage.
    LimitRow(name: "hostile: boot stamp ahead of the boot clock (impossible within one boot): not trusted, allowed",
             last: stamp(now, bootAgoMilliseconds: -1), limit: nil),
    LimitRow(name: "hostile: boot stamp Int64.max", last: ClockStamp(epochSeconds: now, boot: BootTime(bootID: bootA, milliseconds: .max)), limit: nil),
    LimitRow(name: "hostile: negative boot stamp, elapsed overflows: not trusted, allowed",
             last: ClockStamp(epochSeconds: now, boot: BootTime(bootID: bootA, milliseconds: .min)),
             now: ClockStamp(epochSeconds: now, boot: BootTime(bootID: bootA, milliseconds: .max)), limit: nil),
    LimitRow(name: "hostile: interval Int64.max on the boot clock does not overflow",
             last: stamp(now, bootAgoMilliseconds: 1), interval: .max, limit: .bootClock(elapsedMilliseconds: 1, intervalSeconds: .max)),
    LimitRow(name: "hostile: wall stamp Int64.max, other boot", last: stamp(.max, bootAgoMilliseconds: 0, boot: bootB), limit: nil),
    LimitRow(name: "hostile: wall now far negative, no boot stamp: no overflow",
             last: wall(.max), now: ClockStamp(epochSeconds: .min, boot: nil), limit: nil),
])
func dropCachesRateLimit(row: LimitRow) {
    #expect(dropCachesLimit(last: row.last, now: row.now, intervalSeconds: row.interval) == row.limit)
}

struct ClockStep: Sendable {
    /// The real second (since the first check) at which it happens.
    var at: Int64
    /// Seconds added to the wall clock.
    var by: Int64
}

struct ClockScript: NamedRow {
    var name: String
    var steps: [ClockStep]
}

/// Every 7 min the wall clock jumps 4 h, alternately back and forward.
let seesaw: [ClockStep] = (1...25).map { (n: Int) -> ClockStep in
    ClockStep(at: Int64(n) * 420, by: n % 2 == 0 ? 4 * 3600 : -4 * 3600)
}

/// A check every 60 s of real time for 3 h within one boot, the memory
/// short every time, the wall clock stepped as the script says: drops are
/// never closer than the interval in real time, and never further apart
/// than the interval plus one check period.
@Test("drop_caches rate limit: the wall clock stepped by hours, checks every 60 s for 3 h", arguments: [
    ClockScript(name: "no step", steps: []),
    ClockScript(name: "+3 h after 5 min", steps: [ClockStep(at: 300, by: 3 * 3600)]),
    ClockScript(name: "-3 h after 5 min", steps: [ClockStep(at: 300, by: -3 * 3600)]),
    ClockScript(name: "-5 min after 1 min (less than the interval)", steps: [ClockStep(at: 60, by: -300)]),
    ClockScript(name: "-2 h right after the first drop, +2 h a minute later",
                steps: [ClockStep(at: 0, by: -2 * 3600), ClockStep(at: 60, by: 2 * 3600)]),
    ClockScript(name: "back and forth by 4 h every 7 min", steps: seesaw),
])
func dropCachesUnderClockSteps(script: ClockScript) {
    let interval: Int64 = 600
    var offset: Int64 = 0
    var last: ClockStamp?
    var drops: [Int64] = []
    for real in stride(from: Int64(0), through: 3 * 3600, by: 60) {
        for step in script.steps where step.at == real { offset += step.by }
        let now = ClockStamp(epochSeconds: 1_793_577_600 + real + offset,
                             boot: BootTime(bootID: bootA, milliseconds: 7_200_000 + real * 1000))
        if dropCachesLimit(last: last, now: now, intervalSeconds: interval) == nil {
            drops.append(real)
            last = now
        }
    }
    let gaps = zip(drops.dropFirst(), drops).map { $0 - $1 }
    #expect(drops.first == 0)
    #expect(gaps.allSatisfy { $0 >= interval }, "two drops within the interval: \(drops)")
    #expect(gaps.allSatisfy { $0 <= interval + 60 }, "blocked longer than the interval: \(drops)")
    #expect(drops.count == 19, "one drop every 10 min, at 0 and at the end: \(drops)")
}

@Test("the rate limit's words say which clock and how long")
func dropCachesLimitWords() {
    #expect(DropCachesLimit.bootClock(elapsedMilliseconds: 60_400, intervalSeconds: 600).reason
            == "drop_caches ran 60 s ago on the boot clock (CLOCK_BOOTTIME, this boot); drop_caches_interval 600 s allows the next in 540 s")
    #expect(DropCachesLimit.bootClock(elapsedMilliseconds: 599_999, intervalSeconds: 600).reason.hasSuffix("allows the next in 1 s"))
    #expect(DropCachesLimit.wallClock(last: 5, nextAllowed: 605, because: .otherBoot).reason
            == "drop_caches ran at 5 (epoch seconds); drop_caches_interval allows the next at 605 (judged on the wall clock: the last drop_caches was in an earlier boot)")
}

struct BootIDRow: NamedRow {
    var name: String
    var text: String
    var valid: Bool
}

@Test("boot id parses only the kernel's form", arguments: [
    BootIDRow(name: "the file as the kernel has it", text: "6f1c2b9e-3d4a-4f5b-8c7d-0e1f2a3b4c5d\n", valid: true),
    BootIDRow(name: "without the newline (a state file's field)", text: "6f1c2b9e-3d4a-4f5b-8c7d-0e1f2a3b4c5d", valid: true),
    BootIDRow(name: "hostile: empty", text: "", valid: false),
    BootIDRow(name: "hostile: a newline only", text: "\n", valid: false),
    BootIDRow(name: "hostile: truncated", text: "6f1c2b9e-3d4a-4f5b-8c7d-0e1f2a3b", valid: false),
    BootIDRow(name: "hostile: uppercase", text: "6F1C2B9E-3D4A-4F5B-8C7D-0E1F2A3B4C5D", valid: false),
    BootIDRow(name: "hostile: no dashes", text: "6f1c2b9e3d4a4f5b8c7d0e1f2a3b4c5d", valid: false),
    BootIDRow(name: "hostile: not hex", text: "6f1c2b9e-3d4a-4f5b-8c7d-0e1f2a3b4c5g", valid: false),
    BootIDRow(name: "hostile: two lines", text: "6f1c2b9e-3d4a-4f5b-8c7d-0e1f2a3b4c5d\n\n", valid: false),
    BootIDRow(name: "hostile: a space inside", text: "6f1c2b9e-3d4a-4f5b-8c7d-0e1f2a3b4c5d x", valid: false),
])
func bootIDParsing(row: BootIDRow) {
    #expect(((try? BootID(parsing: row.text)) != nil) == row.valid)
}
