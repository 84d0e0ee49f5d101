/// The release, said once: `--version`, the metrics' build_info, and the
/// packages (a test keeps the RPM spec and the Debian changelog in step).
public enum MemcgVersion {
    public static let current = "0.1.0"
}

/// Why a check failed, as the metrics count it: one name per failing exit
/// status, so an alert can tell a broken node (kernel, target) from a busy
/// one (interrupted reclaims).
public enum FailureCause: String, CaseIterable, Sendable {
    case internalError = "internal"
    case config
    case kernel
    case targetMissing = "target_missing"
    case reclaimFailed = "reclaim_failed"
    case reclaimInterrupted = "reclaim_interrupted"
    case state
    case notRoot = "not_root"
}
