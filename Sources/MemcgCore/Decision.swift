/// What one run should do, and the numbers that made it so.
public struct Decision: Equatable, Sendable {
    public enum Action: Equatable, Sendable {
        /// Memory is short and the target grew enough: write force_empty.
        case reclaim
        /// Memory is short but the target grew less than `growth_threshold`
        /// since the last reclaim: the original script's "change is too small".
        case skipGrowthBelowThreshold
        /// Memory is fine and the target shrank: remember the lower value
        /// (the original script's "mem usage decline").
        case lowerLast
        /// Memory is fine and the target did not shrink: nothing to do.
        case nothing
    }

    public var action: Action
    public var available: Bytes
    public var globalThreshold: Bytes
    public var growthThreshold: Bytes
    /// Target `total_rss + total_cache` now.
    public var current: Bytes
    /// The value remembered from earlier runs (0 when there is none).
    public var last: Bytes
    /// What a reclaim by amount can take from the target now
    /// (`ReclaimableMemory`), read only when a reclaim is planned; nil on
    /// v1, whose force_empty takes what it can, and before it is read.
    /// It bounds the request, not the original's growth rule.
    public var reclaimable: Bytes? = nil

    /// The original script's CHANGE: signed, negative when the target shrank.
    public var change: Bytes { current - last }
    public var needsReclaim: Bool { available < globalThreshold }

    /// One sentence for `status` and dry-run output.
    public var reason: String {
        switch action {
        case .reclaim:
            return "available \(available) < global threshold \(globalThreshold) and the target grew by \(change) >= growth threshold \(growthThreshold) since last \(last): reclaim"
        case .skipGrowthBelowThreshold:
            return "available \(available) < global threshold \(globalThreshold) but the target grew by only \(change) < growth threshold \(growthThreshold) since last \(last): skip"
        case .lowerLast:
            return "available \(available) >= global threshold \(globalThreshold) and the target shrank from last \(last) to \(current): record \(current) as last"
        case .nothing:
            return "available \(available) >= global threshold \(globalThreshold) and the target (\(current)) is not below last \(last): nothing to do"
        }
    }
}

/// The original script's decision, pure: same inputs, same answer, no clock, no I/O.
///
/// - Memory short (`available < threshold + watermark`): reclaim unless the
///   target grew by less than `growth_threshold` since `last`.
/// - Memory fine: lower `last` when the target shrank.
public func decide(node: NodeObservation, current: Bytes, last: Bytes, policy: Policy) -> Decision {
    let threshold = policy.globalThreshold(watermark: node.watermark)
    var decision = Decision(
        action: .nothing, available: node.available, globalThreshold: threshold,
        growthThreshold: policy.growthThreshold, current: current, last: last)
    if decision.needsReclaim {
        decision.action = decision.change < policy.growthThreshold ? .skipGrowthBelowThreshold : .reclaim
    } else if current < last {
        decision.action = .lowerLast
    }
    return decision
}
