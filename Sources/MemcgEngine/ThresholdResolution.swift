import MemcgCore
import MemcgKernel

/// Turns `available_threshold` as written into bytes on this node, once per
/// load of the settings (a run, a watch start or reload): a share of
/// MemTotal, or kubelet's hard threshold from its file plus a size. A plain
/// size needs nothing and reads nothing, as before the key took other forms.
enum ThresholdResolution {
    static func resolve(_ config: inout Config) throws(Failure) {
        let setting = config.availableThresholdSetting
        if case .size = setting { return }
        let memTotal: Bytes
        do {
            memTotal = try ThresholdInputs.memTotal(procRoot: config.procRoot)
        } catch {
            throw Failure(status: .kernelError, message: "available_threshold = \(setting) needs MemTotal: \(error)")
        }
        var kubeletHard = Bytes.zero
        if setting.needsKubelet {
            switch ThresholdInputs.kubeletEviction(path: config.kubeletConfig) {
            case .success(let eviction):
                kubeletHard = eviction.hard?.bytes(memTotal: memTotal) ?? .zero
            case .failure(let problem):
                throw Failure(status: .configError, message: "available_threshold = \(setting) needs kubelet's configuration, and \(problem) (set kubelet_config to the file kubelet's --config names, or write available_threshold as a size)")
            }
        }
        config.availableThreshold = setting.resolve(memTotal: memTotal, kubeletHard: kubeletHard)
    }
}
