import MemcgCore
import MemcgKernel

/// How a command that writes (`check`, `watch`, `restore`) starts: the
/// settings read once, the controller found once (the root check and the
/// run share it, so a start reads `/proc/self/mountinfo` once, as root or
/// not), then the root check unless the run writes nothing.
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
        return begin(config, command: command, writes: writes, console: console)
    }

    /// With the settings loaded by the command (`restore` loads them its
    /// own way: RestoreRun.settings). `writesInTarget`: RootCheck's words
    /// for what it writes there, when not the reclaim file.
    static func begin(_ config: Config, command: String, writes: Bool, writesInTarget: String? = nil,
                      console: any Console) -> RunStart {
        // A failure to find it is reported by the run (a check: after the lock).
        let controller = MemoryControllers.detected(config: config)
        if writes, let refusal = RootCheck.refusal(config, command: command, controller: controller, writes: writesInTarget) {
            return .refused(refusal.report(to: console))
        }
        return .ready(config, controller)
    }
}
