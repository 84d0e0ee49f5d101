import MemcgCore

/// Why the kernel layer could not produce an observation or finish an
/// action. Each case carries the path and what to do about it; the command
/// maps each case to its documented exit status.
public enum KernelError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A kernel file is missing or unreadable: unsupported host.
    case unreadable(SystemError)
    /// A kernel file says something we cannot parse: fail closed.
    case malformed(path: String, ParseError)
    /// The memory controller is not mounted where `cgroup_root` points.
    case noMemoryController(path: String)
    /// `cgroup_root` unset and mountinfo shows no memory controller mount.
    case noMemoryMount(mountinfo: String)
    /// The target cgroup does not exist.
    case targetMissing(path: String)
    /// The target resolves outside the cgroup mount (a symlink).
    case targetEscapes(path: String, resolved: String)

    public var description: String {
        switch self {
        case .unreadable(let e):
            return e.description
        case .malformed(let path, let e):
            return "cannot use \(path): \(e) (the kernel reported something unexpected; nothing was reclaimed)"
        case .noMemoryController(let path):
            return "no cgroup v1 memory controller at \(path): \(KernelFile.usageInBytes) is missing, and no cgroup v2 one either: \(KernelFile.controllers) is missing or does not list memory (set cgroup_root to the v1 memory controller's or the cgroup2 mount, or leave it unset to find it in /proc/self/mountinfo)"
        case .noMemoryMount(let mountinfo):
            return "no memory controller is mounted: \(mountinfo) lists no cgroup v1 mount with the memory option and no cgroup2 mount (mount one, or set cgroup_root)"
        case .targetMissing(let path):
            return "target cgroup \(path) does not exist (set target to an existing cgroup below cgroup_root)"
        case .targetEscapes(let path, let resolved):
            return "target \(path) resolves to \(resolved), outside cgroup_root (refusing to touch it; fix target)"
        }
    }

    /// The same, for a read after a reclaim was written: "nothing was
    /// reclaimed" would be false there.
    public var descriptionAfterReclaim: String {
        guard case .malformed(let path, let e) = self else { return description }
        return "cannot use \(path): \(e) (the kernel reported something unexpected after the reclaim; the usage after it was not recorded)"
    }
}
