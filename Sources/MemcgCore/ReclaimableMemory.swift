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
///     reclaimable = file - shmem + slab_reclaimable            (no free swap)
///     reclaimable = file + anon + slab_reclaimable             (free swap)
///
/// shmem (tmpfs, shared memory) is counted in `file` but, like anon, can
/// only go to swap. Swap is judged by the node's `SwapFree`, not the
/// target's `memory.swap.max`: on a node with swap the bound counts anon
/// even where the target may not swap, so it errs high rather than low.
public enum ReclaimableMemory {
    public static func v2(stat: MemoryStat, swapFree: Bytes) throws(ParseError) -> Bytes {
        let file = try stat.bytes(.file)
        let slab = try stat.bytes(.slabReclaimable)
        if swapFree > .zero {
            return file + (try stat.bytes(.anon)) + slab
        }
        return (file - (try stat.bytes(.shmem))).clampedAtZero + slab
    }
}
