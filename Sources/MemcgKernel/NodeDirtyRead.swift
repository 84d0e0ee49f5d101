import Glibc
import MemcgCore

extension MemoryController {
    /// The node's dirty page cache and the kernel's limits on it, from
    /// `/proc/vmstat` and `/proc/sys/vm/dirty_*` (`NodeDirty`). Read by
    /// `status` only; nothing in a check's path waits on it.
    public func nodeDirty() throws(KernelError) -> NodeDirty {
        func sysctl(_ file: String) throws(KernelError) -> Int64 {
            try readParsed(procPath(file)) { text throws(ParseError) in try CounterFile.parse(text).value }
        }
        let sysctls = DirtySysctls(ratio: try sysctl(KernelFile.dirtyRatio), bytes: try sysctl(KernelFile.dirtyBytes),
                                   backgroundRatio: try sysctl(KernelFile.dirtyBackgroundRatio),
                                   backgroundBytes: try sysctl(KernelFile.dirtyBackgroundBytes))
        return try readParsed(procPath(KernelFile.vmstat)) { text throws(ParseError) in
            try NodeDirty(vmstat: text, pageSize: Int64(sysconf(Int32(_SC_PAGESIZE))), sysctls: sysctls)
        }
    }
}
