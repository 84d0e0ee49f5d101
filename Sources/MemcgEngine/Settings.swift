import MemcgCore
import MemcgKernel

/// Builds the effective configuration: defaults, then the file, then the
/// command line.
public enum Settings {
    public static func load(_ request: SettingsRequest) throws(Failure) -> Config {
        var config = try unresolved(request)
        try ThresholdResolution.resolve(&config)
        return config
    }

    /// The file and the options, `available_threshold` as written, not
    /// turned into bytes on this node (which may read MemTotal and
    /// kubelet's file): for `restore`, which uses only the paths.
    public static func unresolved(_ request: SettingsRequest) throws(Failure) -> Config {
        var config = Config()
        let path = request.configPath ?? Config.defaultPath
        let text: String?
        do {
            text = try ConfigFileReader.read(path, required: request.configPath != nil)
        } catch {
            throw Failure(status: .configError, message: error.description)
        }
        if let text {
            do {
                try ConfigFile.parse(text, into: &config)
            } catch {
                throw Failure(status: .configError, message: "\(path): \(error)")
            }
        }
        return try applying(request.overrides, to: config)
    }

    /// The defaults with the command line's options and no file at all,
    /// unresolved: `restore`'s way on when the file cannot be read
    /// (RestoreRun).
    public static func withoutFile(_ request: SettingsRequest) throws(Failure) -> Config {
        try applying(request.overrides, to: Config())
    }

    private static func applying(_ overrides: [SettingsRequest.Override], to start: Config) throws(Failure) -> Config {
        var config = start
        for override in overrides {
            do {
                try config.set(override.key, to: override.value)
            } catch {
                throw Failure(status: .configError, message: "\(override.option): \(error.reason)")
            }
        }
        return config
    }
}
