/// Everything said about one setting, in one value: its key, where it lives
/// in `Config`, how it is read and written, what it means. The config file
/// reader, `mon_memcg config` (and `--defaults`, the shipped file), the
/// option help, the man pages and docs/configuration.md all come from it,
/// so they cannot disagree. The typed default is `Config`'s own initial
/// value; the descriptor only writes it out.
public struct SettingDescriptor: Sendable {
    public let key: ConfigKey
    /// The key in the file (`available_threshold`); the option is it with
    /// dashes.
    public let name: String
    /// The word `--help` shows for the value, and the unit docs name.
    public let valueName: String
    /// The words the value may be, when the set is closed.
    public let choices: [String]?
    /// What the setting does, as comment lines of the shipped file (under
    /// 80 columns with their `# `).
    public let meaning: [String]
    /// Words the option help adds after the key (`relative to cgroup_root`).
    let optionNote: String?
    /// Words the option help adds after the default (`watch only`).
    let scope: String?
    /// What an unset value means, given the rest of the settings; nil for a
    /// setting that always has a value.
    let unsetMeaning: (@Sendable (Config) -> String)?
    private let apply: @Sendable (inout Config, String) throws(ParseError) -> Void
    private let exact: @Sendable (Config) -> String?
    private let short: @Sendable (Config) -> String?

    /// `get` and `set` are closures, not a key path: a static binary
    /// instantiates each key path's generic class metadata at its first use,
    /// which made a check that reads three settings from the file slower
    /// than before settings had descriptors (perf; docs/benchmarks.md).
    init<Value>(_ key: ConfigKey, _ name: String, _ get: @escaping @Sendable (Config) -> Value,
                _ set: @escaping @Sendable (inout Config, Value) -> Void, _ syntax: SettingSyntax<Value>,
                meaning: [String], optionNote: String? = nil, scope: String? = nil,
                unsetMeaning: (@Sendable (Config) -> String)? = nil) {
        self.key = key
        self.name = name
        self.valueName = syntax.valueName
        self.choices = syntax.choices
        self.meaning = meaning
        self.optionNote = optionNote
        self.scope = scope
        self.unsetMeaning = unsetMeaning
        apply = { config, text throws(ParseError) in set(&config, try syntax.parse(text, name, config)) }
        exact = { syntax.exact(get($0)) }
        short = { syntax.short(get($0)) }
    }

    /// Reads `text` (already trimmed) into `config`, validating it.
    public func set(_ config: inout Config, to text: String) throws(ParseError) {
        try apply(&config, text)
    }

    /// The value in force, exactly, as the file would spell it; nil when
    /// it is unset.
    public func text(_ config: Config) -> String? { exact(config) }

    /// What an unset value means (nil for a setting that is never unset).
    public func unsetText(_ config: Config) -> String? { unsetMeaning?(config) }

    /// The built-in default as a person writes it (`4G`, `10m`); `(unset)`,
    /// which no value can be mistaken for, for a setting unset by default
    /// (its meaning says what unset does).
    public var defaultText: String { short(Config()) ?? "(unset)" }

    /// The default as the option help and the docs table say it.
    public var defaultWords: String {
        let defaults = Config()
        return short(defaults) ?? "unset: \(unsetText(defaults) ?? "")"
    }

    /// The `--help` line of the option that overrides this key: the key,
    /// its choices, the default, once.
    public var optionHelp: String {
        let choiceWords = choices.map { ": " + Self.list($0) } ?? ""
        let note = optionNote.map { ", " + $0 } ?? ""
        let scopeWords = scope.map { "; " + $0 } ?? ""
        return "Overrides \(name)\(choiceWords)\(note) (default \(defaultWords)\(scopeWords))."
    }

    /// `a, b or c`.
    static func list(_ words: [String]) -> String {
        guard let last = words.last, words.count > 1 else { return words.first ?? "" }
        return words.dropLast().joined(separator: ", ") + " or " + last
    }
}
