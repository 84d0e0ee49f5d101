/// How one kind of value is written, in the file and on the command line:
/// read from text (validated, failing closed) and written back. Each
/// setting's descriptor picks one; the messages name the setting.
public struct SettingSyntax<Value>: Sendable {
    /// The word `--help` shows for the value (`<size>`), and the unit the
    /// documentation names.
    public let valueName: String
    /// The words the value may be, when the set is closed.
    public let choices: [String]?
    /// The text is already trimmed. The config is the one being built:
    /// a target's hint names the cgroup_root set before it.
    let parse: @Sendable (_ text: String, _ name: String, _ config: Config) throws(ParseError) -> Value
    /// Exact, as `mon_memcg config` prints it, so its output reads back
    /// unchanged (sizes in bytes). nil: unset, nothing can be written.
    let exact: @Sendable (Value) -> String?
    /// As a person writes it (4G, 10m): how the defaults are shown.
    let short: @Sendable (Value) -> String?

    init(valueName: String, choices: [String]? = nil,
         parse: @escaping @Sendable (String, String, Config) throws(ParseError) -> Value,
         exact: @escaping @Sendable (Value) -> String?,
         short: (@Sendable (Value) -> String?)? = nil) {
        self.valueName = valueName
        self.choices = choices
        self.parse = parse
        self.exact = exact
        self.short = short ?? exact
    }
}

extension SettingSyntax where Value == Bytes {
    /// `4G`, `512M`, bytes: see `Units.parseSize`.
    static var size: Self {
        Self(valueName: "size", parse: { text, _, _ throws(ParseError) in try Units.parseSize(text) },
             exact: { "\($0)" }, short: { Units.sizeText($0) })
    }
}

extension SettingSyntax where Value == AvailableThreshold {
    /// A size, `N%` of MemTotal, or `kubelet + size`: see `AvailableThreshold`.
    static var threshold: Self {
        Self(valueName: "threshold",
             parse: { text, _, _ throws(ParseError) in
                 try AvailableThreshold(parsing: text, parseSize: { s throws(ParseError) in try Units.parseSize(s) })
             },
             exact: { $0.description },
             short: {
                 if case .size(let bytes) = $0 { return Units.sizeText(bytes) }
                 if case .kubeletPlus(let bytes) = $0, bytes != .zero { return "kubelet + \(Units.sizeText(bytes))" }
                 return $0.description
             })
    }
}

extension SettingSyntax where Value == Int64 {
    /// Milliseconds, written `45s`, `500ms`, `10m`; `allowed` bounds it and
    /// `rule` says the bounds (and why) in the refusal.
    static func duration(allowed: @escaping @Sendable (Int64) -> Bool, rule: String) -> Self {
        Self(valueName: "duration",
             parse: { text, name, _ throws(ParseError) in
                 let ms = try Units.parseDurationMilliseconds(text)
                 guard allowed(ms) else { throw ParseError("\(name) \(text) must be \(rule)") }
                 return ms
             },
             exact: { $0 % 1000 == 0 ? "\($0 / 1000)s" : "\($0)ms" },
             short: { Units.durationText(milliseconds: $0) })
    }
}

extension SettingSyntax where Value == String {
    /// An absolute path; a trailing `/` is dropped. `literal` is a word
    /// taken as it is (`-`: standard output).
    static func path(isFile: Bool = false, literal: String? = nil) -> Self {
        Self(valueName: "path",
             parse: { text, name, _ throws(ParseError) in
                 text == literal ? text : try Config.absolutePath(text, name: name, isFile: isFile)
             },
             exact: { $0 })
    }

    /// A cgroup below cgroup_root: see `Config.validTarget`.
    static var cgroup: Self {
        Self(valueName: "cgroup",
             parse: { text, _, config throws(ParseError) in try Config.validTarget(text, cgroupRoot: config.cgroupRoot) },
             exact: { $0 })
    }
}

extension SettingSyntax where Value == String? {
    /// An absolute path, or `off` (also empty): nil.
    static var pathOrOff: Self {
        Self(valueName: "path",
             parse: { text, name, _ throws(ParseError) in
                 text.isEmpty || text == "off" ? nil : try Config.absolutePath(text, name: name, isFile: true)
             },
             exact: { $0 ?? "off" })
    }

    /// An absolute path, or unset (nil), which no text can say: unset is
    /// only the absence of the key.
    static var pathOrUnset: Self {
        Self(valueName: "path",
             parse: { text, name, _ throws(ParseError) in try Config.absolutePath(text, name: name) },
             exact: { $0 })
    }
}

extension SettingSyntax where Value: RawRepresentable & CaseIterable & Sendable, Value.RawValue == String {
    /// One of the mode's raw values, spelled exactly.
    static var mode: Self {
        let names = Value.allCases.map(\.rawValue)
        return Self(valueName: "mode", choices: names,
                    parse: { text, name, _ throws(ParseError) in
                        guard let mode = Value(rawValue: text) else {
                            throw ParseError("\(name) \"\(text.prefix(40))\" is not one of \(names.joined(separator: ", "))")
                        }
                        return mode
                    },
                    exact: { $0.rawValue })
    }
}
