/// `hold`: whether `watch` holds the line after a reclaim (see `HoldEpisode`).
public enum HoldMode: String, CaseIterable, Equatable, Sendable {
    /// Reclaim again, in steps, until available is back above global
    /// thresh plus hold_hysteresis.
    case on
    /// One reclaim per wake-up, as the check does.
    case off
}

/// What a held episode needs from the configuration.
public struct HoldSetting: Equatable, Sendable {
    public var mode: HoldMode
    /// Available must be back above global thresh by this much to end.
    public var hysteresis: Bytes
    /// The whole episode (its first reclaim included) ends within this:
    /// reclaim_timeout, so a held wake-up is bounded as one reclaim is.
    public var budgetMilliseconds: Int64
}

/// Why a held episode ended.
public enum HoldStop: Equatable, Sendable {
    /// Available is at or above global thresh + hold_hysteresis.
    case recovered
    /// The last step took all it could (everything the target holds, or
    /// force_empty to the end), the kernel returned by itself, and it
    /// lifted available by nothing: another one would not do better.
    case noGain(gained: Bytes)
    /// The target's usage did not fall over the last step and the kernel
    /// said it could take no more (`ReclaimPlan.ranOut`): it has nothing
    /// reclaimable left now. A step whose usage rose while the kernel kept
    /// reclaiming was outgrown by writers; the episode goes on.
    case nothingFreed(freed: Bytes)
    /// reclaim_timeout is used up (less than a step's minimum left).
    case timeLimit
    /// `HoldEpisode.maximumSteps` steps were taken.
    case stepLimit
}

/// What one step of a held episode did, as the engine measured it.
public struct HoldStepResult: Equatable, Sendable {
    /// The amount the step asked for; nil when it took all it could
    /// (v1's force_empty to the end, or v2 asked for all the target holds).
    public var asked: Bytes?
    /// The drop of the target's usage over the step.
    public var freed: Bytes
    /// kubelet's available memory before and after the step.
    public var availableBefore: Bytes
    public var availableAfter: Bytes
    public var milliseconds: Int64
    /// The kernel could take no more from the target (`ReclaimPlan.ranOut`):
    /// false for a step that was still reclaiming when the amount was
    /// reached or the time ran out.
    public var ranOut: Bool

    public init(asked: Bytes?, freed: Bytes, availableBefore: Bytes, availableAfter: Bytes, milliseconds: Int64, ranOut: Bool) {
        (self.asked, self.freed, self.availableBefore, self.availableAfter, self.milliseconds, self.ranOut)
            = (asked, freed, availableBefore, availableAfter, milliseconds, ranOut)
    }

    /// The rise of available over the step (negative when growth won).
    public var gained: Bytes { availableAfter - availableBefore }
}

/// A held episode, pure: after a reclaim that the original's rule decided,
/// `watch` keeps reclaiming in bounded steps while kubelet's available
/// memory stays below global thresh + hold_hysteresis, re-reading the node
/// after each step. Each step asks for the shortfall below that line plus
/// what the measured fall rate takes during one step (the last step's
/// duration) plus `extra`: what earlier steps asked and did not lift.
///
/// `extra` is there for cgroup v2: memory.reclaim frees inactive file
/// pages first, which kubelet never counted, so a step sized to the
/// shortfall can free its whole amount and raise available by nothing; the
/// next step then asks for that much more, so the steps grow until they
/// reach pages kubelet counts (docs/cgroup-v2.md). Progress is judged by
/// available, re-read, never by what the kernel says it freed.
///
/// Bounded: at most `maximumSteps` steps, all within reclaim_timeout of the
/// episode's start; it stops as soon as the kernel can take nothing more
/// from the target, or a step that took all it could lifted available by
/// nothing. A step the writers outgrew (the usage rose while the kernel
/// kept reclaiming) is not a reason to stop: the next one asks for more.
///
/// An episode cut short by its bounds (`timeLimit`, `stepLimit`) leaves the
/// node short with the target still giving: the next wake-up that finds
/// the node short goes on holding although the original's growth rule
/// would skip (`continues`). Without that, the usage the episode left is
/// `last`, the writers only refill what it took, the change stays below
/// growth_threshold, and kubelet's number sits below the line for as long
/// as they write (the cgroup v2 lab's scenario 3, docs/efficacy.md).
public struct HoldEpisode: Equatable, Sendable {
    /// Steps per episode, the check's own reclaim included: a bound on
    /// writes (and CPU) whatever the node does.
    public static let maximumSteps = 32
    /// The growth during a step is never estimated over less than this: a
    /// step that returned at once says nothing of the next one's length.
    public static let minimumStepMilliseconds: Int64 = 100
    /// The most a wake-up plans ahead for one step: a reclaim that ran out
    /// a long deadline (force_empty against busy writers, up to 45 s) would
    /// otherwise make every later wake-up reclaim ahead and every near poll
    /// the shortest; the steps a held episode takes are rarely that long.
    public static let maximumLeadMilliseconds: Int64 = 5_000
    /// The lead to plan with after a reclaim that took `milliseconds`.
    public static func lead(afterStepOf milliseconds: Int64) -> Int64 {
        min(maximumLeadMilliseconds, max(minimumStepMilliseconds, milliseconds))
    }
    /// A step is started only with at least this much of reclaim_timeout
    /// left; a shorter write would be interrupted before it freed much.
    public static let minimumBudgetMilliseconds: Int64 = 100

    public let globalThreshold: Bytes
    public let setting: HoldSetting
    public private(set) var steps = 0
    /// What earlier steps asked for and did not lift available by.
    public private(set) var extra: Bytes = .zero
    /// How long the last step took (at least `minimumStepMilliseconds`).
    public private(set) var stepMilliseconds = HoldEpisode.minimumStepMilliseconds
    public private(set) var stop: HoldStop?

    public init(globalThreshold: Bytes, setting: HoldSetting) {
        self.globalThreshold = globalThreshold
        self.setting = setting
    }

    /// Where the episode ends: global thresh + hold_hysteresis.
    public var line: Bytes { globalThreshold + setting.hysteresis }

    /// Records a step's outcome (the check's own reclaim is the first).
    public mutating func record(_ step: HoldStepResult) {
        steps += 1
        stepMilliseconds = max(Self.minimumStepMilliseconds, step.milliseconds)
        if step.freed <= .zero, step.ranOut {
            stop = .nothingFreed(freed: step.freed)
            return
        }
        guard let asked = step.asked else {
            if step.gained <= .zero, step.ranOut { stop = .noGain(gained: step.gained) }
            return
        }
        let lifted = step.gained.clampedAtZero
        if lifted < asked { extra = extra + (asked - lifted) }
    }

    /// What to do after the last recorded step, with available re-read
    /// now, `elapsedMilliseconds` since the episode began and the fall
    /// rate measured so far.
    public enum Next: Equatable, Sendable {
        /// Another step, asking for the shortfall below global thresh plus
        /// `margin` (hysteresis + growth during a step + extra).
        case step(margin: Bytes, growth: Bytes)
        case stop(HoldStop)
    }

    public mutating func next(available: Bytes, elapsedMilliseconds: Int64, fall: FallRate) -> Next {
        if available >= line { stop = .recovered }
        if stop == nil, steps >= Self.maximumSteps { stop = .stepLimit }
        if stop == nil, setting.budgetMilliseconds - elapsedMilliseconds < Self.minimumBudgetMilliseconds { stop = .timeLimit }
        if let stop { return .stop(stop) }
        let growth = fall.fall(inMilliseconds: stepMilliseconds)
        return .step(margin: setting.hysteresis + growth + extra, growth: growth)
    }

    /// True when the node is short, the original's growth rule would skip,
    /// and this process's last episode was ended by its own bounds (time
    /// or steps) while the target still gave: that episode goes on. After
    /// any other ending (recovered, nothing freed, no gain) the growth
    /// rule decides, as in the original.
    public static func continues(_ decision: Decision, after previous: HoldStop?) -> Bool {
        decision.action == .skipGrowthBelowThreshold && endedOnBound(previous)
    }

    /// What `watch` remembers of the last episode after a check (what
    /// `continues` reads at the next one). A check that held an episode
    /// replaces it. A check that found available at or above the episode's
    /// line (global thresh + hold_hysteresis) forgets it: the node
    /// recovered, and the growth rule decides again. A check that did
    /// nothing between global thresh and that line, or skipped, keeps it:
    /// an episode cut by its bounds often leaves available just above
    /// global thresh, the next wake-up finds nothing to do, and the one
    /// after that, back below with the writers still refilling, must still
    /// go on (the cgroup v2 lab, 2026-12-05: forgetting it there let kubelet's
    /// number sit below the eviction threshold for 4.5 s).
    public static func remembered(previous: HoldStop?, held: HoldStop?, decision: Decision?, hysteresis: Bytes) -> HoldStop? {
        if let held { return held }
        guard let decision, decision.action != .reclaim,
              decision.available < decision.globalThreshold + hysteresis else { return nil }
        return previous
    }

    /// The episode was ended by its own bounds (time or steps), not by the
    /// node or the target: `watch` checks again after the shortest poll.
    public static func endedOnBound(_ stop: HoldStop?) -> Bool {
        stop == .timeLimit || stop == .stepLimit
    }

    /// True when a wake-up that found available still above global thresh
    /// should reclaim ahead: at the measured fall rate it will be below
    /// within one step (`lead`), and the original's growth rule would let
    /// it reclaim then (the target grew by growth_threshold since last).
    public static func reclaimsAhead(_ decision: Decision, fallDuringStep: Bytes) -> Bool {
        decision.action == .nothing && decision.change >= decision.growthThreshold
            && decision.available - fallDuringStep < decision.globalThreshold
    }
}
