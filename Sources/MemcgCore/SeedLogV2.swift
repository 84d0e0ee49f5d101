/// Log lines for cgroup v2 where the seed's wording would name a v1 file.
/// Every other line (need reclaim, Before/After reclaim, CURRENT/LAST/CHANGE,
/// change is too small, decline) is the seed's, unchanged.
public enum SeedLogV2 {
    /// v2's counterpart of `mem usage total_rss+total_cache N`.
    public static func usageAfter(_ current: Bytes) -> String {
        "mem usage memory.current \(current)"
    }

    /// Why the request is what it is, for the request and dry-run lines.
    public static func requestReason(_ decision: Decision) -> String {
        "global thresh \(decision.globalThreshold) + growth threshold \(decision.growthThreshold) - available \(decision.available), at most current \(decision.current)"
    }

    public static func request(_ plan: ReclaimPlanV2, decision: Decision) -> String {
        "memory.reclaim: requesting \(plan.request) bytes (\(requestReason(decision))) in steps of at most \(plan.stepSize) bytes"
    }
}
