/// The command lines a timer or a person runs for one check — `check` (or
/// nothing: it is the default command), setting options, `--dry-run` — read
/// without the general argument parser.
///
/// Why: a oneshot check does about 1 ms of work, and the reflection-driven
/// parser adds about as much again at every start (metadata lookups over the
/// whole binary's conformance tables). The timer runs a check three times a
/// minute on every node, for its whole life.
///
/// What it accepts is deliberately narrow; for anything else it returns nil
/// and the caller hands the arguments to the general parser, which then
/// produces the result or the usage error: `--help`, `--version`, other
/// commands, short options, `--`, an unknown or repeated option, a missing or
/// empty value, a value that starts with `-`, `--dry-run=...`. A test parses a
/// table of command lines both ways and requires the same result wherever
/// this one answers.
public struct CheckCommandLine: Equatable, Sendable {
    public var settings: SettingsRequest
    public var dryRun: Bool

    public init(settings: SettingsRequest, dryRun: Bool) {
        self.settings = settings
        self.dryRun = dryRun
    }

    /// `arguments` without the program name.
    public static func parse(_ arguments: [String]) -> CheckCommandLine? {
        var rest = arguments[...]
        if rest.first == "check" { rest = rest.dropFirst() }
        var configPath: String?
        var values: [ConfigKey: String] = [:]
        var dryRun = false
        // Plain arrays and linear searches: a handful of names, and generic
        // Set/Dictionary metadata would cost more at start-up than it saves.
        var seen: [String] = []
        while let argument = rest.popFirst() {
            guard argument.hasPrefix("--"), argument.count > 2 else { return nil }
            let body = argument.dropFirst(2)
            let name: String
            var value: String?
            if let equals = body.firstIndex(of: "=") {
                name = String(body[..<equals])
                value = String(body[body.index(after: equals)...])
            } else {
                name = String(body)
            }
            guard !seen.contains(name) else { return nil }
            seen.append(name)
            if name == "dry-run" {
                guard value == nil else { return nil }
                dryRun = true
                continue
            }
            let key = ConfigKey.allCases.first { $0.optionName == name }
            guard name == "config" || key != nil else { return nil }
            if value == nil { value = rest.popFirst() }
            guard let value, !value.isEmpty, !value.hasPrefix("-") else { return nil }
            if let key { values[key] = value } else { configPath = value }
        }
        return CheckCommandLine(settings: SettingsRequest(configPath: configPath, values: values), dryRun: dryRun)
    }
}
