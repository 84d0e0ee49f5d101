import MemcgCore

/// Interrupt a force_empty once a cgroup v1 target's
/// `memory.usage_in_bytes` has fallen to a level: how it is stopped by
/// amount (`reclaim_amount = deficit`). A value: `Interruption` arms it with
/// the write's deadline and disarms both.
///
/// The level is the target's working set before the write (usage -
/// total_inactive_file, what kubelet counts) minus the amount, not its
/// usage minus the amount. force_empty frees inactive pages first, and an
/// inactive page freed lowers usage without lifting kubelet's available
/// memory (measured: 602 MB of cold cache freed, the node's available
/// unchanged). Watching the working set itself does not work either:
/// force_empty also deactivates active pages, which lowers it at once, and
/// a session re-reading them activates them again within a second
/// (measured: stopped "by amount", available back where it was). Usage at
/// or below (working set before - amount) means the amount was freed out of
/// what kubelet counted, and the working set, never above usage, stays
/// below that level whatever is activated again.
///
/// The kernel's own notification does the watching: a usage threshold on
/// the target through `cgroup.event_control` (it fires on a downward
/// crossing too, within a few hundred KiB of the level, see
/// `UsageThresholdEvent`). A thread waits on it and sends SIGALRM to the
/// writer, again every 20 ms until disarmed: the same interruption as the
/// deadline's. It also reads the usage every 50 ms (every 5 ms when the
/// threshold cannot be registered), so a missed event only costs time.
/// Made by the v1 controller (its memberwise init).
public struct UsageFallStop: Equatable, Sendable {
    public let cgroupPath: String
    /// The usage at which the write is interrupted (more than 0).
    public let level: Bytes

    var usagePath: String { "\(cgroupPath)/\(KernelFile.usageInBytes)" }
}
