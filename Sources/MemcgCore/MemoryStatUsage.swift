extension MemoryStat {
    /// `total_rss + total_cache` of a `memory.stat` text, by the same rules
    /// as `MemoryStat(parsing:).hierarchicalUsage()` (every line
    /// `name counter` or blank, the two fields present once, the same
    /// errors) without building the table of every field. The dying-cgroup
    /// bytes read one `memory.stat` per child of the target: with 1,000
    /// children the table took 40 ms of `status`'s 93 (perf). One rule is
    /// looser: a name other than these two may appear twice.
    public static func hierarchicalUsage(parsing text: String) throws(ParseError) -> Bytes {
        let bytes = Array(text.utf8)
        var rss: Int64?
        var cache: Int64?
        var sawLine = false
        var lineNumber = 0
        var start = 0
        while start <= bytes.count {
            var end = start
            // "\r\n" is one Character, not a "\n": the full parser's split
            // does not break a line there, nor does this.
            while end < bytes.count && (bytes[end] != UInt8(ascii: "\n") || (end > start && bytes[end - 1] == UInt8(ascii: "\r"))) {
                end += 1
            }
            lineNumber += 1
            defer { start = end + 1 }
            let line = bytes[start..<end]
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }) { continue }
            let fields = line.split(separator: UInt8(ascii: " "))
            guard fields.count == 2, let value = counter(fields[1]) else {
                let shown = String(decoding: line, as: UTF8.self)
                throw ParseError(line: lineNumber, "expected \"name value\", got \"\(shown.prefix(80))\"")
            }
            sawLine = true
            if fields[0].elementsEqual(StatField.totalRSS.rawValue.utf8) {
                guard rss == nil else { throw ParseError(line: lineNumber, "\(StatField.totalRSS.rawValue) appears twice") }
                rss = value
            } else if fields[0].elementsEqual(StatField.totalCache.rawValue.utf8) {
                guard cache == nil else { throw ParseError(line: lineNumber, "\(StatField.totalCache.rawValue) appears twice") }
                cache = value
            }
        }
        guard sawLine else { throw ParseError("no \"name value\" lines (empty or truncated read?)") }
        guard let rss else { throw ParseError("no \(StatField.totalRSS.rawValue) field") }
        guard let cache else { throw ParseError("no \(StatField.totalCache.rawValue) field") }
        return Bytes(rss) + Bytes(cache)
    }

    /// `Units.parseCounter` on bytes: 1 to 19 ASCII digits that fit in Int64.
    private static func counter(_ digits: ArraySlice<UInt8>) -> Int64? {
        guard !digits.isEmpty, digits.count <= 19 else { return nil }
        var value: Int64 = 0
        for d in digits {
            guard d >= UInt8(ascii: "0") && d <= UInt8(ascii: "9") else { return nil }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Int64(d - UInt8(ascii: "0")))
            guard !o1 && !o2 else { return nil }
            value = sum
        }
        return value
    }
}
