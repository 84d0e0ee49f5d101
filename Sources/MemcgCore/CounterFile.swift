/// A single integer counter file such as `memory.usage_in_bytes`.
public enum CounterFile {
    public static func parse(_ text: String) throws(ParseError) -> Bytes {
        var line = Substring(text)
        if line.hasSuffix("\n") { line = line.dropLast() }
        guard let n = Units.parseCounter(line) else {
            throw ParseError("expected one non-negative integer, got \"\(text.prefix(40))\"")
        }
        return Bytes(n)
    }
}
