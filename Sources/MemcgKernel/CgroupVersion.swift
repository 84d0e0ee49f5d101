import MemcgCore

/// Finding the memory controller (cgroup v1 or v2) and reading the v2 files.
extension MemcgHost {
    /// The host as configured, with `cgroupRoot` and `hierarchy` settled:
    ///
    /// - `cgroup_root` set: used as given, probed for its version
    ///   (`memory.usage_in_bytes` means v1; `cgroup.controllers` listing
    ///   `memory` means v2).
    /// - unset: the memory controller's mount from
    ///   `proc_root/self/mountinfo` (a v1 memory mount wins over cgroup2, as
    ///   on systemd's hybrid layout).
    public static func detect(config: Config) throws(KernelError) -> MemcgHost {
        var host = MemcgHost(config: config)
        if config.cgroupRootIsSet {
            host.hierarchy = try probe(config.cgroupRoot)
            return host
        }
        let mountinfoPath = host.procPath(KernelFile.mountinfo)
        let text: String
        do {
            text = try FileIO.read(mountinfoPath)
        } catch {
            throw .unreadable(SystemError(error.operation, error.path, errno: error.errno,
                                          fix: "is proc_root procfs? setting cgroup_root skips this detection"))
        }
        let mounts: MountInfo
        do {
            mounts = try MountInfo(parsing: text)
        } catch {
            throw .malformed(path: mountinfoPath, error)
        }
        guard let found = mounts.memoryController() else { throw .noMemoryMount(mountinfo: mountinfoPath) }
        host.cgroupRoot = found.mountPoint
        host.hierarchy = found.hierarchy
        if found.hierarchy == .v2, try !controllers(at: found.mountPoint).contains("memory") {
            throw .noMemoryController(path: found.mountPoint)
        }
        return host
    }

    /// The version of the hierarchy mounted at `root`.
    static func probe(_ root: String) throws(KernelError) -> CgroupHierarchy {
        if FileIO.exists("\(root)/\(KernelFile.usageInBytes)") { return .v1 }
        if FileIO.exists("\(root)/\(KernelFile.controllers)"), try controllers(at: root).contains("memory") { return .v2 }
        throw .noMemoryController(path: root)
    }

    /// `cgroup.controllers`: the controllers available in this cgroup,
    /// space-separated on one line.
    static func controllers(at cgroup: String) throws(KernelError) -> [String] {
        let path = "\(cgroup)/\(KernelFile.controllers)"
        do {
            return try FileIO.read(path).split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        } catch {
            throw .unreadable(error)
        }
    }

    /// kubelet's view on v2: MemTotal and the root's `memory.stat`
    /// (`anon`, `file`, `inactive_file`; the root has no `memory.current`),
    /// judged by `NodeSignalV2`.
    func observeNodeV2() throws(KernelError) -> NodeObservation {
        let meminfo = try parse(procPath(KernelFile.meminfo)) { text throws(ParseError) in try MemInfo(parsing: text) }
        let watermark = try parse(procPath(KernelFile.minFreeKbytes)) { text throws(ParseError) in
            try Watermark.parse(minFreeKbytes: text)
        }
        return try parse("\(cgroupRoot)/\(KernelFile.stat)") { text throws(ParseError) in
            try NodeSignalV2.observation(memTotal: meminfo.memTotal, rootStat: MemoryStat(parsing: text), watermark: watermark)
        }
    }

    /// The target's `memory.current` (v1's `total_rss + total_cache`).
    func targetUsageV2(at targetPath: String) throws(KernelError) -> Bytes {
        try parse("\(targetPath)/\(KernelFile.memoryCurrent)") { text throws(ParseError) in try CounterFile.parse(text) }
    }
}
