import MemcgCore

/// cgroup v2: the target's own `cgroup.stat`
/// counts its dying descendants (no walk, no race), and `memory.current` is
/// hierarchical with no "own" part once the target hands the memory
/// controller to its children (v2's no-internal-process rule). When it does
/// not (`memory` absent from `cgroup.subtree_control`), children are not
/// memory cgroups, cannot be dying memory cgroups, and the bytes are 0.
/// The bytes are 0 as well when `cgroup.stat` counts no dying memory
/// cgroup; only then are the children read.
public struct DyingCgroupsV2: DyingCgroupsSource {
    public init() {}

    /// The count is the target's own counter: nothing is left to complete.
    public func read(targetPath: String) throws(KernelError) -> DyingReading {
        DyingReading(dying: try measure(targetPath: targetPath), numCgroups: nil)
    }

    public func complete(_ readings: [DyingReading]) throws(KernelError) -> [DyingCgroups] { readings.map(\.dying) }

    public func measure(targetPath: String) throws(KernelError) -> DyingCgroups {
        let count = try readParsed("\(targetPath)/\(KernelFile.cgroupStat)") { text throws(ParseError) in
            try CgroupStat(parsing: text).dyingMemoryCgroups
        }
        // No dying memory cgroup, no dying bytes. What the subtraction below
        // would leave is not a dying cgroup's: the kernel charges each live
        // child's own kernel memory (its per-CPU statistics) to the parent,
        // so 1,000 empty children left 7.5 MiB (6.12 guest) that the
        // escalation would weigh as dying. Not reading the children also
        // keeps a check's cost off their number on the common path. A child
        // removed after `cgroup.stat` was read is counted by the next reading.
        guard count > 0 else { return DyingCgroups(count: count, scope: .target, bytes: .zero) }
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
        let children = try liveChildren(of: targetPath, file: KernelFile.memoryCurrent) { bytes in
            Result { () throws(ParseError) in try CounterFile.parse(String(decoding: bytes, as: UTF8.self)) }
        }
        return DyingCgroups(count: count, scope: .target, bytes: DyingCgroups.bytes(targetTotal: total, targetOwn: .zero, liveChildren: children))
    }
}

