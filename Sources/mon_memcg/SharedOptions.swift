import ArgumentParser
import MemcgCore

/// Options every subcommand takes. Each setting option overrides the key of
/// the same name in the configuration file.
struct SharedOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Configuration file.", valueName: "path"))
    var config: String?

    @Option(name: .setting(.availableThreshold), help: .setting(.availableThreshold))
    var availableThreshold: String?

    @Option(name: .setting(.growthThreshold), help: .setting(.growthThreshold))
    var growthThreshold: String?

    @Option(name: .setting(.target), help: .setting(.target))
    var target: String?

    @Option(name: .setting(.cgroupRoot), help: .setting(.cgroupRoot))
    var cgroupRoot: String?

    @Option(name: .setting(.procRoot), help: .setting(.procRoot))
    var procRoot: String?

    @Option(name: .setting(.stateFile), help: .setting(.stateFile))
    var stateFile: String?

    @Option(name: .setting(.logFile), help: .setting(.logFile))
    var logFile: String?

    @Option(name: .setting(.reclaimTimeout), help: .setting(.reclaimTimeout))
    var reclaimTimeout: String?

    @Option(name: .setting(.dyingReclaim), help: .setting(.dyingReclaim), completion: .list(ConfigKey.dyingReclaim.setting.choices ?? []))
    var dyingReclaim: String?

    @Option(name: .setting(.dropCachesInterval), help: .setting(.dropCachesInterval))
    var dropCachesInterval: String?

    @Option(name: .setting(.sysRoot), help: .setting(.sysRoot))
    var sysRoot: String?

    @Option(name: .setting(.pollInterval), help: .setting(.pollInterval))
    var pollInterval: String?

    @Option(name: .setting(.metricsFile), help: .setting(.metricsFile))
    var metricsFile: String?

    @Option(name: .setting(.reclaimAmount), help: .setting(.reclaimAmount))
    var reclaimAmount: String?

    @Option(name: .setting(.reclaimMargin), help: .setting(.reclaimMargin))
    var reclaimMargin: String?

    /// The file and overrides these options ask for.
    var settings: SettingsRequest {
        let values: [ConfigKey: String?] = [
            .availableThreshold: availableThreshold,
            .growthThreshold: growthThreshold,
            .target: target,
            .cgroupRoot: cgroupRoot,
            .procRoot: procRoot,
            .stateFile: stateFile,
            .logFile: logFile,
            .reclaimTimeout: reclaimTimeout,
            .dyingReclaim: dyingReclaim,
            .dropCachesInterval: dropCachesInterval,
            .sysRoot: sysRoot,
            .pollInterval: pollInterval,
            .metricsFile: metricsFile,
            .reclaimAmount: reclaimAmount,
            .reclaimMargin: reclaimMargin,
        ]
        return SettingsRequest(configPath: config, values: values.compactMapValues { $0 })
    }
}

extension ArgumentHelp {
    /// The help of the option that overrides `key`, from its descriptor:
    /// the default is written once, where the setting is described.
    static func setting(_ key: ConfigKey) -> ArgumentHelp {
        ArgumentHelp(key.setting.optionHelp, valueName: key.setting.valueName)
    }
}

extension NameSpecification {
    /// The option that overrides `key`: the key with dashes.
    static func setting(_ key: ConfigKey) -> NameSpecification { .customLong(key.optionName) }
}
