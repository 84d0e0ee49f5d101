/// What `memory.reclaim` can take from a cgroup v2 target now, read from
/// its `memory.stat`: an upper bound on the request, so that a check does
/// not ask the kernel for memory it cannot free.
///
/// Why it matters: `memory.current` also counts kernel memory that no
/// reclaim frees (page tables, kernel stacks, per-cpu and unreclaimable
/// slab; a dying or empty child holds little else). Asked for that, the
/// kernel walks every cgroup below the target up to 16 times
/// (MAX_RECLAIM_RETRIES) and answers EAGAIN: with 1,000 empty children
/// below the target, 94–108 ms for nothing in the VM bench
/// (docs/benchmarks.md).
///
///     reclaimable = file - shmem + slab_reclaimable + min(anon + shmem, swap room)
///
/// shmem (tmpfs, shared memory) is counted in `file` but, like anon, can
/// only go to swap. The swap room is the node's `SwapFree`, and no more than
/// what `memory.swap.max` leaves the target and each cgroup above it
/// (`swapRoom`): a target with `memory.swap.max` 0 gives back no anon
/// however much swap the node has.
public enum ReclaimableMemory {
    public static func v2(stat: MemoryStat, swapRoom: Bytes) throws(ParseError) -> Bytes {
        let file = try stat.bytes(.file)
        let slab = try stat.bytes(.slabReclaimable)
        // Never more than `file`, which counts it (the two are read apart).
        let shmemCounted = try stat.bytes(.shmem)
        let shmem = min(shmemCounted, file).clampedAtZero
        let anon = try stat.bytes(.anon)
        return (file - shmem) + slab + min(anon + shmem, swapRoom.clampedAtZero)
    }

    /// One cgroup's swap limit: `memory.swap.max` and `memory.swap.current`.
    public struct SwapLimit: Equatable, Sendable {
        public var max: CgroupLimit
        public var current: Bytes
        public init(max: CgroupLimit, current: Bytes) {
            self.max = max
            self.current = current
        }
    }

    /// What a reclaim can move to swap from a target whose own and
    /// ancestors' limits are `limits`: `swapFree`, and no more than the
    /// smallest room left under a `memory.swap.max` (none below 0).
    public static func swapRoom(swapFree: Bytes, limits: [SwapLimit]) -> Bytes {
        var room = swapFree.clampedAtZero
        for limit in limits {
            if case .bytes(let max) = limit.max { room = min(room, (max - limit.current).clampedAtZero) }
        }
        return room
    }
}
