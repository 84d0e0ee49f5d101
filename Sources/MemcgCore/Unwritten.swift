/// The target's page cache that is not on disk yet: dirty, and under
/// writeback. No reclaim frees these pages before they are written, so
/// while a node's writers keep gigabytes of them in the target, a reclaim
/// falls behind the disk (docs/efficacy.md, "The kernel's dirty limits").
/// Read from the target's `memory.stat` when reclaim_timeout interrupts a
/// reclaim, so the log says whether that was the cause.
public struct Unwritten: Equatable, Sendable {
    public var dirty: Bytes
    public var writeback: Bytes

    public init(dirty: Bytes, writeback: Bytes) {
        self.dirty = dirty
        self.writeback = writeback
    }

    /// v1 counts the target with its children (`total_*`); v2's
    /// `memory.stat` is hierarchical already.
    public static func fields(_ hierarchy: CgroupHierarchy) -> (dirty: StatField, writeback: StatField) {
        switch hierarchy {
        case .v1: (.totalDirty, .totalWriteback)
        case .v2: (.fileDirty, .fileWriteback)
        }
    }

    public init(stat: MemoryStat, hierarchy: CgroupHierarchy) throws(ParseError) {
        let (dirty, writeback) = Self.fields(hierarchy)
        self.init(dirty: try stat.bytes(dirty), writeback: try stat.bytes(writeback))
    }
}
