/// A cgroup v2 limit file as the kernel reads and writes it (memory.high,
/// memory.swap.max): `max` or bytes.
public enum CgroupLimit: Equatable, Sendable, CustomStringConvertible {
    case max
    case bytes(Bytes)

    /// The file's text (`max\n` or a byte count); anything else fails closed.
    public init(parsing text: String) throws(ParseError) {
        var word = Substring(text)
        if word.hasSuffix("\n") { word = word.dropLast() }
        if word == "max" { self = .max; return }
        guard let n = Units.parseCounter(word) else {
            throw ParseError("expected \"max\" or a byte count, got \"\(text.prefix(40))\"")
        }
        self = .bytes(Bytes(n))
    }

    /// As the kernel spells it, and as it is written back.
    public var description: String {
        switch self {
        case .max: "max"
        case .bytes(let b): b.description
        }
    }
}
