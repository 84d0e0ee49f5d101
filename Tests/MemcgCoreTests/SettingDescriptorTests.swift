import Testing
@testable import MemcgCore

/// The descriptors are the one source of the settings' names, defaults,
/// syntax and meanings: what they write must read back, and what they say
/// must fit where it is shown.
struct SettingDescriptorTests {
    /// Every key away from its default, in the syntax people write.
    static let changed = """
        available_threshold = 10G
        growth_threshold = 1536M
        target = kubepods.slice/a.scope
        cgroup_root = /tmp/x/cgroup
        proc_root = /tmp/x/proc
        state_file = /tmp/x/state
        log_file = -
        reclaim_timeout = 1500ms
        dying_reclaim = drop_caches
        drop_caches_interval = 2m
        sys_root = /tmp/x/sys
        poll_interval = 250ms
        metrics_file = /tmp/x/m.prom
        reclaim_amount = deficit
        reclaim_margin = 1000
        kubelet_config = /tmp/x/kubelet.yaml
        hold = off
        hold_hysteresis = 64M
        memory_high = on
        memory_limit = on
        """

    @Test("names are the contract, unique, the file's snake case, and name the option")
    func names() {
        let names = ConfigKey.allCases.map(\.name)
        #expect(names == ["available_threshold", "growth_threshold", "target", "cgroup_root", "proc_root", "state_file",
                          "log_file", "reclaim_timeout", "dying_reclaim", "drop_caches_interval", "sys_root",
                          "poll_interval", "metrics_file", "reclaim_amount", "reclaim_margin", "kubelet_config",
                          "hold", "hold_hysteresis", "memory_high", "memory_limit"])
        #expect(Set(names).count == names.count)
        for key in ConfigKey.allCases {
            #expect(key.name.allSatisfy { $0 == "_" || ("a"..."z").contains($0) }, "\(key.name)")
            #expect(ConfigKey(name: key.name) == key)
            #expect(key.setting.key == key)
            #expect(key.optionName == key.name.replacingOccurrences(of: "_", with: "-"))
        }
        #expect(ConfigKey(name: "available-threshold") == nil)
        #expect(ConfigKey(name: "") == nil)
    }

    @Test("the exact text of every value reads back to the same settings, default or not")
    func exactRoundTrip() throws {
        var changed = Config()
        try ConfigFile.parse(Self.changed, into: &changed)
        for config in [Config(), changed] {
            let text = ConfigKey.allCases.compactMap { key in key.setting.text(config).map { "\(key.name) = \($0)" } }
            var again = Config()
            try ConfigFile.parse(text.joined(separator: "\n"), into: &again)
            #expect(again == config, "\(text)")
        }
        for key in ConfigKey.allCases where key != .cgroupRoot {
            #expect(key.setting.text(changed) != key.setting.text(Config()), "\(key.name) is not changed by the table above")
        }
        #expect(changed.cgroupRootIsSet && changed.dropCachesIntervalSeconds == 120 && changed.reclaimTimeoutMilliseconds == 1500)
    }

    @Test("sizes and durations are shown as people write them, and read back", arguments: [
        (Bytes.gib(4), "4G"), (.mib(256), "256M"), (.kib(3), "3K"), (Bytes(1 << 40), "1T"), (.mib(1536), "1536M"),
        (.zero, "0"), (1023, "1023"), (1025, "1025"), (Bytes(.max), "9223372036854775807"),
    ] as [(Bytes, String)])
    func sizeText(row: (Bytes, String)) throws {
        #expect(Units.sizeText(row.0) == row.1)
        #expect(try Units.parseSize(row.1) == row.0)
    }

    @Test("durations", arguments: [
        (Int64(600_000), "10m"), (45_000, "45s"), (60_000, "1m"), (90_000, "90s"), (250, "250ms"), (1_500, "1500ms"), (0, "0s"),
    ] as [(Int64, String)])
    func durationText(row: (Int64, String)) throws {
        #expect(Units.durationText(milliseconds: row.0) == row.1)
        #expect(try Units.parseDurationMilliseconds(row.1) == row.0)
    }

    @Test("each option help names its key, its choices, and its default once")
    func optionHelp() {
        for setting in ConfigKey.allCases.map(\.setting) {
            let help = setting.optionHelp
            #expect(help.hasPrefix("Overrides \(setting.name)"), "\(help)")
            #expect(help.components(separatedBy: "(default").count == 2, "\(help)")
            #expect(help.contains("(default \(setting.defaultWords)"), "\(help)")
            for choice in setting.choices ?? [] { #expect(help.contains(choice), "\(help)") }
        }
        #expect(ConfigKey.dyingReclaim.setting.optionHelp == "Overrides dying_reclaim: auto, reaper, drop_caches or off (default auto).")
        #expect(ConfigKey.pollInterval.setting.optionHelp == "Overrides poll_interval (default 5s; watch only).")
    }

    @Test("meanings fit the shipped file's 80 columns")
    func meanings() {
        for setting in ConfigKey.allCases.map(\.setting) {
            #expect(!setting.meaning.isEmpty)
            for line in setting.meaning {
                #expect(("# " + line).count < 80, "\(setting.name): \(line)")
            }
        }
    }
}
