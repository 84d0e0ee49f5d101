import MemcgCore
import MemcgKernel

/// Builds the effective configuration: defaults, then the file, then the
/// command line.
public enum Settings {
    public static func load(_ request: SettingsRequest) throws(Failure) -> Config {
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
        for override in request.overrides {
            do {
                try config.set(override.key, to: override.value)
            } catch {
                throw Failure(status: .configError, message: "\(override.option): \(error.reason)")
            }
        }
        try ThresholdResolution.resolve(&config)
        return config
    }
}
