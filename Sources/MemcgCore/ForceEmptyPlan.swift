/// cgroup v1's reclaim: `echo 1 > memory.force_empty`, one write.
public enum ForceEmptyPlan: ReclaimPlan, Equatable {
    /// Everything the target holds (the original script's reclaim).
    case emptyTarget
    /// `reclaim_amount = deficit`: the same write, interrupted once the
    /// target's usage has fallen to its working set before the write
    /// (usage - total_inactive_file, what kubelet counts) minus the
    /// deficit: the inactive file pages it frees first lift nothing.
    case emptyUntilFreed(ReclaimDeficit)

    /// force_empty takes everything: the original script's reclaim, also
    /// under `auto`. `deficit` interrupts it once the target has given the
    /// shortfall plus the margin.
    public init(for decision: Decision, amount: ReclaimAmountSetting) {
        switch amount.mode {
        case .auto, .all: self = .emptyTarget
        case .deficit:
            self = .emptyUntilFreed(ReclaimDeficit(for: decision, margin: amount.deficitMargin, held: amount.deficitBasis != .margin(amount.margin)))
        }
    }

    /// force_empty returns by itself only when the target is empty or its
    /// loop gave up after five passes that freed nothing; under writers it
    /// runs until it is interrupted (the amount, the deadline, a signal).
    public func ranOut(_ stop: ReclaimStop) -> Bool { stop == .finished }

    public var asked: Bytes? {
        switch self {
        case .emptyTarget: nil
        case .emptyUntilFreed(let deficit): deficit.request
        }
    }

    public func dryRunLine(file: String, decision: Decision) -> String {
        switch self {
        case .emptyTarget:
            LogLines.dryRun("would have written 1 to \(file), then stored the usage after it as last")
        case .emptyUntilFreed(let deficit):
            LogLines.dryRun("would have written 1 to \(file) and interrupted it once the target's usage had fallen to its working set minus \(deficit.request) bytes (\(LogLines.requestReason(decision, basis: deficit.basis))), then stored the usage after it as last")
        }
    }

    /// Nothing for the whole target: its one write has nothing to announce.
    public func requestLine(file: String, decision: Decision) -> String? {
        guard case .emptyUntilFreed(let deficit) = self else { return nil }
        return "\(LogLines.fileName(file)): requesting \(deficit.request) bytes (\(LogLines.requestReason(decision, basis: deficit.basis))); the write is interrupted once the target's usage has fallen to its working set (usage - total_inactive_file) minus that"
    }

    public func statusLine(file: String, current: Bytes?, mode: ReclaimAmountMode) -> String {
        switch self {
        case .emptyTarget:
            "a check would write 1 to \(file): all the target holds, \(current.map { "\($0)" } ?? "unknown") (reclaim_amount \(mode.rawValue))"
        case .emptyUntilFreed(let deficit):
            "a check would write 1 to \(file) and stop it once the target's usage had fallen to its working set minus \(deficit.request) (\(deficit.request.humanReadable); reclaim_amount deficit, reclaim_margin \(deficit.margin))"
        }
    }

    /// Under `deficit`: what was asked, what the target's usage fell by,
    /// and why the write ended.
    public func endLines(_ end: ReclaimEnd, file: String) -> [String] {
        switch self {
        case .emptyTarget:
            [end.interruption ?? LogLines.reclaimTook(end.milliseconds, freed: end.freed)]
        case .emptyUntilFreed(let deficit):
            (end.interruption.map { [$0] } ?? [])
                + [LogLines.reclaimByAmountEnded(asked: deficit.request, freed: end.freed, milliseconds: end.milliseconds, stop: end.stop)]
        }
    }
}
