import Testing
@testable import MemcgCore

struct ConfigTests {
    @Test("defaults are the original script's")
    func defaults() {
        let c = Config()
        #expect(c.availableThreshold == 4_294_967_296)
        #expect(c.growthThreshold == 1_073_741_824)
        #expect(c.target == "user.slice")
        #expect(c.cgroupRoot == "/sys/fs/cgroup/memory")
        #expect(c.procRoot == "/proc")
        #expect(c.stateFile == "/run/mon_memcg/state")
        #expect(c.logFile == "/var/log/mon_memcg.log")
        #expect(c.reclaimTimeoutMilliseconds == 45_000)
        #expect(c.pollIntervalMilliseconds == 5_000)
        #expect(c.metricsFile == nil)
    }

    @Test("watch and metrics keys", arguments: [
        ("poll_interval = 250ms", 250, nil),
        ("poll_interval = 1m", 60_000, nil),
        ("metrics_file = /var/lib/node_exporter/textfile_collector/mon_memcg.prom", 5_000, "/var/lib/node_exporter/textfile_collector/mon_memcg.prom"),
        ("metrics_file = off", 5_000, nil),
        ("metrics_file =", 5_000, nil),
    ] as [(String, Int64, String?)])
    func watchKeys(row: (String, Int64, String?)) throws {
        var c = Config()
        try ConfigFile.parse(row.0, into: &c)
        #expect(c.pollIntervalMilliseconds == row.1)
        #expect(c.metricsFile == row.2)
    }

    @Test("every key parses")
    func allKeys() throws {
        var c = Config()
        try ConfigFile.parse("""
            # comment
              # indented comment

            available_threshold = 10G
            growth_threshold=512M
            target = kubepods.slice/user-1000.slice
            cgroup_root = /tmp/x/cgroup/
            proc_root = /tmp/x/proc
            state_file = /tmp/x/state
            log_file = /tmp/x/log
            reclaim_timeout = 30s
            """, into: &c)
        #expect(c.availableThreshold == .gib(10))
        #expect(c.growthThreshold == .mib(512))
        #expect(c.target == "kubepods.slice/user-1000.slice")
        #expect(c.cgroupRoot == "/tmp/x/cgroup")
        #expect(c.procRoot == "/tmp/x/proc")
        #expect(c.stateFile == "/tmp/x/state")
        #expect(c.logFile == "/tmp/x/log")
        #expect(c.reclaimTimeoutMilliseconds == 30_000)
        #expect(c.lockFile == "/tmp/x/state.lock")
    }

    @Test("the shipped default file parses to the defaults, and so does each default as written and as printed back")
    func shippedDefaults() throws {
        var c = Config()
        try ConfigFile.parse(ConfigFile.defaultText(), into: &c)
        #expect(c == Config())
        // Every key appears, commented out, with its default.
        for key in ConfigKey.allCases {
            #expect(ConfigFile.defaultText().contains("#\(key.name) = \(key.defaultText)"))
            var parsed = Config()
            if key.setting.text(Config()) == nil {
                // Unset by default (cgroup_root): what is shown is no value,
                // and uncommented it is refused rather than taken as one.
                #expect(throws: ParseError.self) { try parsed.set(key, to: key.defaultText) }
                continue
            }
            try parsed.set(key, to: key.defaultText)
            #expect(parsed == Config(), "default text of \(key.name) must parse to the default")
            // And the value as `mon_memcg config` writes it back (sizes in bytes).
            try parsed.set(key, to: Config().text(for: key))
            #expect(parsed == Config(), "\(key.name) = \(Config().text(for: key)) must parse to the default")
        }
    }

    @Test("cgroup_root is unset by default and said to be found in mountinfo, everywhere")
    func cgroupRootUnset() throws {
        let setting = ConfigKey.cgroupRoot.setting
        #expect(!Config().cgroupRootIsSet)
        #expect(setting.text(Config()) == nil)
        #expect(setting.defaultText == "(unset)")
        #expect(setting.meaning.joined(separator: " ").contains("Unset by default: the memory controller, v1 or v2, is found in /proc/self/mountinfo."))
        #expect(setting.optionHelp.contains("(default unset: the memory controller is found in /proc/self/mountinfo)"))
        #expect(!ConfigFile.defaultText().contains("cgroup_root = /"))
        var c = Config()
        try c.set(.cgroupRoot, to: "/sys/fs/cgroup/")
        #expect(c.cgroupRootIsSet && c.cgroupRoot == "/sys/fs/cgroup")
        #expect(setting.text(c) == "/sys/fs/cgroup")
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var line: Int
        var message: String
        var testDescription: String { name }
    }

    static let bad: [Bad] = [
        Bad(name: "poll_interval too short", text: "poll_interval = 10ms", line: 1, message: "between 100ms and 60m"),
        Bad(name: "poll_interval too long", text: "poll_interval = 2h", line: 1, message: "between 100ms and 60m"),
        Bad(name: "poll_interval 0", text: "poll_interval = 0", line: 1, message: "between 100ms and 60m"),
        Bad(name: "relative metrics_file", text: "metrics_file = mon_memcg.prom", line: 1, message: "must be an absolute path"),
        Bad(name: "metrics_file /", text: "metrics_file = /", line: 1, message: "must name a file"),
        Bad(name: "unknown key", text: "availble_threshold = 4G", line: 1, message: "unknown key \"availble_threshold\""),
        Bad(name: "duplicate key", text: "target = a\n\ntarget = b", line: 3, message: "already set on line 1"),
        Bad(name: "no equals sign", text: "# ok\ntarget user.slice", line: 2, message: "expected \"key = value\""),
        Bad(name: "negative size", text: "available_threshold = -1", line: 1, message: "not a whole non-negative"),
        Bad(name: "bad unit", text: "available_threshold = 4X", line: 1, message: "unknown unit"),
        Bad(name: "overflowing size", text: "growth_threshold = 99999999999T", line: 1, message: "too large"),
        Bad(name: "empty size", text: "growth_threshold =", line: 1, message: "empty size"),
        Bad(name: "trailing comment is not stripped", text: "growth_threshold = 1G # one gig", line: 1, message: "a comment takes a whole line"),
        Bad(name: "target escapes with ..", text: "target = ../etc", line: 1, message: "must stay inside cgroup_root"),
        Bad(name: "target escapes in the middle", text: "target = user.slice/../..", line: 1, message: "must stay inside"),
        Bad(name: "absolute target", text: "target = /sys/fs/cgroup/memory/user.slice", line: 1, message: "must be relative to cgroup_root (write \"user.slice\")"),
        Bad(name: "absolute target under cgroup v2's mount", text: "target = /sys/fs/cgroup/user.slice/a.scope", line: 1, message: "(write \"user.slice/a.scope\")"),
        Bad(name: "absolute target elsewhere", text: "target = /etc/x", line: 1, message: "(write \"etc/x\")"),
        Bad(name: "empty target", text: "target = ", line: 1, message: "target is empty"),
        Bad(name: "target with empty component", text: "target = a//b", line: 1, message: "must stay inside"),
        Bad(name: "relative cgroup_root", text: "cgroup_root = sys/fs/cgroup", line: 1, message: "must be an absolute path"),
        Bad(name: "relative state_file", text: "state_file = state", line: 1, message: "absolute"),
        Bad(name: "state_file is /", text: "state_file = /", line: 1, message: "must name a file"),
        Bad(name: "timeout too long", text: "reclaim_timeout = 60s", line: 1, message: "between 100ms and 59s"),
        Bad(name: "timeout zero", text: "reclaim_timeout = 0", line: 1, message: "between"),
        Bad(name: "timeout of an hour", text: "reclaim_timeout = 1h", line: 1, message: "between 100ms and 59s"),
        Bad(name: "timeout unit", text: "reclaim_timeout = 1d", line: 1, message: "unknown unit \"d\" (use ms, s, m or h"),
        Bad(name: "CRLF file, bad unit: the carriage return is not in the message", text: "target = a\r\ngrowth_threshold = 4X\r\n", line: 2, message: "unknown unit \"X\" (use"),
    ]

    @Test("hostile configuration is refused with its line", arguments: bad)
    func refuses(row: Bad) {
        var c = Config()
        #expect {
            try ConfigFile.parse(row.text, into: &c)
        } throws: { error in
            guard let e = error as? ParseError else { return false }
            return e.line == row.line && e.reason.contains(row.message)
        }
    }
}
