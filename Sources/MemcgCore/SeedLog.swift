/// The log lines of the original shell script, word for word (its
/// misspelling `avalible_mem` and the space before `)` included), so that the
/// greps and dashboards built on them keep matching. New lines are added
/// beside them, never in their place.
public enum SeedLog {
    /// The path as the seed printed it: `$ROOT/` + `/user.slice`, hence `//`.
    public static func targetPath(cgroupRoot: String, target: String) -> String {
        "\(cgroupRoot)//\(target)"
    }

    public static func needReclaim(available: Bytes, globalThreshold: Bytes, targetPath: String) -> String {
        "avalible_mem \(available) is less global thresh \(globalThreshold), need reclaim \(targetPath) !!"
    }

    public static let beforeReclaim = "Before reclaim:"

    public static func usage(current: Bytes, last: Bytes, change: Bytes) -> String {
        "mem usage: CURRENT \(current) LAST \(last) CHANGE \(change)"
    }

    public static func changeTooSmall(growthThreshold: Bytes) -> String {
        "change is too small (less than \(growthThreshold) ), so skip reclaim"
    }

    public static let afterReclaim = "After reclaim:"

    public static func usageAfter(_ current: Bytes) -> String {
        "mem usage total_rss+total_cache \(current)"
    }

    public static func decline(from last: Bytes, to current: Bytes) -> String {
        "mem usage decline, change last usage mem \(last) -> \(current)"
    }

    /// The lines a decision produces before any action, in the seed's order.
    public static func preamble(for decision: Decision, targetPath: String) -> [String] {
        switch decision.action {
        case .reclaim:
            return [
                needReclaim(available: decision.available, globalThreshold: decision.globalThreshold, targetPath: targetPath),
                beforeReclaim,
                usage(current: decision.current, last: decision.last, change: decision.change),
            ]
        case .skipGrowthBelowThreshold:
            return [
                needReclaim(available: decision.available, globalThreshold: decision.globalThreshold, targetPath: targetPath),
                beforeReclaim,
                usage(current: decision.current, last: decision.last, change: decision.change),
                changeTooSmall(growthThreshold: decision.growthThreshold),
            ]
        case .lowerLast, .nothing:
            return []
        }
    }
}
