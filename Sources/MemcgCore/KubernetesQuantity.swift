/// A Kubernetes resource quantity as kubelet reads one for memory
/// (`100Mi`, `4Gi`, `1G`, `1.5Gi`, `128974848`, `129e6`): binary suffixes
/// are powers of 1024, decimal ones powers of 1000 — so `1G` here is
/// 10^9 bytes, as kubelet takes it, unlike mon_memcg's own `G`.
/// Rounded up to a whole byte, as `resource.Quantity.Value()` rounds.
public enum KubernetesQuantity {
    public static func parseBytes(_ text: String) throws(ParseError) -> Bytes {
        let s = text.trimmingBlanks()
        guard !s.isEmpty else { throw ParseError("empty quantity") }
        guard !s.hasPrefix("-") else { throw ParseError("quantity \"\(s)\" is negative") }
        var body = Substring(s.hasPrefix("+") ? String(s.dropFirst()) : s)

        // The suffix: binary (Ki…Ei), decimal (k, M, G, T, P, E) or an
        // exponent (e3, E-2). Decimal "E" alone is exa; "E" followed by
        // digits is an exponent.
        var binaryPower = 0
        var decimalExponent = 0
        let binary: [(String, Int)] = [("Ki", 1), ("Mi", 2), ("Gi", 3), ("Ti", 4), ("Pi", 5), ("Ei", 6)]
        let decimal: [(String, Int)] = [("k", 3), ("M", 6), ("G", 9), ("T", 12), ("P", 15), ("E", 18)]
        if let (suffix, power) = binary.first(where: { body.hasSuffix($0.0) }) {
            body = body.dropLast(suffix.count)
            binaryPower = power
        } else if let e = body.firstIndex(where: { $0 == "e" || $0 == "E" }), e != body.index(before: body.endIndex) {
            let exponent = body[body.index(after: e)...]
            guard let n = Int(exponent), abs(n) <= 18 else { throw ParseError("quantity \"\(s)\" has an exponent out of range") }
            decimalExponent = n
            body = body[..<e]
        } else if let (suffix, power) = decimal.first(where: { body.hasSuffix($0.0) }) {
            body = body.dropLast(suffix.count)
            decimalExponent = power
        }

        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first,
              !(whole.isEmpty && (parts.count == 1 || parts[1].isEmpty)),
              whole.allSatisfy(\.isASCIIDigit), (parts.count == 1 || parts[1].allSatisfy(\.isASCIIDigit))
        else {
            throw ParseError("quantity \"\(s)\" is not a number with an optional suffix (Ki, Mi, Gi, Ti, or k, M, G, T)")
        }
        // Exact arithmetic on a decimal mantissa: digits × 10^(exponent - fraction digits) × 1024^power.
        let fraction = parts.count == 2 ? parts[1] : ""
        let digits = (whole + fraction).drop(while: { $0 == "0" })
        guard digits.count <= 30 else { throw ParseError("quantity \"\(s)\" is too large") }
        var exponent = decimalExponent - fraction.count
        var value = Decimalish(digits: digits.map { Int64($0.wholeNumberValue ?? 0) })
        for _ in 0..<binaryPower { value.multiply(by: 1024) }
        while exponent > 0 { value.multiply(by: 10); exponent -= 1 }
        var roundUp = false
        while exponent < 0 { roundUp = value.divide(by: 10) || roundUp; exponent += 1 }
        guard var bytes = value.int64 else { throw ParseError("quantity \"\(s)\" is too large") }
        if roundUp { bytes += 1 }
        return Bytes(bytes)
    }
}

/// A non-negative integer as base-10 digits, big enough for any quantity a
/// config holds; multiplication and division by small factors only.
private struct Decimalish {
    var digits: [Int64]  // most significant first

    mutating func multiply(by factor: Int64) {
        var carry: Int64 = 0
        for i in digits.indices.reversed() {
            let p = digits[i] * factor + carry
            digits[i] = p % 10
            carry = p / 10
        }
        while carry > 0 { digits.insert(carry % 10, at: 0); carry /= 10 }
    }

    /// Returns whether a remainder was dropped.
    mutating func divide(by divisor: Int64) -> Bool {
        var remainder: Int64 = 0
        for i in digits.indices {
            let d = remainder * 10 + digits[i]
            digits[i] = d / divisor
            remainder = d % divisor
        }
        while digits.first == 0 { digits.removeFirst() }
        return remainder != 0
    }

    var int64: Int64? {
        var r: Int64 = 0
        for d in digits {
            let (m, o1) = r.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(d)
            if o1 || o2 { return nil }
            r = a
        }
        return r
    }
}
