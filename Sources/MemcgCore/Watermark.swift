/// `/proc/sys/vm/min_free_kbytes`, the kernel's low watermark. The seed adds
/// it to the threshold: its `global thresh 4362076160` is 4 GiB + 65536 kB.
public enum Watermark {
    public static func parse(minFreeKbytes text: String) throws(ParseError) -> Bytes {
        let kb = try CounterFile.parse(text)
        let bytes = kb.scaled(by: Bytes.kibibyte)
        guard bytes.value < Int64.max else { throw ParseError("min_free_kbytes is too large") }
        return bytes
    }
}

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
