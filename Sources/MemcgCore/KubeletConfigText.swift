/// Just enough of YAML (and JSON, which is YAML's flow style) to read the
/// top level of a `KubeletConfiguration` file: each top-level key with a
/// scalar value or a mapping of scalars. Anything deeper (authentication,
/// lists, nested maps) is kept as "other" and never interpreted. A key mon_memcg
/// reads that is written in a form this reader does not take (an anchor, an
/// alias, a tag, a block scalar) is an error, never a guess.
enum KubeletConfigText {
    enum Node: Equatable {
        case scalar(String)
        case mapping([String: String])
        case other
    }

    struct Document {
        var entries: [String: Node]

        func scalar(_ key: String) -> String? {
            if case .scalar(let s) = entries[key] { return s }
            return nil
        }

        /// nil when the key is absent (or null); an error when it is not a mapping of scalars.
        func mapping(_ key: String) throws(ParseError) -> [String: String]? {
            switch entries[key] {
            case nil, .scalar("null"), .scalar("~"), .scalar(""): return nil
            case .mapping(let m): return m
            case .scalar(let s): throw ParseError("\(key) is \"\(s)\", not a mapping of signal names to thresholds")
            case .other: throw ParseError("\(key) is written in a form mon_memcg does not read (nested maps, anchors or aliases); write it as a plain mapping, e.g. \(key): {memory.available: 100Mi}")
            }
        }
    }

    static func topLevel(_ text: String) throws(ParseError) -> Document {
        // "\r\n" is one Character in Swift: split on it too, so CRLF files read as LF ones.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map { line -> Substring in
            line.hasSuffix("\r") ? line.dropLast() : line
        }
        let content = lines.map { stripComment($0) }.filter { !$0.allSatisfy({ $0 == " " || $0 == "\t" }) }
        if let first = content.first, first.trimmingBlanks().hasPrefix("{") {
            var flow = FlowReader(content.joined(separator: "\n"))
            guard case .mapping(let entries) = try flow.value(), flow.atEnd else {
                throw ParseError("the kubelet configuration is not one mapping")
            }
            return Document(entries: entries.mapValues(\.node))
        }
        return try block(content)
    }

    /// Block style: top-level keys at column 0, their children indented below them.
    private static func block(_ lines: [Substring]) throws(ParseError) -> Document {
        var entries: [String: Node] = [:]
        var i = 0
        while i < lines.count {
            let line = lines[i]
            i += 1
            if line == "---" || line == "..." || line.hasPrefix("-") || line.first == " " || line.first == "\t" { continue }
            guard let (key, rest) = splitKey(line) else { throw ParseError(line: nil, "cannot read \"\(line)\" as `key: value`") }
            var children: [Substring] = []
            while i < lines.count, lines[i].first == " " || lines[i].first == "\t" || lines[i].hasPrefix("- ") || lines[i] == "-" {
                children.append(lines[i])
                i += 1
            }
            if rest.isEmpty {
                entries[key] = blockMapping(children)
            } else if rest.hasPrefix("{") {
                var flow = FlowReader(([rest] + children.map { $0.trimmingBlanks() }).joined(separator: " "))
                entries[key] = try flow.value().node
            } else if let marker = rest.first, "&*!|>".contains(marker) {
                entries[key] = .other
            } else {
                entries[key] = .scalar(unquote(rest))
            }
        }
        return Document(entries: entries)
    }

    /// The children of a block key: a mapping of scalars, or "other".
    private static func blockMapping(_ children: [Substring]) -> Node {
        guard let indent = children.first.map({ $0.prefix(while: { $0 == " " }).count }), indent > 0 else { return .other }
        var map: [String: String] = [:]
        for child in children {
            let depth = child.prefix(while: { $0 == " " }).count
            if depth > indent { return .other }
            guard depth == indent, let (key, value) = splitKey(child.dropFirst(indent)), !value.isEmpty,
                  let marker = value.first, !"&*!|>{[".contains(marker) else { return .other }
            map[key] = unquote(value)
        }
        return .mapping(map)
    }

    /// `key: value` → (key, value without blanks); the key may be quoted.
    private static func splitKey(_ line: Substring) -> (String, String)? {
        var key = ""
        var rest = Substring(line)
        if let q = rest.first, q == "\"" || q == "'" {
            guard let end = rest.dropFirst().firstIndex(of: q) else { return nil }
            key = String(rest[rest.index(after: rest.startIndex)..<end])
            rest = rest[rest.index(after: end)...]
            guard rest.first == ":" else { return nil }
        } else {
            guard let colon = rest.indices.first(where: { rest[$0] == ":" && (rest.index(after: $0) == rest.endIndex || rest[rest.index(after: $0)] == " " || rest[rest.index(after: $0)] == "\t") }) else { return nil }
            key = String(rest[..<colon]).trimmingBlanks()
            rest = rest[colon...]
        }
        return (key, String(rest.dropFirst()).trimmingBlanks())
    }

    /// A `#` at the start or after a blank, outside quotes, starts a comment.
    static func stripComment(_ line: Substring) -> Substring {
        var quote: Character?
        var previous: Character = " "
        for i in line.indices {
            let c = line[i]
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "#", previous == " " || previous == "\t" {
                return line[..<i]
            }
            previous = c
        }
        return line
    }

    static func unquote(_ text: String) -> String {
        let s = text.trimmingBlanks()
        guard s.count >= 2, let q = s.first, q == "\"" || q == "'", s.last == q else { return s }
        let inner = s.dropFirst().dropLast()
        return q == "'" ? inner.replacingAll("''", with: "'") : inner.replacingAll("\\\"", with: "\"").replacingAll("\\\\", with: "\\")
    }
}

/// Flow style (`{a: b, "c": "d"}`, and so JSON): mappings, sequences, scalars.
struct FlowReader {
    enum Value {
        case scalar(String)
        case mapping([String: Value])
        case sequence

        var node: KubeletConfigText.Node {
            switch self {
            case .scalar(let s): return .scalar(s)
            case .sequence: return .other
            case .mapping(let m):
                var scalars: [String: String] = [:]
                for (k, v) in m {
                    guard case .scalar(let s) = v else { return .other }
                    scalars[k] = s
                }
                return .mapping(scalars)
            }
        }
    }

    private let chars: [Character]
    private var at = 0

    init(_ text: String) { chars = Array(text) }

    var atEnd: Bool {
        var i = at
        while i < chars.count, chars[i].isWhitespace { i += 1 }
        return i == chars.count
    }

    mutating func value() throws(ParseError) -> Value {
        skipBlanks()
        guard at < chars.count else { throw ParseError("the kubelet configuration ends inside a { … } mapping") }
        switch chars[at] {
        case "{":
            at += 1
            var map: [String: Value] = [:]
            while true {
                skipBlanks()
                if peek("}") { at += 1; return .mapping(map) }
                guard case .scalar(let key) = try scalar(stopAt: ":,}") else { throw ParseError("a key in { … } is not a name") }
                skipBlanks()
                guard peek(":") else { throw ParseError("missing ':' after \"\(key)\" in { … }") }
                at += 1
                map[key] = try value()
                skipBlanks()
                if at == chars.count { throw ParseError("the kubelet configuration ends inside a { … } mapping") }
                if peek(",") { at += 1 } else if !peek("}") { throw ParseError("missing ',' or '}' after \"\(key)\" in { … }") }
            }
        case "[":
            at += 1
            while true {
                skipBlanks()
                if peek("]") { at += 1; return .sequence }
                _ = try value()
                skipBlanks()
                if peek(",") { at += 1 } else if !peek("]") { throw ParseError("missing ',' or ']' in [ … ]") }
            }
        default:
            return try scalar(stopAt: ",}]")
        }
    }

    private mutating func scalar(stopAt stops: String) throws(ParseError) -> Value {
        skipBlanks()
        if at < chars.count, chars[at] == "\"" || chars[at] == "'" {
            let q = chars[at]
            var s = ""
            at += 1
            while at < chars.count {
                let c = chars[at]
                at += 1
                if q == "\"", c == "\\", at < chars.count { s.append(chars[at]); at += 1; continue }
                if c == q {
                    if q == "'", at < chars.count, chars[at] == "'" { s.append("'"); at += 1; continue }
                    return .scalar(s)
                }
                s.append(c)
            }
            throw ParseError("a quoted string in the kubelet configuration is not closed")
        }
        var s = ""
        while at < chars.count, !stops.contains(chars[at]) { s.append(chars[at]); at += 1 }
        return .scalar(s.trimmingBlanks())
    }

    private mutating func skipBlanks() { while at < chars.count, chars[at].isWhitespace { at += 1 } }
    private func peek(_ c: Character) -> Bool { at < chars.count && chars[at] == c }
}

extension StringProtocol {
    /// Every occurrence of `target` replaced, without Foundation.
    func replacingAll(_ target: String, with replacement: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}
