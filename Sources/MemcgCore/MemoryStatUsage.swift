extension MemoryStat {
    /// `total_rss + total_cache` of a `memory.stat` text, by the same rules
    /// as `MemoryStat(parsing:).hierarchicalUsage()` (every line
    /// `name counter` or blank, the two fields present once, the same
    /// errors) without building the table of every field. The dying-cgroup
    /// bytes read one `memory.stat` per child of the target: with 1,000
    /// children the table took 40 ms of `status`'s 93 (perf). One rule is
    /// looser: a name other than these two may appear twice.
    public static func hierarchicalUsage(parsing text: String) throws(ParseError) -> Bytes {
        var text = text
        return try text.withUTF8 { hierarchicalUsage(utf8: $0) }.get()
    }

    /// The same on the bytes of the file as read, so a reader that reads
    /// many children's files into one buffer makes no String, no array and
    /// no line slices per file (perf, 1,000 children: the String version's
    /// copies and splits were 8% of a check, a third of the parse).
    public static func hierarchicalUsage(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Result<Bytes, ParseError> {
        let space = UInt8(ascii: " "), newline = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r"), tab = UInt8(ascii: "\t")
        var rss: Int64?
        var cache: Int64?
        var sawLine = false
        var lineNumber = 0
        var start = 0
        while start <= bytes.count {
            var end = start
            // "\r\n" is one Character, not a "\n": the full parser's split
            // does not break a line there, nor does this.
            while end < bytes.count && (bytes[end] != newline || (end > start && bytes[end - 1] == cr)) {
                end += 1
            }
            lineNumber += 1
            let lineStart = start
            start = end + 1
            var blank = true
            for i in lineStart..<end where bytes[i] != space && bytes[i] != tab && bytes[i] != cr {
                blank = false
                break
            }
            if blank { continue }
            // The fields are the runs of non-spaces (split(separator: " ")).
            var fields = 0
            var name = 0..<0, value = 0..<0
            var i = lineStart
            while i < end {
                if bytes[i] == space { i += 1; continue }
                let fieldStart = i
                while i < end && bytes[i] != space { i += 1 }
                fields += 1
                if fields == 1 { name = fieldStart..<i } else if fields == 2 { value = fieldStart..<i }
            }
            guard fields == 2, let parsed = counter(bytes, value) else {
                let shown = String(decoding: UnsafeBufferPointer(rebasing: bytes[lineStart..<end]), as: UTF8.self)
                return .failure(ParseError(line: lineNumber, "expected \"name value\", got \"\(shown.prefix(80))\""))
            }
            sawLine = true
            if equals(bytes, name, StatField.totalRSS.rawValue) {
                guard rss == nil else { return .failure(ParseError(line: lineNumber, "\(StatField.totalRSS.rawValue) appears twice")) }
                rss = parsed
            } else if equals(bytes, name, StatField.totalCache.rawValue) {
                guard cache == nil else { return .failure(ParseError(line: lineNumber, "\(StatField.totalCache.rawValue) appears twice")) }
                cache = parsed
            }
        }
        guard sawLine else { return .failure(ParseError("no \"name value\" lines (empty or truncated read?)")) }
        guard let rss else { return .failure(ParseError("no \(StatField.totalRSS.rawValue) field")) }
        guard let cache else { return .failure(ParseError("no \(StatField.totalCache.rawValue) field")) }
        return .success(Bytes(rss) + Bytes(cache))
    }

    private static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ word: String) -> Bool {
        var i = range.lowerBound
        for c in word.utf8 {
            guard i < range.upperBound, bytes[i] == c else { return false }
            i += 1
        }
        return i == range.upperBound
    }

    /// `Units.parseCounter` on bytes: 1 to 19 ASCII digits that fit in Int64.
    private static func counter(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int64? {
        guard !range.isEmpty, range.count <= 19 else { return nil }
        var value: Int64 = 0
        for i in range {
            let d = bytes[i]
            guard d >= UInt8(ascii: "0") && d <= UInt8(ascii: "9") else { return nil }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Int64(d - UInt8(ascii: "0")))
            guard !o1 && !o2 else { return nil }
            value = sum
        }
        return value
    }
}
