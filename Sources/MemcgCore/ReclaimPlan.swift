/// What one reclaim asks of the kernel. The host's memory controller picks
/// the plan for a decision; the check runs whichever it gets the same way.
public enum ReclaimPlan: Equatable, Sendable {
    /// cgroup v1: `echo 1 > memory.force_empty`, everything the target
    /// holds, in one write (the original script's reclaim).
    case emptyTarget
    /// cgroup v2: `memory.reclaim` asked for an amount, in bounded writes.
    case amount(ReclaimAmountPlan)

    /// The amount asked for, when the plan asks for one.
    public var request: Bytes? {
        if case .amount(let plan) = self { return plan.request }
        return nil
    }
}
