import ArgumentParser
import MemcgCore

/// Options every subcommand takes. Each setting option overrides the key of
/// the same name in the configuration file.
struct SharedOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Configuration file.", valueName: "path"))
    var config: String?

    @Option(name: .customLong("available-threshold"), help: ArgumentHelp("Overrides available_threshold (default 4G).", valueName: "size"))
    var availableThreshold: String?

    @Option(name: .customLong("growth-threshold"), help: ArgumentHelp("Overrides growth_threshold (default 1G).", valueName: "size"))
    var growthThreshold: String?

    @Option(name: .long, help: ArgumentHelp("Overrides target, relative to cgroup_root (default user.slice).", valueName: "cgroup"))
    var target: String?

    @Option(name: .customLong("cgroup-root"), help: ArgumentHelp("Overrides cgroup_root (default: the memory controller's mount from /proc/self/mountinfo, v1 or v2).", valueName: "path"))
    var cgroupRoot: String?

    @Option(name: .customLong("proc-root"), help: ArgumentHelp("Overrides proc_root (default /proc).", valueName: "path"))
    var procRoot: String?

    @Option(name: .customLong("state-file"), help: ArgumentHelp("Overrides state_file (default /var/lib/mon_memcg/state).", valueName: "path"))
    var stateFile: String?

    @Option(name: .customLong("log-file"), help: ArgumentHelp("Overrides log_file (default /var/log/mon_memcg.log).", valueName: "path"))
    var logFile: String?

    @Option(name: .customLong("reclaim-timeout"), help: ArgumentHelp("Overrides reclaim_timeout (default 45s).", valueName: "duration"))
    var reclaimTimeout: String?

    @Option(name: .customLong("dying-reclaim"), help: ArgumentHelp("Overrides dying_reclaim: auto, reaper, drop_caches or off (default auto).", valueName: "mode"), completion: .list(DyingReclaimMode.allCases.map(\.rawValue)))
    var dyingReclaim: String?

    @Option(name: .customLong("drop-caches-interval"), help: ArgumentHelp("Overrides drop_caches_interval (default 10m).", valueName: "duration"))
    var dropCachesInterval: String?

    @Option(name: .customLong("sys-root"), help: ArgumentHelp("Overrides sys_root (default /sys).", valueName: "path"))
    var sysRoot: String?
    @Option(name: .customLong("poll-interval"), help: ArgumentHelp("Overrides poll_interval (default 5s; watch only).", valueName: "duration"))
    var pollInterval: String?

    @Option(name: .customLong("metrics-file"), help: ArgumentHelp("Overrides metrics_file (default off).", valueName: "path"))
    var metricsFile: String?

    @Option(name: .customLong("reclaim-amount"), help: ArgumentHelp("Overrides reclaim_amount: auto, all or deficit (default auto).", valueName: "mode"))
    var reclaimAmount: String?

    @Option(name: .customLong("reclaim-margin"), help: ArgumentHelp("Overrides reclaim_margin (default 256M; reclaim_amount deficit only).", valueName: "size"))
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
