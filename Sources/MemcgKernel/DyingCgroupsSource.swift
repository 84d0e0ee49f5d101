#if canImport(Glibc)
import Glibc
#endif
import MemcgCore

/// Measures the dying cgroups below a target. One conformer per hierarchy,
/// handed out by the host's `MemoryController`: the escalation policy, logs
/// and status take a `DyingCgroups` either way.
public protocol DyingCgroupsSource: Sendable {
    func measure(targetPath: String) throws(KernelError) -> DyingCgroups
    /// What a reclaim can change, read before it: a few files and the
    /// target's direct children, never the whole hierarchy. A check reads
    /// this just before its first write and completes it after, so the
    /// write does not wait on a walk that grows with the node's cgroups.
    func read(targetPath: String) throws(KernelError) -> DyingReading
    /// The readings made whole, with one walk for all of them (v1); on v2
    /// a reading is already whole.
    func complete(_ readings: [DyingReading]) throws(KernelError) -> [DyingCgroups]
}

/// A measurement as read before a reclaim. On v1 `dying.count` is not
/// known yet: `num_cgroups` is kept, and the live directories it is
/// compared with are counted by `complete` (a reclaim neither creates nor
/// removes cgroups, so they are the same before and after it).
public struct DyingReading: Equatable, Sendable {
    public var dying: DyingCgroups
    /// v1 only: `/proc/cgroups`' memory `num_cgroups` when read.
    public var numCgroups: Int64?

    public init(dying: DyingCgroups, numCgroups: Int64?) {
        self.dying = dying
        self.numCgroups = numCgroups
    }
}

/// One value per live child cgroup of `targetPath`, read from `file` in
/// each. A child removed since the listing is skipped: its pages are dying
/// now, which is what the caller is measuring.
///
/// Each file is opened relative to the target's directory and read into
/// one buffer that every child reuses: with 1,000 children, the full path's
/// lookup from `/` and a String, an array and a copy per file were a third
/// of what reading the children cost (perf; docs/benchmarks.md, "The node's
/// cgroup count"). The errors name the full path, as a plain read's would.
func liveChildren(of targetPath: String, file: String,
                  _ parse: (UnsafeBufferPointer<UInt8>) -> Result<Bytes, ParseError>) throws(KernelError) -> [Bytes] {
    let names: [String]
    do {
        names = try DirectoryWalk.subdirectories(of: targetPath)
    } catch {
        throw .unreadable(error)
    }
    guard !names.isEmpty else { return [] }
    let directory = open(targetPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard directory >= 0 else { throw .unreadable(SystemError("open directory", targetPath, errno: lastErrno())) }
    defer { close(directory) }
    var buffer = ReadBuffer()
    var values: [Bytes] = []
    values.reserveCapacity(names.count)
    for name in names {
        let relative = "\(name)/\(file)"
        do {
            try buffer.read(at: directory, relative, path: "\(targetPath)/\(relative)")
        } catch where DirectoryWalk.vanished(error.errno) {
            continue
        } catch {
            throw .unreadable(error)
        }
        switch buffer.withContents(parse) {
        case .success(let value): values.append(value)
        case .failure(let error): throw .malformed(path: "\(targetPath)/\(relative)", error)
        }
    }
    return values
}

/// One buffer for many small kernel files read in turn: read until EOF
/// (cgroup files report size 0), grown when a file fills it, and more than
/// `limit` bytes is an error (as `FileIO.read`'s), not a silent truncation.
struct ReadBuffer {
    private var storage = [UInt8](repeating: 0, count: 16 * 1024)
    private(set) var count = 0
    let limit = 1 << 20

    /// Opens `relative` below the directory `directory` (symlinks followed,
    /// as `FileIO.read` does) and reads it whole; `path` words the errors.
    mutating func read(at directory: Int32, _ relative: String, path: String) throws(SystemError) {
        count = 0
        let fd = openat(directory, relative, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("open", path, errno: lastErrno()) }
        defer { close(fd) }
        while true {
            if count == storage.count {
                guard count <= limit else { throw SystemError("read", path, errno: EFBIG, fix: "larger than \(limit) bytes") }
                storage.append(contentsOf: repeatElement(0, count: storage.count))
            }
            let n = storage.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 {
                let e = lastErrno()
                if e == EINTR { continue }
                throw SystemError("read", path, errno: e)
            }
            if n == 0 { break }
            count += n
        }
        guard count <= limit else { throw SystemError("read", path, errno: EFBIG, fix: "larger than \(limit) bytes") }
    }

    func withContents<T>(_ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        storage.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[0..<count])) }
    }
}
