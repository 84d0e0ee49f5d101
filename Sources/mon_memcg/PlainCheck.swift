import MemcgCore

/// `check` given nothing but setting options (`mon_memcg check --target X
/// --state-file Y`, as scripts, the lab and people run it), read without the
/// argument parser. The parser's start-up reflects over every option it
/// knows, twice or more per parse, so each setting added to the tool made
/// every check slower (about 0.05 ms per option here, docs/benchmarks.md);
/// read here, such a command line costs what the units' bare
/// `/usr/sbin/mon_memcg` does.
///
/// Only the plainest form is read: `check` (or no command), then options
/// that each name a setting or `--config`, at most once each, as
/// `--name value` or `--name=value`, with a value that is not empty and
/// does not start with `-`. Anything else (another command, `--dry-run`,
/// `--help`, a repeated or unknown option, a value like `-5`) is the
/// parser's, which says what is wrong; what this reads, the parser reads
/// the same (PlainCheckTests hold the two side by side).
enum PlainCheck {
    /// The options this reads, in `ConfigKey.allCases` order, then `--config`.
    static let names = ConfigKey.allCases.map { "--" + $0.optionName } + ["--config"]

    /// The settings `arguments` ask for, or nil when they are not of the
    /// plain form above. No dictionary: each generic type a run
    /// instantiates costs a static binary a scan of its conformances.
    static func settings(_ arguments: [String]) -> SettingsRequest? {
        var rest = arguments[...]
        if rest.first == "check" { rest = rest.dropFirst() }
        if rest.isEmpty { return SettingsRequest() }
        let keys = ConfigKey.allCases
        var values = [String?](repeating: nil, count: names.count)
        while let word = rest.popFirst() {
            let name: Substring
            let value: String
            if let eq = word.firstIndex(of: "=") {
                name = word[..<eq]
                value = String(word[word.index(after: eq)...])
            } else {
                guard let next = rest.popFirst() else { return nil }
                name = word[...]
                value = next
            }
            guard let index = names.firstIndex(where: { $0 == name }), values[index] == nil,
                  !value.isEmpty, !value.hasPrefix("-") else { return nil }
            values[index] = value
        }
        let overrides = keys.indices.compactMap { i in values[i].map { SettingsRequest.Override(key: keys[i], value: $0) } }
        return SettingsRequest(configPath: values[keys.count], overrides: overrides)
    }
}
