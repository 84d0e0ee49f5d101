#if canImport(Glibc)
import Glibc
#endif
import MemcgCore

/// cgroup v1: count from `/proc/cgroups` against the live directories of
/// the memory mount, bytes from the target's and its live children's
/// `memory.stat`. Cgroups come and go while it reads (sessions log in and
/// out): a child that vanishes mid-walk is skipped, and the count is taken
/// again when `num_cgroups` moved during the walk.
public struct DyingCgroupsV1: DyingCgroupsSource {
    public var cgroupRoot: String
    public var procRoot: String

    /// More live directories than this is a loop or a broken mount, not a
    /// memory hierarchy: the walk stops with an error instead of running on.
    public static let maxDirectories: Int64 = 1_000_000

    public init(cgroupRoot: String, procRoot: String) {
        self.cgroupRoot = cgroupRoot
        self.procRoot = procRoot
    }

    public func measure(targetPath: String) throws(KernelError) -> DyingCgroups {
        let count = try count()
        let bytes = try bytes(targetPath: targetPath)
        return DyingCgroups(count: count, scope: .hierarchy, bytes: bytes)
    }

    /// `num_cgroups` before and after the walk; when they differ, cgroups
    /// were created or freed meanwhile and the walk is repeated (three tries,
    /// then the smaller `num_cgroups` is used, which can only under-count).
    public func count() throws(KernelError) -> Int64 {
        var result: Int64 = 0
        for _ in 0..<3 {
            let before = try numCgroups()
            let live: Int64
            do {
                live = try DirectoryWalk.countDirectories(cgroupRoot, limit: Self.maxDirectories)
            } catch {
                throw .unreadable(error)
            }
            let after = try numCgroups()
            result = DyingCgroups.countV1(numCgroups: min(before, after), liveDirectories: live)
            if before == after { break }
        }
        return result
    }

    func numCgroups() throws(KernelError) -> Int64 {
        let path = "\(procRoot)/\(KernelFile.cgroups)"
        return try readParsed(path) { text throws(ParseError) in try ProcCgroups(parsing: text).memoryCgroups() }
    }

    /// Target first, then its direct children (each child's `total_*`
    /// covers its own descendants).
    public func bytes(targetPath: String) throws(KernelError) -> Bytes {
        let statPath = "\(targetPath)/\(KernelFile.stat)"
        let (total, own) = try readParsed(statPath) { text throws(ParseError) -> (Bytes, Bytes) in
            let stat = try MemoryStat(parsing: text)
            return (try stat.hierarchicalUsage(), try stat.bytes(StatField.rss) + stat.bytes(StatField.cache))
        }
        let children = try liveChildren(of: targetPath, file: KernelFile.stat) { text throws(ParseError) in
            try MemoryStat(parsing: text).hierarchicalUsage()
        }
        return DyingCgroups.bytes(targetTotal: total, targetOwn: own, liveChildren: children)
    }
}

