import MemcgCore
import MemcgKernel

/// How a command that writes (`check`, `watch`) starts: the settings read
/// once, the controller found once (the root check and the run share it,
/// so a start reads `/proc/self/mountinfo` once, as root or not), then the
/// root check unless the run writes nothing.
enum RunStart {
    case ready(Config, DetectedController)
    /// Reported already (stderr); the exit status.
    case refused(ExitStatus)

    static func begin(_ request: SettingsRequest, command: String, writes: Bool, console: any Console) -> RunStart {
        let config: Config
        do {
            config = try Settings.load(request)
        } catch {
            return .refused(error.report(to: console))
        }
        // A failure to find it is reported by the run (a check: after the lock).
        let controller = MemoryControllers.detected(config: config)
        if writes, let refusal = RootCheck.refusal(config, command: command, controller: controller) {
            return .refused(refusal.report(to: console))
        }
        return .ready(config, controller)
    }
}
