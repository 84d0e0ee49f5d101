/// kubelet's `memory.available` eviction thresholds, read from its
/// configuration file (a `KubeletConfiguration`, YAML or JSON, usually
/// /var/lib/kubelet/config.yaml), so mon_memcg's threshold can be set
/// relative to the one kubelet evicts at.
///
/// What kubelet does with the file, and so what this returns:
/// - no `evictionHard` at all: kubelet's default, `memory.available<100Mi`;
/// - `evictionHard` with `memory.available`: that value;
/// - `evictionHard` with other signals only: `memory.available` is 0 (no
///   memory eviction) unless `mergeDefaultEvictionSettings: true`, which
///   merges the default 100Mi back in (KubeletConfiguration's own doc).
/// `evictionSoft` has no default. Flags (`--eviction-hard`) override the
/// file and cannot be seen here: `status` says where the number came from.
public struct KubeletEviction: Equatable, Sendable {
    public var hard: EvictionThreshold?
    public var hardSource: String
    public var soft: EvictionThreshold?

    /// kubelet's built-in hard threshold for memory.available on Linux.
    public static let defaultHard = EvictionThreshold.quantity(.mib(100))

    public init(hard: EvictionThreshold?, hardSource: String, soft: EvictionThreshold?) {
        (self.hard, self.hardSource, self.soft) = (hard, hardSource, soft)
    }

    public init(parsing text: String) throws(ParseError) {
        let document = try KubeletConfigText.topLevel(text)
        let merge = document.scalar("mergeDefaultEvictionSettings").map { $0 == "true" } ?? false
        let soft = try document.mapping("evictionSoft")?["memory.available"].map { v throws(ParseError) in
            try EvictionThreshold(parsing: v, key: "evictionSoft memory.available")
        }
        guard let hardMap = try document.mapping("evictionHard") else {
            self.init(hard: Self.defaultHard, hardSource: "kubelet's default (the file sets no evictionHard)", soft: soft)
            return
        }
        if let v = hardMap["memory.available"] {
            self.init(hard: try EvictionThreshold(parsing: v, key: "evictionHard memory.available"),
                      hardSource: "evictionHard memory.available", soft: soft)
        } else if merge {
            self.init(hard: Self.defaultHard, hardSource: "kubelet's default, merged (mergeDefaultEvictionSettings: true)", soft: soft)
        } else {
            self.init(hard: nil, hardSource: "none: evictionHard names other signals and mergeDefaultEvictionSettings is not true, so kubelet sets memory.available to 0",
                      soft: soft)
        }
    }
}

/// `100Mi` or `10%` (of MemTotal, as kubelet takes a percentage of capacity).
public enum EvictionThreshold: Equatable, Sendable, CustomStringConvertible {
    case quantity(Bytes)
    /// Hundredths of a percent, so `7.5%` stays exact.
    case percentage(basisPoints: Int64)

    public init(parsing text: String, key: String) throws(ParseError) {
        let s = text.trimmingBlanks()
        if s.hasSuffix("%") {
            let number = s.dropLast()
            let parts = number.split(separator: ".", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), !parts[0].isEmpty, parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }),
                  parts.count == 1 || (1...2).contains(parts[1].count),
                  let whole = Int64(parts[0]), whole <= 100
            else { throw ParseError("\(key): \"\(s)\" is not a percentage from 0% to 100%") }
            let hundredths = parts.count == 2 ? Int64(parts[1].padding(toLength: 2)) ?? 0 : 0
            let basisPoints = whole * 100 + hundredths
            guard basisPoints <= 10_000 else { throw ParseError("\(key): \"\(s)\" is more than 100%") }
            self = .percentage(basisPoints: basisPoints)
        } else {
            do {
                self = .quantity(try KubernetesQuantity.parseBytes(s))
            } catch {
                throw ParseError("\(key): \(error.reason)")
            }
        }
    }

    /// Bytes on a node with `memTotal`: kubelet multiplies capacity by the
    /// percentage and truncates.
    public func bytes(memTotal: Bytes) -> Bytes {
        switch self {
        case .quantity(let b): b
        case .percentage(let bp): Bytes(Int64((Double(memTotal.value) * Double(bp) / 10_000).rounded(.towardZero)))
        }
    }

    public var description: String {
        switch self {
        case .quantity(let b): String(b.value)
        case .percentage(let bp): bp % 100 == 0 ? "\(bp / 100)%" : "\(bp / 100).\(bp % 100 < 10 ? "0" : "")\(bp % 100)%"
        }
    }
}

private extension Substring {
    func padding(toLength n: Int) -> String {
        String(self) + String(repeating: "0", count: Swift.max(0, n - count))
    }
}
