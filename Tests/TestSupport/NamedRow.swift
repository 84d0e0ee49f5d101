import Testing

/// A row of a named table (style rule 9): Swift Testing names each case by
/// the row's `name`, so a row type declares only its fields.
public protocol NamedRow: CustomTestStringConvertible, Sendable {
    var name: String { get }
}

extension NamedRow {
    public var testDescription: String { name }
}

/// A command line, the exit status it must end with, and words its output
/// must contain (stdout or stderr, as the test says).
public struct CommandRow: NamedRow {
    public var name: String
    public var arguments: [String]
    public var status: Int32
    public var says: String

    public init(name: String, arguments: [String], status: Int32, says: String) {
        (self.name, self.arguments, self.status, self.says) = (name, arguments, status, says)
    }
}
