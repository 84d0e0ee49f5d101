import MemcgCore
import MemcgKernel

/// What `mon_memcg config` checks beyond the file's syntax, in the order a
/// check meets it on this node: the memory controller, kubelet's signal,
/// the target, the reclaim file, kubelet's configuration. Each check that
/// passes is said; the first that fails is the failure (and exit status) a
/// check would end with.
public enum ConfigCheck {
    public static func node(_ config: Config) throws(Failure) -> [String] {
        var said: [String] = []
        func kernel<T>(_ body: () throws(KernelError) -> T) throws(Failure) -> T {
            do {
                return try body()
            } catch {
                throw Failure(status: error.exitStatus, message: error.description)
            }
        }
        let controller = try kernel { () throws(KernelError) in try MemoryControllers.detect(config: config) }
        let how = config.cgroupRootIsSet ? "cgroup_root" : "found in \(config.procRoot)/\(KernelFile.mountinfo)"
        said.append("cgroup \(controller.hierarchy.rawValue) memory controller at \(controller.cgroupRoot) (\(how))")
        let node = try kernel { () throws(KernelError) in try controller.observeNode() }
        said.append("kubelet's memory.available reads \(node.available) (MemTotal \(node.memTotal), working set \(node.workingSet))")
        let target = try kernel { () throws(KernelError) in try controller.resolveTarget(config.target) }
        _ = try kernel { () throws(KernelError) in try controller.targetUsage(at: target) }
        said.append("target \(target) exists below cgroup_root and its usage reads")
        do {
            try controller.checkCanReclaim(targetPath: target)
        } catch {
            throw Failure(status: .reclaimFailed, message: error.description)
        }
        said.append("reclaim file \(controller.reclaimFile(targetPath: target)) exists")
        switch ThresholdInputs.kubeletEviction(path: config.kubeletConfig) {
        case .success(let eviction):
            let hard = eviction.hard.map { "\($0) (\($0.bytes(memTotal: node.memTotal)) bytes here)" } ?? "none"
            said.append("kubelet_config \(config.kubeletConfig): evictionHard memory.available \(hard), \(eviction.hardSource)")
        case .failure(let problem):
            // Needed, it failed already when the settings were loaded.
            said.append("kubelet_config not read (\(problem)); not needed: available_threshold does not name kubelet")
        }
        if case .size = config.availableThresholdSetting {} else {
            said.append("available_threshold \(config.availableThresholdSetting) is \(config.availableThreshold) bytes on this node")
        }
        return said
    }
}
