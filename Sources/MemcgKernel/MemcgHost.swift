import MemcgCore

/// The host's /proc and cgroup v1 memory controller, rooted at configurable
/// paths so tests can point it at a fixture tree. Reads fill plain structs;
/// judging them is MemcgCore's job.
public struct MemcgHost: Sendable {
    public var cgroupRoot: String
    public var procRoot: String
    /// Which files to read under `cgroupRoot`; `detect(config:)` sets it.
    public var hierarchy: CgroupHierarchy = .v1

    public init(cgroupRoot: String, procRoot: String) {
        self.cgroupRoot = cgroupRoot
        self.procRoot = procRoot
    }

    public init(config: Config) {
        self.init(cgroupRoot: config.cgroupRoot, procRoot: config.procRoot)
    }

    public func procPath(_ file: String) -> String { "\(procRoot)/\(file)" }
    public func cgroupPath(_ cgroup: String) -> String { cgroup.isEmpty ? cgroupRoot : "\(cgroupRoot)/\(cgroup)" }

    /// Reads what kubelet reads: MemTotal, the root cgroup's usage and
    /// total_inactive_file, plus the kernel watermark.
    public func observeNode() throws(KernelError) -> NodeObservation {
        if hierarchy == .v2 { return try observeNodeV2() }
        let usagePath = "\(cgroupRoot)/\(KernelFile.usageInBytes)"
        guard FileIO.exists(usagePath) else { throw .noMemoryController(path: cgroupRoot) }
        let meminfo = try parse(procPath(KernelFile.meminfo)) { text throws(ParseError) in try MemInfo(parsing: text) }
        let usage = try parse(usagePath) { text throws(ParseError) in try CounterFile.parse(text) }
        let statPath = "\(cgroupRoot)/\(KernelFile.stat)"
        let inactive = try parse(statPath) { text throws(ParseError) in
            try MemoryStat(parsing: text).bytes(StatField.totalInactiveFile)
        }
        let watermark = try parse(procPath(KernelFile.minFreeKbytes)) { text throws(ParseError) in
            try Watermark.parse(minFreeKbytes: text)
        }
        return NodeObservation(memTotal: meminfo.memTotal, rootUsage: usage, rootInactiveFile: inactive, watermark: watermark)
    }

    /// `MemAvailable`, for display only.
    public func memAvailable() -> Bytes? {
        guard let text = try? FileIO.read(procPath(KernelFile.meminfo)) else { return nil }
        return (try? MemInfo(parsing: text))?.memAvailable
    }

    /// The target's directory, checked to exist and to stay inside the mount
    /// once symlinks are resolved.
    public func resolveTarget(_ target: String) throws(KernelError) -> String {
        let path = cgroupPath(target)
        guard FileIO.isDirectory(path) else { throw .targetMissing(path: path) }
        let root: String
        let resolved: String
        do {
            root = try FileIO.realPath(cgroupRoot)
            resolved = try FileIO.realPath(path)
        } catch {
            throw .unreadable(error)
        }
        guard resolved.hasPrefix(root == "/" ? "/" : root + "/"), resolved != root else {
            throw .targetEscapes(path: path, resolved: resolved)
        }
        return path
    }

    /// The target's `total_rss + total_cache` (the seed's "mem usage").
    public func targetUsage(at targetPath: String) throws(KernelError) -> Bytes {
        if hierarchy == .v2 { return try targetUsageV2(at: targetPath) }
        return try parse("\(targetPath)/\(KernelFile.stat)") { text throws(ParseError) in
            try MemoryStat(parsing: text).hierarchicalUsage()
        }
    }

    func parse<T>(_ path: String, _ body: (String) throws(ParseError) -> T) throws(KernelError) -> T {
        try readParsed(path, body)
    }
}
