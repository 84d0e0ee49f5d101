/// What a command line asks of the settings: which configuration file, and
/// which keys to override. Each command builds its `Config` from this.
public struct SettingsRequest: Equatable, Sendable {
    public struct Override: Equatable, Sendable {
        public var key: ConfigKey
        public var value: String

        public init(key: ConfigKey, value: String) {
            self.key = key
            self.value = value
        }

        /// The option as the user spelled it, for error messages.
        public var option: String { "--" + key.optionName }
    }

    /// nil: the default file, which may be missing.
    public var configPath: String?
    /// At most one per key, in `ConfigKey.allCases` order (so the first bad
    /// value reported does not depend on how the options were ordered).
    public var overrides: [Override]

    public init(configPath: String? = nil, overrides: [Override] = []) {
        self.configPath = configPath
        self.overrides = overrides
    }

    /// Builds the overrides in `ConfigKey.allCases` order from whichever
    /// keys have a value.
    public init(configPath: String?, values: [ConfigKey: String]) {
        self.configPath = configPath
        self.overrides = ConfigKey.allCases.compactMap { key in
            values[key].map { Override(key: key, value: $0) }
        }
    }
}

extension ConfigKey {
    /// The command-line option's name: the key with dashes
    /// (`available_threshold` → `available-threshold`).
    public var optionName: String {
        String(decoding: name.utf8.map { $0 == UInt8(ascii: "_") ? UInt8(ascii: "-") : $0 }, as: UTF8.self)
    }
}
