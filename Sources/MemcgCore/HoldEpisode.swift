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

/// What `watch` remembers of its last held episode between checks
/// (`HoldEpisode.remembered`), for `HoldEpisode.continues`.
public struct HoldMemory: Equatable, Sendable {
    public var stop: HoldStop
    /// Its last step asked for an amount (cgroup v2's memory.reclaim,
    /// v1's reclaim_amount = deficit) instead of all the target holds: an
    /// episode that recovered so left the target its page cache on purpose.
    public var byAmount: Bool

    public init(stop: HoldStop, byAmount: Bool) {
        (self.stop, self.byAmount) = (stop, byAmount)
    }

    /// It recovered by amount: what the target charges from there is a
    /// refill of what the episode chose to leave (`HoldEpisode.continues`).
    public var leftTargetOnPurpose: Bool { stop == .recovered && byAmount }
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
    /// The last recorded step asked for an amount (`HoldMemory.byAmount`).
    public private(set) var byAmount = false

    public init(globalThreshold: Bytes, setting: HoldSetting) {
        self.globalThreshold = globalThreshold
        self.setting = setting
    }

    /// Where the episode ends: global thresh + hold_hysteresis.
    public var line: Bytes { globalThreshold + setting.hysteresis }

    /// Records a step's outcome (the check's own reclaim is the first).
    public mutating func record(_ step: HoldStepResult) {
        steps += 1
        byAmount = step.asked != nil
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
    /// and this process's last episode left the target giving:
    ///
    /// - it was ended by its own bounds (time or steps) while the target
    ///   still gave: that episode goes on;
    /// - it recovered with steps by amount and the target has grown since
    ///   (a positive change): the growth is the refill of what the episode
    ///   left on purpose. The original's force_empty empties the target,
    ///   so its `last` is what the target cannot give and growth_threshold
    ///   of growth since is new memory to reclaim; a step by amount stops
    ///   hold_hysteresis above global thresh with the rest still there, so
    ///   the writers take the node short again long before the target grew
    ///   by growth_threshold, and the rule would leave it short until then
    ///   (the v1 lab, scenario 3 with memory_limit and reclaim_amount =
    ///   deficit: 14–22 skips a cell, kubelet's number below the eviction
    ///   threshold in 4 of 10 cells, docs/efficacy.md).
    ///
    /// After any other ending (nothing freed, no gain, or recovered by
    /// taking all it could) the growth rule decides, as in the original.
    public static func continues(_ decision: Decision, after previous: HoldMemory?) -> Bool {
        guard decision.action == .skipGrowthBelowThreshold, let previous else { return false }
        return endedOnBound(previous.stop) || (previous.leftTargetOnPurpose && decision.change > .zero)
    }

    /// What `watch` remembers of the last episode after a check (what
    /// `continues` reads at the next one). A check that held an episode
    /// replaces it; a reclaim without one (it failed) or a check that
    /// decided nothing (it failed before) forgets it.
    ///
    /// An episode cut by its bounds is forgotten by a check that found
    /// available at or above its line (global thresh + hold_hysteresis):
    /// the node recovered, and the growth rule decides again. A check
    /// that did nothing between global thresh and that line, or skipped,
    /// keeps it: such an episode often leaves available just above global
    /// thresh, the next wake-up finds nothing to do, and the one after
    /// that, back below with the writers still refilling, must still go on
    /// (the cgroup v2 lab, 2026-12-05: forgetting it there let kubelet's
    /// number sit below the eviction threshold for 4.5 s).
    ///
    /// An episode that recovered by amount ended above its line, so
    /// available says nothing of it: it is forgotten when the target
    /// shrank below last by itself (the original's "mem usage decline",
    /// which lowers last): the target is no longer refilling.
    public static func remembered(previous: HoldMemory?, held: HoldMemory?, decision: Decision?, hysteresis: Bytes) -> HoldMemory? {
        if let held { return held }
        guard let decision, decision.action != .reclaim, let previous else { return nil }
        if previous.leftTargetOnPurpose { return decision.action == .lowerLast ? nil : previous }
        return decision.available < decision.globalThreshold + hysteresis ? previous : nil
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
