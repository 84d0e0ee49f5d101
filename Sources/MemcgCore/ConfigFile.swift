/// The `key = value` configuration file: `#` starts a comment line, blank
/// lines are ignored. Unknown and duplicate keys are errors with their line
/// number: a typo must never silently fall back to a default on a node.
public enum ConfigFile {
    public static func parse(_ text: String, into config: inout Config) throws(ParseError) {
        var seen: [ConfigKey: Int] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            let line = rawLine.trimmingBlanks()
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let eq = line.firstIndex(of: "=") else {
                throw ParseError(line: lineNumber, "expected \"key = value\", got \"\(line.prefix(80))\"")
            }
            let name = line[..<eq].trimmingBlanks()
            let value = line[line.index(after: eq)...].trimmingBlanks()
            guard let key = ConfigKey(rawValue: name) else {
                let known = ConfigKey.allCases.map(\.rawValue).joined(separator: ", ")
                throw ParseError(line: lineNumber, "unknown key \"\(name.prefix(80))\" (known keys: \(known))")
            }
            if let first = seen[key] {
                throw ParseError(line: lineNumber, "\(name) is already set on line \(first); keep one")
            }
            seen[key] = lineNumber
            do {
                try config.set(key, to: value)
            } catch {
                throw ParseError(line: lineNumber, error.reason)
            }
        }
    }

    /// The shipped file: every key commented out with its default, so the
    /// file documents itself and an untouched install behaves like the original script.
    public static func defaultText() -> String {
        var lines = [
            "# /etc/mon_memcg.conf: settings for mon_memcg(8).",
            "# Lines are \"key = value\"; lines starting with # are comments.",
            "# Sizes take bytes or K, M, G, T (powers of 1024). Every line below is",
            "# the built-in default; uncomment and change a line to override it.",
            "# This file decides which cgroup gets emptied: it must be owned by root",
            "# and not writable by group or others.",
            "",
        ]
        for key in ConfigKey.allCases {
            lines.append(contentsOf: help(for: key).map { "# " + $0 })
            lines.append("#\(key.rawValue) = \(key.defaultText)")
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }

    static func help(for key: ConfigKey) -> [String] {
        switch key {
        case .availableThreshold:
            return ["Reclaim when kubelet's available memory (MemTotal - (root usage -",
                    "root total_inactive_file)) falls below this plus vm.min_free_kbytes."]
        case .growthThreshold:
            return ["Skip a reclaim unless the target's total_rss+total_cache grew by at",
                    "least this much since the value recorded after the last reclaim."]
        case .target:
            return ["The cgroup to reclaim, relative to cgroup_root."]
        case .cgroupRoot:
            return ["Mount point of the cgroup v1 memory controller, or of cgroup2. Unset,",
                    "the memory controller is found in /proc/self/mountinfo (v1 or v2)."]
        case .procRoot:
            return ["Mount point of procfs (meminfo, sys/vm/min_free_kbytes)."]
        case .stateFile:
            return ["Where the last recorded usage survives between runs; the run lock",
                    "is this path plus \".lock\"."]
        case .logFile:
            return ["Where each event is appended, one line each, in the original script's format;",
                    "- is standard output (a container's log)."]
        case .reclaimTimeout:
            return ["A reclaim still running after this long is interrupted, logged, and",
                    "the run exits 6. Must stay below the service's TimeoutStartSec (1min)."]
        case .dyingReclaim:
            return ["When a reclaim leaves available memory short and dying (removed but",
                    "still charged) cgroups below the target hold at least growth_threshold:",
                    "auto = the memcg reaper if the kernel has it, then drop_caches;",
                    "reaper, drop_caches = only that step; off = never."]
        case .dropCachesInterval:
            return ["echo 1 > /proc/sys/vm/drop_caches drops clean page cache node-wide:",
                    "at most once per this long (at least 10s), timed on the boot clock,",
                    "which wall-clock steps do not move (the wall clock only across a reboot)."]
        case .sysRoot:
            return ["Mount point of sysfs (kernel/mm/memcg_reaper/reap)."]
        case .pollInterval:
            return ["mon_memcg watch only: besides reacting to the kernel's threshold event,",
                    "check at least this often (100ms to 60m)."]
        case .metricsFile:
            return ["After every check, write Prometheus text metrics to this file (e.g.",
                    "/var/lib/node_exporter/textfile_collector/mon_memcg.prom), replaced",
                    "atomically; off writes none. The service must be allowed to write",
                    "its directory (ReadWritePaths=, see README)."]
        case .reclaimAmount:
            return ["How much one reclaim takes from the target:",
                    "all = everything (v1: force_empty runs to the end, the original script);",
                    "deficit = what available memory lacks below global thresh, plus",
                    "reclaim_margin, then stop (v1: force_empty is interrupted once the",
                    "target's usage has fallen to its working set, usage -",
                    "total_inactive_file, minus that; v2: memory.reclaim of it);",
                    "auto = all on cgroup v1, and on v2 memory.reclaim of the shortfall",
                    "plus growth_threshold."]
        case .reclaimMargin:
            return ["reclaim_amount = deficit only: asked for beyond the shortfall, so the",
                    "reclaim lifts available memory clear of global thresh (see",
                    "docs/benchmarks.md for how much a stopped force_empty overshoots)."]
        }
    }
}
