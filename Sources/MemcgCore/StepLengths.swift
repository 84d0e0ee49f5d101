/// How long `watch`'s recent reclaims took, for the lead it plans with:
/// the near poll wakes that much before the line, and a wake-up reclaims
/// ahead when the measured fall reaches global thresh within it.
///
/// The lead is the median of the last `kept` lengths (of an even count,
/// the shorter middle one), not the last length: a step's length follows
/// what it asked for, and an ahead step asks for the fall during the lead.
/// After one slow step (a 6–9 s force_empty while the dying cgroups are
/// many) the last length made the next ahead step ask for the fall during
/// 5 s, 3.9–6.0 GB at 0.7–1.6 GB/s, about the whole target; with the v1
/// lever that step then clamped the writers for 40.5–45 s (9 of 40 lever
/// cells of the v1 lab, docs/efficacy.md). The median moves once steps are
/// slow more often than not, and one outlier never sets it.
public struct StepLengths: Equatable, Sendable {
    /// Lengths kept: enough that one slow step is outvoted, few enough that
    /// the lead follows a node whose steps have become slower.
    public static let kept = 5

    /// The kept lengths, oldest first.
    public private(set) var recent: [Int64] = []

    public init() {}

    /// A reclaim that took `milliseconds`; the oldest length beyond `kept`
    /// is forgotten.
    public mutating func record(_ milliseconds: Int64) {
        recent.append(milliseconds)
        if recent.count > Self.kept { recent.removeFirst(recent.count - Self.kept) }
    }

    /// The lead to plan with: the median of the kept lengths within
    /// `HoldEpisode.lead(afterStepOf:)`'s bounds; its minimum before any.
    public var lead: Int64 {
        let sorted = recent.sorted()
        guard !sorted.isEmpty else { return HoldEpisode.minimumStepMilliseconds }
        return HoldEpisode.lead(afterStepOf: sorted[(sorted.count - 1) / 2])
    }
}
