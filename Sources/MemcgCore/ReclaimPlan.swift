/// What one reclaim asks of the kernel. The host's memory controller picks
/// the plan for a decision and `reclaim_amount`; the check runs whichever it
/// gets the same way.
public enum ReclaimPlan: Equatable, Sendable {
    /// cgroup v1: `echo 1 > memory.force_empty`, everything the target
    /// holds, in one write (the original script's reclaim).
    case emptyTarget
    /// cgroup v1, `reclaim_amount = deficit`: the same write, interrupted
    /// once the target's usage has fallen to its working set before the
    /// write (usage - total_inactive_file, what kubelet counts) minus the
    /// deficit: the inactive file pages it frees first lift nothing.
    case emptyUntilFreed(ReclaimDeficit)
    /// cgroup v2: `memory.reclaim` asked for an amount, in bounded writes.
    case amount(ReclaimAmountPlan)

    /// The amount asked for, when the plan asks for one.
    public var request: Bytes? {
        switch self {
        case .emptyTarget: nil
        case .emptyUntilFreed(let deficit): deficit.request
        case .amount(let plan): plan.request
        }
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

    public init(mode: ReclaimAmountMode = .auto, margin: Bytes = .mib(256)) {
        self.mode = mode
        self.margin = margin
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
}

/// A v1 force_empty stopped by amount: what to free, and why that much.
public struct ReclaimDeficit: Equatable, Sendable {
    /// The drop of the target's usage at which the write is interrupted.
    public let request: Bytes
    public let margin: Bytes

    public init(request: Bytes, margin: Bytes) {
        self.request = request.clampedAtZero
        self.margin = margin
    }

    /// global thresh + margin - available, at most the target's usage.
    public init(for decision: Decision, margin: Bytes) {
        self.init(request: ReclaimAmountPlan.request(for: decision, margin: margin), margin: margin)
    }
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
