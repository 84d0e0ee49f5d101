/// What one reclaim asks of the kernel, and how the log and `status` say
/// it. Each memory controller has its own plan type (`ForceEmptyPlan` for
/// v1, `ReclaimAmountPlan` for v2), sized here from a decision and
/// `reclaim_amount`; the check runs and words whichever it gets the same way.
public protocol ReclaimPlan: Sendable {
    /// The plan for this decision, sized by `reclaim_amount` (`auto` keeps
    /// each hierarchy's behaviour from before the key existed).
    init(for decision: Decision, amount: ReclaimAmountSetting)
    /// The amount asked for, when the plan asks for one (nil: everything).
    var asked: Bytes? { get }
    /// `dry-run: would have …`, for the reclaim file `file`.
    func dryRunLine(file: String, decision: Decision) -> String
    /// Said before the first write; nil when there is nothing to announce.
    func requestLine(file: String, decision: Decision) -> String?
    /// `status`'s line under the decision: what a check would write now.
    func statusLine(file: String, current: Bytes?, mode: ReclaimAmountMode) -> String
    /// The lines that close a reclaim, after `After reclaim:` and the usage
    /// after it; `self` is the plan as it ended.
    func endLines(_ end: ReclaimEnd, file: String) -> [String]
    /// True when the reclaim ended because the kernel could take no more
    /// from the target now, as opposed to the amount being reached or the
    /// time running out while it was still reclaiming. A held episode
    /// stops on it; a step whose usage rose while the kernel kept
    /// reclaiming was outgrown by writers, not empty (`HoldEpisode`).
    func ranOut(_ stop: ReclaimStop) -> Bool
}

/// How a reclaim ended, for the lines that close it.
public struct ReclaimEnd: Equatable, Sendable {
    public var milliseconds: Int64
    /// The drop of the target's usage over the whole reclaim.
    public var freed: Bytes
    /// The line said when the deadline or a stop signal ended the write;
    /// nil when it was not interrupted.
    public var interruption: String?
    public var stop: ReclaimStop

    public init(milliseconds: Int64, freed: Bytes, interruption: String?, stop: ReclaimStop) {
        (self.milliseconds, self.freed, self.interruption, self.stop) = (milliseconds, freed, interruption, stop)
    }
}

/// `reclaim_amount`: how much one reclaim takes from the target.
public enum ReclaimAmountMode: String, CaseIterable, Sendable {
    /// `all` on cgroup v1 (force_empty to the end: the original script),
    /// the shortfall plus growth_threshold on v2 (memory.reclaim).
    case auto
    /// Everything the target holds.
    case all
    /// The shortfall below global thresh plus `reclaim_margin`, then stop.
    case deficit
}

/// What a controller needs from the configuration to size a reclaim.
public struct ReclaimAmountSetting: Equatable, Sendable {
    public var mode: ReclaimAmountMode
    public var margin: Bytes
    /// Set for a step of a held episode (`HoldEpisode`): what a reclaim by
    /// amount asks for beyond the shortfall, in place of growth_threshold
    /// (`auto`) and at least reclaim_margin (`deficit`). `all` and v1's
    /// force_empty to the end do not use it. nil for every check's reclaim.
    public var heldMargin: Bytes?

    public init(mode: ReclaimAmountMode = .auto, margin: Bytes = .mib(256), heldMargin: Bytes? = nil) {
        self.mode = mode
        self.margin = margin
        self.heldMargin = heldMargin
    }

    /// deficit's margin: reclaim_margin, or a held step's margin when larger.
    public var deficitMargin: Bytes { heldMargin.map { max($0, margin) } ?? margin }

    /// How deficit's request is sized: by a held step's margin when that is
    /// the larger one, else by reclaim_margin.
    public var deficitBasis: RequestBasis {
        if let held = heldMargin, held > margin { return .held(held) }
        return .margin(margin)
    }
}

/// How a request by amount was sized, so the log and `status` can say why.
public enum RequestBasis: Equatable, Sendable {
    /// global thresh + growth_threshold - available (v2's `auto`).
    case growthThreshold
    /// global thresh + reclaim_margin - available (`deficit`).
    case margin(Bytes)
    /// Everything the target holds (v2's `all`).
    case everything
    /// global thresh + a held step's margin - available (`HoldEpisode`).
    case held(Bytes)
}

/// A v1 force_empty stopped by amount: what to free, and why that much.
public struct ReclaimDeficit: Equatable, Sendable {
    /// The drop of the target's usage at which the write is interrupted.
    public let request: Bytes
    public let margin: Bytes
    /// The margin is a held step's (`ReclaimAmountSetting.heldMargin`), not reclaim_margin.
    public var held = false

    public init(request: Bytes, margin: Bytes, held: Bool = false) {
        self.request = request.clampedAtZero
        self.margin = margin
        self.held = held
    }

    /// global thresh + margin - available, at most the target's usage.
    public init(for decision: Decision, margin: Bytes, held: Bool = false) {
        self.init(request: ReclaimAmountPlan.request(for: decision, margin: margin), margin: margin, held: held)
    }

    /// How the request was sized, for the log.
    public var basis: RequestBasis { held ? .held(margin) : .margin(margin) }
}

/// Why a reclaim ended, for the line that closes a reclaim by amount.
public enum ReclaimStop: Equatable, Sendable {
    /// The target's usage fell by the amount asked; the write was interrupted on purpose.
    case amountReached
    /// reclaim_timeout passed first.
    case deadline
    /// A stop signal (`watch` stopping), by name.
    case signal(String)
    /// The kernel returned by itself: it did all it would.
    case finished

    public var text: String {
        switch self {
        case .amountReached: "amount reached"
        case .deadline: "deadline"
        case .signal(let name): "signal \(name)"
        case .finished: "finished"
        }
    }
}
