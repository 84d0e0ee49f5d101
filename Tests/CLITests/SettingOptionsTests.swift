import Foundation
import MemcgCore
import Testing
import TestSupport

/// Every setting option reaches its key, over the file's value: an option
/// the parser accepts but the settings never see would silently do nothing.
struct SettingOptionsTests {
    /// key → (the file's value, the option's value, what `config` prints).
    static let values: [ConfigKey: (file: String, option: String, printed: String)] = [
        .availableThreshold: ("5G", "6G", "6442450944"),
        .growthThreshold: ("2G", "3M", "3145728"),
        .target: ("a.slice", "b.slice/c.scope", "b.slice/c.scope"),
        .cgroupRoot: ("/tmp/a", "/tmp/b/", "/tmp/b"),
        .procRoot: ("/tmp/a/proc", "/tmp/b/proc", "/tmp/b/proc"),
        .stateFile: ("/tmp/a/state", "/tmp/b/state", "/tmp/b/state"),
        .logFile: ("/tmp/a/log", "-", "-"),
        .reclaimTimeout: ("30s", "1500ms", "1500ms"),
        .dyingReclaim: ("reaper", "off", "off"),
        .dropCachesInterval: ("20m", "1m", "60s"),
        .sysRoot: ("/tmp/a/sys", "/tmp/b/sys", "/tmp/b/sys"),
        .pollInterval: ("1s", "250ms", "250ms"),
        .metricsFile: ("/tmp/a/m.prom", "off", "off"),
        .reclaimAmount: ("all", "deficit", "deficit"),
        .reclaimMargin: ("1M", "64M", "67108864"),
        .kubeletConfig: ("/tmp/a/kubelet.yaml", "/tmp/b/config.yaml", "/tmp/b/config.yaml"),
        .hold: ("off", "on", "on"),
        .holdHysteresis: ("1G", "128M", "134217728"),
        .memoryHigh: ("off", "on", "on"),
        .memoryLimit: ("off", "on", "on"),
    ]

    @Test("each setting option overrides its key, over the file")
    func everyOption() throws {
        #expect(Set(Self.values.keys) == Set(ConfigKey.allCases), "a row per key")
        let tree = try FixtureTree()
        try tree.write("mon_memcg.conf", ConfigKey.allCases.map { "\($0.name) = \(Self.values[$0]?.file ?? "")\n" }.joined())
        let options = ConfigKey.allCases.flatMap { ["--\($0.optionName)", Self.values[$0]?.option ?? ""] }
        let r = try Binary.run(["config", "--syntax-only", "--config", tree.configFile] + options)
        #expect(r.status == 0, "\(r.stderr)")
        let expected = ConfigKey.allCases.map { "\($0.name) = \(Self.values[$0]?.printed ?? "")\n" }.joined()
        #expect(r.stdout == expected)
    }
}
