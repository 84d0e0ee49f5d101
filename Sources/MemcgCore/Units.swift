/// Parsing of the sizes and durations that people write in the config file
/// and on the command line. Units are converted to bytes/seconds here, once.
public enum Units {
    /// `4294967296`, `4G`, `512M`, `64K`, `1T`, and the Kubernetes forms
    /// `4Gi`, `512Mi`, `64Ki`, `1Ti`: all powers of 1024, upper or lower case,
    /// with an optional trailing `B`/`iB`. `4GB` is 4 × 2^30 here, as it always
    /// was: mon_memcg's sizes are binary whatever the suffix (kubelet's own
    /// file is read with Kubernetes' rules, where `G` is 10^9:
    /// `KubernetesQuantity`). Negative, empty, fractional and overflowing
    /// values are errors.
    public static func parseSize(_ text: String) throws(ParseError) -> Bytes {
        let trimmed = text.trimmingBlanks()
        guard !trimmed.isEmpty else { throw ParseError("empty size (write bytes or a number with K, M, G or T, e.g. 4G)") }
        let (digits, suffix) = splitUnit(trimmed)
        let multiplier: Int64
        switch suffix.uppercased() {
        case "", "B": multiplier = 1
        case "K", "KB", "KI", "KIB": multiplier = Bytes.kibibyte
        case "M", "MB", "MI", "MIB": multiplier = Bytes.mebibyte
        case "G", "GB", "GI", "GIB": multiplier = Bytes.gibibyte
        case "T", "TB", "TI", "TIB": multiplier = Bytes.tebibyte
        default:
            throw ParseError("size \"\(trimmed)\" has an unknown unit \"\(printable(suffix))\" (use K, M, G or T, or Ki, Mi, Gi, Ti: powers of 1024)\(commentHint(trimmed))")
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit), let n = Int64(digits) else {
            throw ParseError("size \"\(trimmed)\" is not a whole non-negative number of bytes, K, M, G or T")
        }
        let (bytes, overflow) = n.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { throw ParseError("size \"\(trimmed)\" is too large") }
        return Bytes(bytes)
    }

    /// A duration that must be more than 0 (a command's --max-age, --grace).
    public static func parsePositiveDurationMilliseconds(_ text: String) throws(ParseError) -> Int64 {
        let ms = try parseDurationMilliseconds(text)
        guard ms > 0 else { throw ParseError("duration \"\(text)\" must be more than 0") }
        return ms
    }

    /// `45`, `45s`, `1m`, `500ms`, `1h`: returned in milliseconds.
    public static func parseDurationMilliseconds(_ text: String) throws(ParseError) -> Int64 {
        let trimmed = text.trimmingBlanks()
        let (digits, suffix) = splitUnit(trimmed)
        let multiplier: Int64
        switch suffix.lowercased() {
        case "", "s", "sec": multiplier = 1000
        case "ms": multiplier = 1
        case "m", "min": multiplier = 60_000
        case "h": multiplier = 3_600_000
        default: throw ParseError("duration \"\(trimmed)\" has an unknown unit \"\(printable(suffix))\" (use ms, s, m or h, e.g. 45s)\(commentHint(trimmed))")
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit), let n = Int64(digits) else {
            throw ParseError("duration \"\(trimmed)\" is not a whole non-negative number of ms, s, m or h")
        }
        let (ms, overflow) = n.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { throw ParseError("duration \"\(trimmed)\" is too large") }
        return ms
    }

    /// A size as a person writes it: the largest of T, G, M, K that divides
    /// it exactly (`4G`, `256M`), else bytes. Reads back to the same value.
    static func sizeText(_ size: Bytes) -> String {
        for (unit, factor) in [("T", Bytes.tebibyte), ("G", Bytes.gibibyte), ("M", Bytes.mebibyte), ("K", Bytes.kibibyte)]
        where size.value != 0 && size.value % factor == 0 {
            return "\(size.value / factor)\(unit)"
        }
        return "\(size)"
    }

    /// A duration as a person writes it: `10m`, `45s`, else `500ms`.
    static func durationText(milliseconds ms: Int64) -> String {
        if ms != 0, ms % 60_000 == 0 { return "\(ms / 60_000)m" }
        return ms % 1000 == 0 ? "\(ms / 1000)s" : "\(ms)ms"
    }

    /// A value with ` #` in it is someone's trailing comment: say where comments go.
    static func commentHint(_ value: String) -> String {
        value.contains(" #") || value.contains("\t#") ? "; a comment takes a whole line: start the line with #" : ""
    }

    /// Control characters (a carriage return from a CRLF file, a tab) shown
    /// as escapes, so a message never moves the terminal's cursor.
    public static func printable(_ text: String) -> String {
        let named: [Unicode.Scalar: String] = ["\r": "\\r", "\t": "\\t", "\n": "\\n"]
        return text.unicodeScalars.map { c in
            named[c] ?? (c.value < 0x20 || c.value == 0x7f ? "\\x\(String(c.value, radix: 16))" : String(c))
        }.joined()
    }

    /// `512M` → (`512`, `M`): the number, and the unit written after it.
    static func splitUnit(_ text: String) -> (digits: Substring, suffix: String) {
        var digits = Substring(text)
        var suffix = ""
        while let last = digits.last, !last.isASCIIDigit {
            suffix = String(last) + suffix
            digits = digits.dropLast()
        }
        return (digits, suffix)
    }

    /// A kernel counter: digits only, fits in Int64.
    static func parseCounter(_ text: Substring) -> Int64? {
        guard !text.isEmpty, text.utf8.count <= 19, text.allSatisfy(\.isASCIIDigit) else { return nil }
        return Int64(text)
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension StringProtocol {
    /// Spaces and tabs only; no Foundation needed.
    public func trimmingBlanks() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
        return String(s)
    }
}
