#if canImport(Glibc)
import Glibc
#endif
import MemcgCore

/// Measures the dying cgroups below a target. One conformer per hierarchy;
/// the command picks the one that matches the host (today always v1; the
/// v2 host detection plugs `DyingCgroupsV2` in, nothing else changes: the
/// escalation policy, logs and status take a `DyingCgroups` either way).
public protocol DyingCgroupsSource: Sendable {
    func measure(targetPath: String) throws(KernelError) -> DyingCgroups
}

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

/// cgroup v2, the seam for the v2 host: the target's own `cgroup.stat`
/// counts its dying descendants (no walk, no race), and `memory.current` is
/// hierarchical with no "own" part once the target hands the memory
/// controller to its children (v2's no-internal-process rule). When it does
/// not (`memory` absent from `cgroup.subtree_control`), children are not
/// memory cgroups, cannot be dying memory cgroups, and the bytes are 0.
public struct DyingCgroupsV2: DyingCgroupsSource {
    public init() {}

    public func measure(targetPath: String) throws(KernelError) -> DyingCgroups {
        let count = try readParsed("\(targetPath)/\(KernelFile.cgroupStat)") { text throws(ParseError) in
            try CgroupStat(parsing: text).dyingMemoryCgroups
        }
        let control: String
        do {
            control = try FileIO.read("\(targetPath)/\(KernelFile.cgroupSubtreeControl)")
        } catch {
            throw .unreadable(error)
        }
        guard control.split(whereSeparator: { $0 == " " || $0 == "\n" }).contains("memory") else {
            return DyingCgroups(count: count, scope: .target, bytes: .zero)
        }
        let total = try readParsed("\(targetPath)/\(KernelFile.memoryCurrent)") { text throws(ParseError) in try CounterFile.parse(text) }
        let children = try liveChildren(of: targetPath, file: KernelFile.memoryCurrent) { text throws(ParseError) in
            try CounterFile.parse(text)
        }
        return DyingCgroups(count: count, scope: .target, bytes: DyingCgroups.bytes(targetTotal: total, targetOwn: .zero, liveChildren: children))
    }
}

/// One value per live child cgroup of `targetPath`, read from `file` in
/// each. A child removed since the listing is skipped: its pages are dying
/// now, which is what the caller is measuring.
func liveChildren(of targetPath: String, file: String,
                  _ parse: (String) throws(ParseError) -> Bytes) throws(KernelError) -> [Bytes] {
    let names: [String]
    do {
        names = try DirectoryWalk.subdirectories(of: targetPath)
    } catch {
        throw .unreadable(error)
    }
    var values: [Bytes] = []
    for name in names {
        let path = "\(targetPath)/\(name)/\(file)"
        let text: String
        do {
            text = try FileIO.read(path)
        } catch where DirectoryWalk.vanished(error.errno) {
            continue
        } catch {
            throw .unreadable(error)
        }
        do {
            values.append(try parse(text))
        } catch {
            throw .malformed(path: path, error)
        }
    }
    return values
}

/// Reads a kernel file and parses it, mapping each failure to its KernelError.
func readParsed<T>(_ path: String, _ body: (String) throws(ParseError) -> T) throws(KernelError) -> T {
    let text: String
    do {
        text = try FileIO.read(path)
    } catch {
        throw .unreadable(error)
    }
    do {
        return try body(text)
    } catch {
        throw .malformed(path: path, error)
    }
}

/// Directory listing over opendir/readdir, never following symlinks, and
/// tolerant of directories removed while they are read (cgroupfs).
enum DirectoryWalk {
    /// A cgroup directory or file removed under us: ENOENT once gone,
    /// ENODEV for a kernfs node removed while open.
    static func vanished(_ errno: Int32) -> Bool { errno == ENOENT || errno == ENODEV || errno == ENOTDIR }

    /// `root` and every directory below it.
    static func countDirectories(_ root: String, limit: Int64) throws(SystemError) -> Int64 {
        var count: Int64 = 0
        var pending = [root]
        while let dir = pending.popLast() {
            let names: [String]
            do {
                names = try subdirectories(of: dir)
            } catch where dir != root && vanished(error.errno) {
                continue
            }
            count += 1
            guard count <= limit else {
                throw SystemError("walk", root, errno: E2BIG, fix: "more than \(limit) directories: is cgroup_root the memory controller's mount?")
            }
            pending.append(contentsOf: names.map { "\(dir)/\($0)" })
        }
        return count
    }

    /// Names of the directories directly in `dir` (not `.`/`..`, no symlinks).
    static func subdirectories(of dir: String) throws(SystemError) -> [String] {
        guard let handle = opendir(dir) else { throw SystemError("open directory", dir, errno: lastErrno()) }
        defer { closedir(handle) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(handle) else {
                let e = lastErrno()
                if e != 0 { throw SystemError("read directory", dir, errno: e) }
                break
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_DIR):
                names.append(name)
            case Int32(DT_UNKNOWN):
                var st = stat()
                if lstat("\(dir)/\(name)", &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { names.append(name) }
            default:
                continue
            }
        }
        return names.sorted()
    }
}
