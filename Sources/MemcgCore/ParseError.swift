/// A kernel or configuration text that does not say what we expect.
/// Parsers fail closed: a value we cannot trust never reaches a decision.
public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 1-based line number, when the problem is on one line.
    public var line: Int?
    public var reason: String

    public init(line: Int? = nil, _ reason: String) {
        self.line = line
        self.reason = reason
    }

    public var description: String {
        if let line { return "line \(line): \(reason)" }
        return reason
    }
}
