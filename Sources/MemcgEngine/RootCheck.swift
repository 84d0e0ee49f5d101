import MemcgCore
import MemcgKernel

/// Whether this user may run a check that writes. A check writes the
/// target's reclaim file and the state file, which on a node belong to
/// root: as anyone else it would fail half-way with EACCES, so the command
/// refuses up front instead. Another user passes only where it may write
/// every one of those files itself (a fixture tree it made, as the tests
/// do); on a node that is root alone.
public enum RootCheck {
    /// nil when the check may go on; otherwise the refusal to print.
    /// `controller`: the one the run found (once per run or `watch` start:
    /// the refusal never looks for it again). `writes`: what the command
    /// writes in the target, for the message, when it is not the reclaim
    /// file (`restore`: the lever's file).
    public static func refusal(_ config: Config, command: String, controller: DetectedController, writes: String? = nil) -> Failure? {
        guard !CurrentProcess.isRoot else { return nil }
        var files = [config.stateFile, config.lockFile]
        var reclaimFile = "the target's memory.force_empty or memory.reclaim"
        if let controller = try? controller.get(),
           let target = try? controller.resolveTarget(config.target) {
            files.append(controller.reclaimFile(targetPath: target))
            reclaimFile = controller.reclaimFile(targetPath: target)
        }
        guard files.contains(where: { !FileIO.mayWrite($0) }) else { return nil }
        return Failure(status: .notRoot, message: "mon_memcg \(command) must run as root (it writes \(writes ?? reclaimFile), and \(config.stateFile)); run it with sudo, or use 'mon_memcg status' or 'mon_memcg check --dry-run' as any user")
    }
}
