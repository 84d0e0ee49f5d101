import MemcgCore

/// What `mon_memcg config` prints: every key with the value in force, in
/// the file's own syntax, so the output can be saved as a file.
public enum EffectiveConfig {
    public static func text(_ config: Config) -> String {
        ConfigKey.allCases.map(\.setting).map { setting in
            guard let value = setting.text(config) else {
                return "# \(setting.name) is unset: \(setting.unsetText(config) ?? "")\n"
            }
            return "\(setting.name) = \(value)\n"
        }.joined()
    }
}
