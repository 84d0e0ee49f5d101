import MemcgCore

/// What `available_threshold` needs from the node when it is not a plain
/// size: MemTotal, and kubelet's eviction thresholds from its file.
public enum ThresholdInputs {
    public static func memTotal(procRoot: String) throws(KernelError) -> Bytes {
        try readParsed("\(procRoot)/\(KernelFile.meminfo)") { text throws(ParseError) in try MemInfo(parsing: text) }.memTotal
    }

    /// kubelet's memory.available thresholds, or the reason they cannot be
    /// had (the file missing, unreadable, or not one mon_memcg reads), with
    /// the path in it.
    public static func kubeletEviction(path: String) -> Result<KubeletEviction, KubeletFileProblem> {
        let text: String
        do {
            text = try FileIO.read(path, limit: 4 << 20)
        } catch {
            return .failure(KubeletFileProblem(path: path, reason: error.description))
        }
        do {
            return .success(try KubeletEviction(parsing: text))
        } catch {
            return .failure(KubeletFileProblem(path: path, reason: "\(path): \(error)"))
        }
    }
}

/// Why kubelet's configuration could not be used.
public struct KubeletFileProblem: Error, Equatable, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        (self.path, self.reason) = (path, reason)
    }

    public var description: String { reason }
}
