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

