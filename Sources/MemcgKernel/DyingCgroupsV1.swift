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

    /// `num_cgroups` and the bytes, before a reclaim; the walk is left to
    /// `complete`.
    public func read(targetPath: String) throws(KernelError) -> DyingReading {
        let num = try numCgroups()
        let bytes = try bytes(targetPath: targetPath)
        return DyingReading(dying: DyingCgroups(count: 0, scope: .hierarchy, bytes: bytes), numCgroups: num)
    }

    /// One walk for every reading. A reading whose `num_cgroups` is the
    /// walk's is exact; one that differs saw cgroups created or freed since
    /// it was read, and is counted from the smaller `num_cgroups`, as
    /// `count()` does when cgroups move during its walk (it can only
    /// under-count).
    public func complete(_ readings: [DyingReading]) throws(KernelError) -> [DyingCgroups] {
        guard !readings.isEmpty else { return [] }
        let walk = try liveDirectories()
        return readings.map { reading in
            var dying = reading.dying
            let num = reading.numCgroups.map { min($0, walk.numCgroups) } ?? walk.numCgroups
            dying.count = DyingCgroups.countV1(numCgroups: num, liveDirectories: walk.live)
            return dying
        }
    }

    /// `num_cgroups` before and after the walk; when they differ, cgroups
    /// were created or freed meanwhile and the walk is repeated (three tries,
    /// then the smaller `num_cgroups` is used, which can only under-count).
    public func count() throws(KernelError) -> Int64 {
        let walk = try liveDirectories()
        return DyingCgroups.countV1(numCgroups: walk.numCgroups, liveDirectories: walk.live)
    }

    /// The live directories of the memory mount and the `num_cgroups` they
    /// are to be compared with, as `count()` describes.
    func liveDirectories() throws(KernelError) -> (live: Int64, numCgroups: Int64) {
        var result: (live: Int64, numCgroups: Int64) = (0, 0)
        for _ in 0..<3 {
            let before = try numCgroups()
            let live: Int64
            do {
                live = try DirectoryWalk.countDirectories(cgroupRoot, limit: Self.maxDirectories)
            } catch {
                throw .unreadable(error)
            }
            let after = try numCgroups()
            result = (live, min(before, after))
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
        let children = try liveChildren(of: targetPath, file: KernelFile.stat) { MemoryStat.hierarchicalUsage(utf8: $0) }
        return DyingCgroups.bytes(targetTotal: total, targetOwn: own, liveChildren: children)
    }
}

