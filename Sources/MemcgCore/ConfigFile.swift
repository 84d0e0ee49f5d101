/// The `key = value` configuration file: `#` starts a comment line, blank
/// lines are ignored. Unknown and duplicate keys are errors with their line
/// number: a typo must never silently fall back to a default on a node.
/// A file saved with CRLF line ends reads as one with LF, and a value in
/// one pair of quotes (`target = "user.slice"`) is the value inside them,
/// as people write it in YAML and shell files.
public enum ConfigFile {
    public static func parse(_ text: String, into config: inout Config) throws(ParseError) {
        // The line each key was set on (0: not yet), by key index: an array,
        // as a dictionary keyed by ConfigKey costs a static binary a scan
        // of its conformances at every start (perf, docs/benchmarks.md).
        var seen = [Int](repeating: 0, count: ConfigKey.allCases.count)
        // "\r\n" is one Character in Swift: split on it as on "\n".
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (index, rawLine) in lines.enumerated() {
            let lineNumber = index + 1
            let line = rawLine.trimmingBlanks()
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let eq = line.firstIndex(of: "=") else {
                throw ParseError(line: lineNumber, "expected \"key = value\", got \"\(Units.printable(String(line.prefix(80))))\"")
            }
            let name = line[..<eq].trimmingBlanks()
            let value = unquoted(line[line.index(after: eq)...].trimmingBlanks())
            guard let key = ConfigKey(name: name) else {
                let known = ConfigKey.allCases.map(\.name).joined(separator: ", ")
                throw ParseError(line: lineNumber, "unknown key \"\(Units.printable(String(name.prefix(80))))\" (known keys: \(known))")
            }
            if seen[key.index] > 0 {
                throw ParseError(line: lineNumber, "\(name) is already set on line \(seen[key.index]); keep one")
            }
            seen[key.index] = lineNumber
            do {
                try config.set(key, to: value)
            } catch {
                throw ParseError(line: lineNumber, error.reason)
            }
        }
    }

    /// `"x"` or `'x'` → `x`; anything else as it is.
    static func unquoted(_ value: String) -> String {
        guard value.count >= 2, let q = value.first, q == "\"" || q == "'", value.last == q else { return value }
        return String(value.dropFirst().dropLast())
    }

    /// The shipped file: every key commented out with its default, so the
    /// file documents itself and an untouched install behaves like the original script.
    public static func defaultText() -> String {
        var lines = [
            "# /etc/mon_memcg.conf: settings for mon_memcg(8).",
            "# Lines are \"key = value\"; lines starting with # are comments.",
            "# Sizes take bytes or K, M, G, T, also written Ki, Mi, Gi, Ti: all powers",
            "# of 1024 (4G = 4Gi = 4GB = 4294967296). Durations take ms, s (the unit",
            "# when none is written), m or h. Every line below is the built-in default;",
            "# uncomment and change a line to override it.",
            "# This file decides which cgroup gets emptied: it must be owned by root",
            "# and not writable by group or others.",
            "",
        ]
        for setting in ConfigKey.allCases.map(\.setting) {
            lines.append(contentsOf: setting.meaning.map { "# " + $0 })
            lines.append("#\(setting.name) = \(setting.defaultText)")
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }
}
