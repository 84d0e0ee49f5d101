import MemcgCore

/// Finding the node's memory controller, cgroup v1 or v2.
public enum MemoryControllers {
    /// The controller as configured:
    ///
    /// - `cgroup_root` set: used as given, probed for its version
    ///   (`memory.usage_in_bytes` means v1; `cgroup.controllers` listing
    ///   `memory` means v2).
    /// - unset: the memory controller's mount from
    ///   `proc_root/self/mountinfo` (a v1 memory mount wins over cgroup2, as
    ///   on systemd's hybrid layout).
    public static func detect(config: Config) throws(KernelError) -> any MemoryController {
        if config.cgroupRootIsSet {
            return make(try probe(config.cgroupRoot), cgroupRoot: config.cgroupRoot, procRoot: config.procRoot)
        }
        let mountinfoPath = "\(config.procRoot)/\(KernelFile.mountinfo)"
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
        if found.hierarchy == .v2, try !controllers(at: found.mountPoint).contains("memory") {
            throw .noMemoryController(path: found.mountPoint)
        }
        return make(found.hierarchy, cgroupRoot: found.mountPoint, procRoot: config.procRoot)
    }

    public static func make(_ hierarchy: CgroupHierarchy, cgroupRoot: String, procRoot: String) -> any MemoryController {
        switch hierarchy {
        case .v1: CgroupV1Controller(cgroupRoot: cgroupRoot, procRoot: procRoot)
        case .v2: CgroupV2Controller(cgroupRoot: cgroupRoot, procRoot: procRoot)
        }
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
}
