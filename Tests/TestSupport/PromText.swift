import Foundation

/// A strict reader of the Prometheus text exposition format, enough to
/// fail on anything node_exporter's textfile collector would refuse: every
/// family has one HELP and one TYPE before its samples, names and labels are
/// well formed, values are numbers, counters end in `_total`, no family
/// appears twice, the file ends with a newline.
public enum PromText {
    public struct Invalid: Error, CustomStringConvertible {
        var line: Int
        var reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    /// The value of the sample `name` (with its labels, if any) in a
    /// metrics file, or nil when it is not there.
    public static func sample(_ text: String, _ name: String) -> Int64? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Int64(line.dropFirst(name.count + 1))
        }
        return nil
    }

    public static func validate(_ text: String) throws {
        guard text.isEmpty || text.hasSuffix("\n") else { throw Invalid(line: 0, reason: "no final newline") }
        var types: [String: String] = [:]
        var helped: Set<String> = []
        var current: String?
        var seenSamples: Set<String> = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            let line = String(raw)
            let n = i + 1
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ", maxSplits: 3).map(String.init)
                guard parts.count >= 4, isName(parts[2]) else { throw Invalid(line: n, reason: "bad comment \(line)") }
                let name = parts[2]
                if parts[1] == "HELP" {
                    guard helped.insert(name).inserted, types[name] == nil else { throw Invalid(line: n, reason: "HELP for \(name) again or after TYPE") }
                } else {
                    guard types[name] == nil else { throw Invalid(line: n, reason: "family \(name) appears twice") }
                    guard ["gauge", "counter", "untyped", "summary", "histogram"].contains(parts[3]) else { throw Invalid(line: n, reason: "type \(parts[3])") }
                    if parts[3] == "counter", !name.hasSuffix("_total") { throw Invalid(line: n, reason: "counter \(name) does not end in _total") }
                    types[name] = parts[3]
                    current = name
                }
                continue
            }
            if line.hasPrefix("#") || line.isEmpty { continue }
            // name{labels} value
            var rest = Substring(line)
            let name = String(rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" })
            rest = rest.dropFirst(name.count)
            guard isName(name) else { throw Invalid(line: n, reason: "bad metric name in \(line)") }
            // A histogram's samples are its name plus _bucket, _sum or _count.
            let family = current.flatMap { c in
                types[c] == "histogram" && ["_bucket", "_sum", "_count"].contains(where: { name == c + $0 }) ? c : nil
            } ?? name
            guard family == current, types[family] != nil else { throw Invalid(line: n, reason: "sample \(name) outside its family (no TYPE before it)") }
            if name.hasSuffix("_bucket"), family != name, !line.contains("le=\"") { throw Invalid(line: n, reason: "histogram bucket without le") }
            var labels = ""
            if rest.first == "{" {
                rest = rest.dropFirst()
                while rest.first != "}" {
                    let label = String(rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
                    guard isName(label), !label.contains(":") else { throw Invalid(line: n, reason: "bad label name") }
                    rest = rest.dropFirst(label.count)
                    guard rest.hasPrefix("=\"") else { throw Invalid(line: n, reason: "label without =\"") }
                    rest = rest.dropFirst(2)
                    var closed = false
                    while let c = rest.first {
                        rest = rest.dropFirst()
                        if c == "\\" {
                            guard let e = rest.first, "\\\"n".contains(e) else { throw Invalid(line: n, reason: "bad escape") }
                            rest = rest.dropFirst()
                        } else if c == "\"" {
                            closed = true
                            break
                        }
                    }
                    guard closed else { throw Invalid(line: n, reason: "unterminated label value") }
                    labels += label
                    if rest.first == "," { rest = rest.dropFirst() } else if rest.first != "}" { throw Invalid(line: n, reason: "bad label list") }
                }
                rest = rest.dropFirst()
            }
            guard rest.first == " " else { throw Invalid(line: n, reason: "no space before the value") }
            let fields = rest.dropFirst().split(separator: " ")
            guard (1...2).contains(fields.count), isValue(String(fields[0])) else { throw Invalid(line: n, reason: "bad value in \(line)") }
            guard seenSamples.insert(name + "{" + String(line.prefix(while: { $0 != " " })) + "}").inserted else {
                throw Invalid(line: n, reason: "duplicate sample")
            }
            _ = labels
        }
        for name in types.keys where !helped.contains(name) { throw Invalid(line: 0, reason: "\(name) has no HELP") }
    }

    static func isName(_ s: String) -> Bool {
        guard let first = s.first, first.isASCII, first.isLetter || first == "_" || first == ":" else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }
    }

    static func isValue(_ s: String) -> Bool {
        if ["NaN", "+Inf", "-Inf"].contains(s) { return true }
        return s.range(of: #"^[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"#, options: .regularExpression) != nil
    }
}
