import MemcgCore
import MemcgKernel

/// kubelet's own eviction threshold beside mon_memcg's, for `status`: the
/// number kubelet evicts at, where it came from, and the headroom between
/// mon_memcg's global thresh and it (how far available memory can fall
/// after mon_memcg's line before kubelet acts). Read from `kubelet_config`
/// every time `status` runs; a file that cannot be read is said, not guessed.
struct StatusKubelet {
    var eviction: Result<KubeletEviction, KubeletFileProblem>

    static func read(_ config: Config) -> StatusKubelet {
        StatusKubelet(eviction: ThresholdInputs.kubeletEviction(path: config.kubeletConfig))
    }

    /// kubelet's hard threshold in bytes on this node (0 where kubelet
    /// evicts on no memory threshold); nil when the file was not read.
    func hard(memTotal: Bytes) -> Bytes? {
        guard case .success(let e) = eviction else { return nil }
        return e.hard?.bytes(memTotal: memTotal) ?? .zero
    }

    func note(_ config: Config) -> String {
        switch eviction {
        case .success(let e): "\(e.hard.map { "\($0)" } ?? "none"): \(e.hardSource), \(config.kubeletConfig)"
        case .failure(let problem): "not read: \(problem)"
        }
    }

    var source: String? {
        if case .success(let e) = eviction { return e.hardSource }
        return nil
    }

    var problem: String? {
        if case .failure(let p) = eviction { return p.description }
        return nil
    }
}

extension StatusReport {
    /// How `available_threshold` was written, when it is not a plain size.
    var thresholdNote: String {
        switch config.availableThresholdSetting {
        case .size: ""
        case .percentOfMemTotal: "\(config.availableThresholdSetting) of MemTotal"
        case .kubeletPlus: "\(config.availableThresholdSetting): kubelet's hard threshold plus a size"
        }
    }

    var kubeletHard: Bytes? { kubelet.hard(memTotal: node.memTotal) }

    /// global thresh - kubelet's threshold.
    var headroom: Bytes? { kubeletHard.map { globalThreshold - $0 } }
}
