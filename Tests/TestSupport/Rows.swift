import MemcgCore
import Testing

/// Hostile text a parser must refuse (style rule: parsers fail closed), and
/// a part of the message the refusal must give.
public struct RefusedText: NamedRow {
    public var name, text, message: String

    public init(name: String, text: String, message: String) {
        (self.name, self.text, self.message) = (name, text, message)
    }

    public init(_ name: String, _ text: String, _ message: String) {
        self.init(name: name, text: text, message: message)
    }

    /// Expects `parse(text)` to throw an error whose description contains `message`.
    public func expectRefused(by parse: (String) throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try parse(text)
            Issue.record("accepted \(name): \(text.debugDescription)", sourceLocation: sourceLocation)
        } catch {
            #expect(String(describing: error).contains(message), "refused \(name) with \(error), not \(message.debugDescription)",
                    sourceLocation: sourceLocation)
        }
    }
}

/// One `key = value` given to `Config.set`: accepted when `check` is given
/// (and then `check` must hold for the result), refused when it is nil.
public struct ConfigRow: NamedRow {
    public var name: String
    public var key: ConfigKey
    public var value: String
    /// nil: refused.
    public var check: (@Sendable (Config) -> Bool)?

    public init(name: String, key: ConfigKey, value: String, check: (@Sendable (Config) -> Bool)?) {
        (self.name, self.key, self.value, self.check) = (name, key, value, check)
    }

    /// Sets the key on a default `Config` and expects what the row says.
    public func expectSet(sourceLocation: SourceLocation = #_sourceLocation) {
        var config = Config()
        do {
            try config.set(key, to: value)
            #expect(check?(config) == true, "accepted \(value)", sourceLocation: sourceLocation)
        } catch {
            #expect(check == nil, "refused \(value): \(error)", sourceLocation: sourceLocation)
        }
    }
}

extension Config {
    /// A default configuration with one key set, as a config file line would.
    public static func setting(_ key: ConfigKey, to value: String) throws -> Config {
        var config = Config()
        try config.set(key, to: value)
        return config
    }
}
