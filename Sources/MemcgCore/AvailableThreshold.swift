/// `available_threshold` as written: a size (`4G`, `4Gi`), a share of
/// MemTotal (`10%`, as kubelet and earlyoom take one), or kubelet's own
/// hard eviction threshold plus a size (`kubelet + 3Gi`), so that one
/// configuration fits a fleet of different node sizes. It becomes bytes
/// only against a node: `resolve` takes MemTotal and kubelet's threshold.
public enum AvailableThreshold: Equatable, Sendable, CustomStringConvertible {
    case size(Bytes)
    case percentOfMemTotal(basisPoints: Int64)
    /// kubelet's `evictionHard` `memory.available`, plus this.
    case kubeletPlus(Bytes)

    public init(parsing text: String, parseSize: (String) throws(ParseError) -> Bytes) throws(ParseError) {
        let s = text.trimmingBlanks()
        if s.hasSuffix("%") {
            guard case .percentage(let bp) = try EvictionThreshold(parsing: s, key: "available_threshold") else {
                throw ParseError("available_threshold \"\(s)\" is not a percentage")
            }
            self = .percentOfMemTotal(basisPoints: bp)
        } else if s.lowercased().hasPrefix("kubelet") {
            let rest = s.dropFirst("kubelet".count).trimmingBlanks()
            if rest.isEmpty {
                self = .kubeletPlus(.zero)
            } else {
                guard rest.hasPrefix("+") else {
                    throw ParseError("available_threshold \"\(s)\": write kubelet's threshold plus a size, e.g. \"kubelet + 3Gi\"")
                }
                self = .kubeletPlus(try parseSize(String(rest.dropFirst())))
            }
        } else {
            self = .size(try parseSize(s))
        }
    }

    /// Whether the kubelet configuration must be read to resolve it.
    public var needsKubelet: Bool {
        if case .kubeletPlus = self { return true }
        return false
    }

    /// Bytes on this node. `kubeletHard` is kubelet's hard threshold in
    /// bytes (0 where kubelet has none); unused unless `needsKubelet`.
    public func resolve(memTotal: Bytes, kubeletHard: Bytes) -> Bytes {
        switch self {
        case .size(let b): b
        case .percentOfMemTotal(let bp): EvictionThreshold.percentage(basisPoints: bp).bytes(memTotal: memTotal)
        case .kubeletPlus(let b): kubeletHard + b
        }
    }

    /// As `config` prints it: sizes in bytes, as before this key took other forms.
    public var description: String {
        switch self {
        case .size(let b): String(b.value)
        case .percentOfMemTotal(let bp): EvictionThreshold.percentage(basisPoints: bp).description
        case .kubeletPlus(let b): b == .zero ? "kubelet" : "kubelet + \(b.value)"
        }
    }
}
