/// Every kernel file the tool reads or writes, spelled the kernel's way, in
/// one place.
public enum KernelFile {
    // Below proc_root.
    public static let meminfo = "meminfo"
    public static let minFreeKbytes = "sys/vm/min_free_kbytes"
    public static let cgroups = "cgroups"
    // In a cgroup v1 memory controller directory.
    public static let usageInBytes = "memory.usage_in_bytes"
    public static let stat = "memory.stat"
    public static let forceEmpty = "memory.force_empty"
    // Only in a cgroup v2 (unified) directory.
    public static let cgroupControllers = "cgroup.controllers"
}
