import Testing
import TestSupport
@testable import MemcgCore

/// A held episode's decisions as named tables: each row is the steps so
/// far (what each asked, freed and lifted), available now and the time
/// spent; the answer is the next step's margin or why the episode stops.
struct HoldEpisodeTests {
    static let mib = Int64(1) << 20
    static let gt = Bytes(4_362_076_160)
    static let setting = HoldSetting(mode: .on, hysteresis: .mib(256), budgetMilliseconds: 45_000)

    struct Row: NamedRow {
        var name: String
        var steps: [HoldStepResult]
        var available: Int64
        var elapsed: Int64 = 500
        var rate = FallRate()  // 1 GiB/s until measured
        var expected: HoldEpisode.Next
    }

    /// `ranOut`: the kernel said it could take no more (v1 force_empty
    /// returned by itself, v2 EAGAIN with no drop); by default a step that
    /// freed nothing is one the kernel gave up on.
    static func step(asked: Int64?, freed: Int64, gained: Int64, ms: Int64 = 300, ranOut: Bool? = nil) -> HoldStepResult {
        HoldStepResult(asked: asked.map { Bytes($0) }, freed: Bytes(freed), availableBefore: 1_000_000_000,
                       availableAfter: Bytes(1_000_000_000 + gained), milliseconds: ms, ranOut: ranOut ?? (freed <= 0 || asked == nil))
    }

    static let rows: [Row] = [
        Row(name: "the first reclaim lifted available above the line: stop, recovered",
            steps: [step(asked: nil, freed: 3_000_000_000, gained: 3_000_000_000)], available: gt.value + 256 * mib,
            expected: .stop(.recovered)),
        Row(name: "above global thresh but within the hysteresis: another step",
            steps: [step(asked: nil, freed: 3_000_000_000, gained: 2_000_000_000, ms: 1_000)], available: gt.value + 100 * mib,
            expected: .step(margin: Bytes(256 * mib + (1 << 30)), growth: Bytes(1 << 30))),
        Row(name: "v1 force_empty to the end lifted nothing: no step would do better",
            steps: [step(asked: nil, freed: 500_000_000, gained: 0)], available: gt.value - 1,
            expected: .stop(.noGain(gained: .zero))),
        Row(name: "v1 force_empty cut by the deadline lifted nothing: not all it could, no noGain (the budget decides)",
            steps: [step(asked: nil, freed: 500_000_000, gained: 0, ranOut: false)], available: gt.value - 1,
            expected: .step(margin: Bytes(256 * mib + (1 << 30) * 300 / 1000), growth: Bytes((1 << 30) * 300 / 1000))),
        Row(name: "v1 force_empty lifted less than growth took: growth lost, another step",
            steps: [step(asked: nil, freed: 2_000_000_000, gained: 10)], available: gt.value - 1,
            expected: .step(margin: Bytes(256 * mib + (1 << 30) * 300 / 1000), growth: Bytes((1 << 30) * 300 / 1000))),
        Row(name: "the target freed nothing: stop",
            steps: [step(asked: 300 * mib, freed: 0, gained: 0)], available: gt.value - 1,
            expected: .stop(.nothingFreed(freed: .zero))),
        Row(name: "the target's usage rose over the step and the kernel gave up: nothing freed, stop",
            steps: [step(asked: 300 * mib, freed: -5 * mib, gained: -5 * mib)], available: gt.value - 1,
            expected: .stop(.nothingFreed(freed: Bytes(-5 * mib)))),
        Row(name: "the usage rose while the kernel reclaimed all it was asked (writers outgrew it): another step, asking for more",
            steps: [step(asked: 300 * mib, freed: -19 * mib, gained: -40 * mib, ms: 2_000, ranOut: false)], available: gt.value - 1,
            expected: .step(margin: Bytes(256 * mib + 2 * (1 << 30) + 300 * mib), growth: Bytes(2 * (1 << 30)))),
        Row(name: "v1 deficit cut by the deadline while writers outgrew it: another step",
            steps: [step(asked: 300 * mib, freed: -1, gained: -1, ms: 100, ranOut: false)], available: gt.value - 1,
            expected: .step(margin: Bytes(256 * mib + (1 << 30) / 10 + 300 * mib), growth: Bytes((1 << 30) / 10))),
        Row(name: "v2 step freed inactive file only (lifted nothing): the next asks that much more",
            steps: [step(asked: 300 * mib, freed: 300 * mib, gained: 0, ms: 100)], available: gt.value - 1,
            expected: .step(margin: Bytes(256 * mib + (1 << 30) / 10 + 300 * mib), growth: Bytes((1 << 30) / 10))),
        Row(name: "v2 steps that keep lifting nothing grow geometrically",
            steps: [step(asked: 300 * mib, freed: 300 * mib, gained: 0, ms: 100), step(asked: 700 * mib, freed: 700 * mib, gained: 0, ms: 100)],
            available: gt.value - 1,
            expected: .step(margin: Bytes(256 * mib + (1 << 30) / 10 + 1_000 * mib), growth: Bytes((1 << 30) / 10))),
        Row(name: "v2 step lifted all it asked: no extra",
            steps: [step(asked: 300 * mib, freed: 300 * mib, gained: 300 * mib, ms: 50)], available: gt.value - 1,
            expected: .step(margin: Bytes(256 * mib + (1 << 30) / 10), growth: Bytes((1 << 30) / 10))),
        Row(name: "reclaim_timeout nearly used up: stop",
            steps: [step(asked: nil, freed: 1, gained: 1)], available: gt.value - 1, elapsed: 44_950,
            expected: .stop(.timeLimit)),
        Row(name: "past reclaim_timeout (a slow first write): stop",
            steps: [step(asked: nil, freed: 1, gained: 1)], available: gt.value - 1, elapsed: 60_000,
            expected: .stop(.timeLimit)),
        Row(name: "the most steps an episode takes: stop",
            steps: Array(repeating: step(asked: nil, freed: 1, gained: 1), count: HoldEpisode.maximumSteps), available: gt.value - 1,
            expected: .stop(.stepLimit)),
        Row(name: "recovered wins over a step that freed nothing (growth stopped by itself)",
            steps: [step(asked: 300 * mib, freed: 0, gained: 0)], available: gt.value + 300 * mib,
            expected: .stop(.recovered)),
        Row(name: "deep below (available negative, the original's logs): a step",
            steps: [step(asked: nil, freed: 1_000_000, gained: 1_000_000)], available: -300_967_919_616,
            expected: .step(margin: Bytes(256 * mib + (1 << 30) * 300 / 1000), growth: Bytes((1 << 30) * 300 / 1000))),
    ]

    @Test("the next step of a held episode, or why it stops", arguments: rows)
    func next(row: Row) {
        var episode = HoldEpisode(globalThreshold: Self.gt, setting: Self.setting)
        for step in row.steps { episode.record(step) }
        #expect(episode.next(available: Bytes(row.available), elapsedMilliseconds: row.elapsed, fall: row.rate) == row.expected)
        if case .stop(let why) = row.expected { #expect(episode.stop == why, "the stop is kept") }
    }

    @Test("a stop is final: a later reading above the line does not restart it")
    func stopIsFinal() {
        var episode = HoldEpisode(globalThreshold: Self.gt, setting: Self.setting)
        episode.record(Self.step(asked: 300 * Self.mib, freed: 0, gained: 0))
        #expect(episode.next(available: Self.gt - 1, elapsedMilliseconds: 0, fall: FallRate()) == .stop(.nothingFreed(freed: .zero)))
        #expect(episode.next(available: Self.gt - 1, elapsedMilliseconds: 0, fall: FallRate()) == .stop(.nothingFreed(freed: .zero)))
    }

    @Test("the lead planned after a step: at least 100 ms, at most 5 s", arguments: [
        ("a step that returned at once", Int64(0), Int64(100)),
        ("a 1.4 s force_empty", 1_400, 1_400),
        ("a force_empty that ran out 45 s", 45_000, 5_000),
        ("a negative duration (hostile)", -7, 100),
    ])
    func lead(row: (String, Int64, Int64)) {
        #expect(HoldEpisode.lead(afterStepOf: row.1) == row.2, "\(row.0)")
    }

    struct ContinuesRow: NamedRow {
        var name: String
        var action: Decision.Action = .skipGrowthBelowThreshold
        var previous: HoldMemory?
        /// current - last
        var change: Int64 = 100
        var expected: Bool
    }

    static func memory(_ stop: HoldStop, byAmount: Bool = false) -> HoldMemory { HoldMemory(stop: stop, byAmount: byAmount) }

    @Test("a wake-up short again goes on holding after an episode its bounds ended, or one that recovered by amount with the target refilled since", arguments: [
        ContinuesRow(name: "reclaim_timeout ended it, the growth rule would skip: go on", previous: memory(.timeLimit), expected: true),
        ContinuesRow(name: "the step limit ended it: go on", previous: memory(.stepLimit), expected: true),
        ContinuesRow(name: "reclaim_timeout ended steps by amount: go on", previous: memory(.timeLimit, byAmount: true), expected: true),
        ContinuesRow(name: "no episode last time: the growth rule", previous: nil, expected: false),
        ContinuesRow(name: "it recovered taking all it could (force_empty to the end): the growth rule", previous: memory(.recovered), expected: false),
        ContinuesRow(name: "it recovered by amount and the target refilled: go on", previous: memory(.recovered, byAmount: true), expected: true),
        ContinuesRow(name: "it recovered by amount, the target has not grown since: the growth rule", previous: memory(.recovered, byAmount: true),
                     change: 0, expected: false),
        ContinuesRow(name: "it recovered by amount, the target shrank since: the growth rule", previous: memory(.recovered, byAmount: true),
                     change: -4096, expected: false),
        ContinuesRow(name: "the kernel had nothing left: the growth rule", previous: memory(.nothingFreed(freed: .zero), byAmount: true), expected: false),
        ContinuesRow(name: "force_empty to the end lifted nothing: the growth rule", previous: memory(.noGain(gained: .zero)), expected: false),
        ContinuesRow(name: "the original reclaims anyway: nothing to override", action: .reclaim, previous: memory(.timeLimit), expected: false),
        ContinuesRow(name: "not short: nothing to continue", action: .nothing, previous: memory(.recovered, byAmount: true), expected: false),
    ])
    func continues(row: ContinuesRow) {
        let decision = Decision(action: row.action, available: Self.gt - 1, globalThreshold: Self.gt, growthThreshold: .gib(1),
                                current: Bytes(10_000_000_000 + row.change), last: 10_000_000_000)
        #expect(HoldEpisode.continues(decision, after: row.previous) == row.expected, "\(row.name)")
        let stop = row.previous?.stop
        #expect(HoldEpisode.endedOnBound(stop) == (stop == .timeLimit || stop == .stepLimit), "\(row.name)")
    }

    @Test("an episode remembers whether its last step asked for an amount")
    func byAmount() {
        var episode = HoldEpisode(globalThreshold: Self.gt, setting: Self.setting)
        #expect(!episode.byAmount)
        episode.record(HoldStepResult(asked: .mib(300), freed: .mib(300), availableBefore: Self.gt - 1, availableAfter: Self.gt + .mib(1),
                                      milliseconds: 50, ranOut: false))
        #expect(episode.byAmount)
        episode.record(HoldStepResult(asked: nil, freed: .mib(300), availableBefore: Self.gt, availableAfter: Self.gt + .mib(300),
                                      milliseconds: 50, ranOut: true))
        #expect(!episode.byAmount, "force_empty to the end took all it could")
    }

    struct RememberedRow: NamedRow {
        var name: String
        var previous: HoldMemory?
        var held: HoldMemory?
        var action: Decision.Action = .nothing
        /// available at the check, relative to the line (global thresh + 256 MiB); nil: no decision
        var belowLine: Int64?
        var expected: HoldMemory?
    }

    @Test("what watch remembers of the last episode after each check", arguments: [
        RememberedRow(name: "an episode held now replaces the last one", previous: memory(.timeLimit), held: memory(.recovered),
                      action: .reclaim, belowLine: 300 << 20, expected: memory(.recovered)),
        RememberedRow(name: "an episode cut by its bound is remembered", previous: nil, held: memory(.timeLimit), action: .reclaim,
                      belowLine: 300 << 20, expected: memory(.timeLimit)),
        RememberedRow(name: "nothing to do just above global thresh, below the line: kept (the v2 lab's 4.5 s)",
                      previous: memory(.timeLimit), held: nil, belowLine: 100 << 20, expected: memory(.timeLimit)),
        RememberedRow(name: "a skip keeps it", previous: memory(.stepLimit), held: nil, action: .skipGrowthBelowThreshold,
                      belowLine: 500 << 20, expected: memory(.stepLimit)),
        RememberedRow(name: "back at the line by itself: forgotten, the growth rule decides", previous: memory(.timeLimit), held: nil,
                      belowLine: 0, expected: nil),
        RememberedRow(name: "a reclaim without an episode (it failed): forgotten", previous: memory(.timeLimit), held: nil, action: .reclaim,
                      belowLine: 300 << 20, expected: nil),
        RememberedRow(name: "a check that decided nothing (it failed before): forgotten", previous: memory(.timeLimit), held: nil,
                      belowLine: nil, expected: nil),
        RememberedRow(name: "recovered taking all: forgotten above the line as any", previous: memory(.recovered), held: nil,
                      belowLine: -(1 << 30), expected: nil),
        RememberedRow(name: "recovered by amount: kept above the line (it ended there)", previous: memory(.recovered, byAmount: true), held: nil,
                      belowLine: -(1 << 30), expected: memory(.recovered, byAmount: true)),
        RememberedRow(name: "recovered by amount: kept by a skip", previous: memory(.recovered, byAmount: true), held: nil,
                      action: .skipGrowthBelowThreshold, belowLine: 500 << 20, expected: memory(.recovered, byAmount: true)),
        RememberedRow(name: "recovered by amount: forgotten once the target shrank by itself (mem usage decline)",
                      previous: memory(.recovered, byAmount: true), held: nil, action: .lowerLast, belowLine: -(1 << 30), expected: nil),
        RememberedRow(name: "recovered by amount: forgotten by a failed reclaim", previous: memory(.recovered, byAmount: true), held: nil,
                      action: .reclaim, belowLine: 300 << 20, expected: nil),
        RememberedRow(name: "recovered by amount: forgotten by a failed check", previous: memory(.recovered, byAmount: true), held: nil,
                      belowLine: nil, expected: nil),
    ])
    func remembered(row: RememberedRow) {
        let line = Self.gt + .mib(256)
        let decision = row.belowLine.map {
            Decision(action: row.action, available: line - Bytes($0), globalThreshold: Self.gt,
                     growthThreshold: .gib(1), current: 10_000_000_100, last: 10_000_000_000)
        }
        #expect(HoldEpisode.remembered(previous: row.previous, held: row.held, decision: decision, hysteresis: .mib(256)) == row.expected,
                "\(row.name)")
    }

    struct AheadRow: NamedRow {
        var name: String
        var action: Decision.Action
        var available: Int64
        var change: Int64
        var fall: Int64
        var ahead: Bool
    }

    @Test("reclaim ahead: still above global thresh, below it within a step, and grown by growth_threshold", arguments: [
        AheadRow(name: "falls below within a step, grew enough: ahead", action: .nothing, available: gt.value + 100, change: 1 << 30,
                 fall: 101, ahead: true),
        AheadRow(name: "lands exactly on global thresh: not below, not ahead", action: .nothing, available: gt.value + 100,
                 change: 1 << 30, fall: 100, ahead: false),
        AheadRow(name: "grew less than growth_threshold: the original rule says no", action: .nothing, available: gt.value + 100,
                 change: (1 << 30) - 1, fall: 1 << 30, ahead: false),
        AheadRow(name: "target shrank (lower last): no", action: .lowerLast, available: gt.value + 100, change: -5, fall: 1 << 30,
                 ahead: false),
        AheadRow(name: "already short: the check's own reclaim, not ahead", action: .reclaim, available: gt.value - 1,
                 change: 1 << 30, fall: 1 << 30, ahead: false),
        AheadRow(name: "far above: no", action: .nothing, available: gt.value + (8 << 30), change: 1 << 30, fall: 1 << 30,
                 ahead: false),
    ])
    func ahead(row: AheadRow) {
        let decision = Decision(action: row.action, available: Bytes(row.available), globalThreshold: Self.gt,
                                growthThreshold: .gib(1), current: Bytes(10_000_000_000 + row.change), last: 10_000_000_000)
        #expect(HoldEpisode.reclaimsAhead(decision, fallDuringStep: Bytes(row.fall)) == row.ahead)
    }
}
