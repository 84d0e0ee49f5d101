import ArgumentParser
import MemcgCore

/// Options every subcommand takes. Each setting option overrides the key of
/// the same name in the configuration file.
struct SharedOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Configuration file.", valueName: "path"))
    var config: String?

    @Option(setting: .availableThreshold)
    var availableThreshold: SettingsRequest.Override?

    @Option(setting: .growthThreshold)
    var growthThreshold: SettingsRequest.Override?

    @Option(setting: .target)
    var target: SettingsRequest.Override?

    @Option(setting: .cgroupRoot)
    var cgroupRoot: SettingsRequest.Override?

    @Option(setting: .procRoot)
    var procRoot: SettingsRequest.Override?

    @Option(setting: .stateFile)
    var stateFile: SettingsRequest.Override?

    @Option(setting: .logFile)
    var logFile: SettingsRequest.Override?

    @Option(setting: .reclaimTimeout)
    var reclaimTimeout: SettingsRequest.Override?

    @Option(setting: .dyingReclaim, completion: .list(ConfigKey.dyingReclaim.setting.choices ?? []))
    var dyingReclaim: SettingsRequest.Override?

    @Option(setting: .dropCachesInterval)
    var dropCachesInterval: SettingsRequest.Override?

    @Option(setting: .sysRoot)
    var sysRoot: SettingsRequest.Override?

    @Option(setting: .pollInterval)
    var pollInterval: SettingsRequest.Override?

    @Option(setting: .metricsFile)
    var metricsFile: SettingsRequest.Override?

    @Option(setting: .reclaimAmount)
    var reclaimAmount: SettingsRequest.Override?

    @Option(setting: .reclaimMargin)
    var reclaimMargin: SettingsRequest.Override?

    @Option(setting: .kubeletConfig)
    var kubeletConfig: SettingsRequest.Override?

    @Option(setting: .hold, completion: .list(ConfigKey.hold.setting.choices ?? []))
    var hold: SettingsRequest.Override?

    @Option(setting: .holdHysteresis)
    var holdHysteresis: SettingsRequest.Override?

    @Option(setting: .memoryHigh, completion: .list(ConfigKey.memoryHigh.setting.choices ?? []))
    var memoryHigh: SettingsRequest.Override?

    @Option(setting: .memoryLimit, completion: .list(ConfigKey.memoryLimit.setting.choices ?? []))
    var memoryLimit: SettingsRequest.Override?

    /// The file and overrides these options ask for. Each setting option
    /// holds its key with its value, so the overrides are the values of
    /// every such option, found as the argument parser finds the options
    /// (by reflection): no second list of them to keep in step.
    var settings: SettingsRequest {
        let overrides = Mirror(reflecting: self).children.compactMap { ($0.value as? Option<SettingsRequest.Override?>)?.wrappedValue }
        let values = Dictionary(overrides.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        return SettingsRequest(configPath: config, values: values)
    }
}

extension Option where Value == SettingsRequest.Override? {
    /// The option that overrides `key`: its name, help and value name from
    /// the key's descriptor (the default is written once, where the setting
    /// is described); its value, unparsed, goes with the key to the
    /// settings, which validate it as they do the file's.
    init(setting key: ConfigKey, completion: CompletionKind? = nil) {
        let words = OptionWords.all[key.index]
        self.init(name: .customLong(words.name), help: ArgumentHelp(words.help, valueName: words.valueName),
                  completion: completion, transform: { SettingsRequest.Override(key: key, value: $0) })
    }
}

/// A setting option's name and help, composed once per run: the argument
/// parser makes its option groups several times while it parses, and
/// wrapping every help text each time cost a check about 0.1 ms
/// (scripts/bench-check-cost.sh).
struct OptionWords: Sendable {
    let name: String
    let help: String
    let valueName: String?

    init(_ key: ConfigKey) {
        let setting = key.setting
        name = key.optionName
        help = setting.optionHelp
        valueName = setting.valueName
    }

    static let all = ConfigKey.allCases.map(OptionWords.init)
}
