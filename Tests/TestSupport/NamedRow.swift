import Testing

/// A row of a named table (style rule 9): Swift Testing names each case by
/// the row's `name`, so a row type declares only its fields.
public protocol NamedRow: CustomTestStringConvertible, Sendable {
    var name: String { get }
}

extension NamedRow {
    public var testDescription: String { name }
}
