#if canImport(Glibc)
import Glibc
#endif
import CMemcgShims
import MemcgCore

/// Interrupts the calling thread's blocking write once a cgroup v1
/// target's `memory.usage_in_bytes` has fallen to a level: how a
/// force_empty is stopped by amount (`reclaim_amount = deficit`).
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
/// writer, again every 20 ms until `finish()`: the same interruption as
/// the deadline's. It also reads the usage every 50 ms (every 5 ms when the
/// threshold cannot be registered), so a missed event only costs time.
final class UsageFallStop {
    private var handle: OpaquePointer?
    /// Kept open for the thread's reads; the registration holds its own.
    private let usageFD: FileDescriptor
    private let event: UsageThresholdEvent?

    /// `level`: the usage at which the write is interrupted (more than 0).
    init(cgroupPath: String, level: Bytes) throws(SystemError) {
        let usagePath = "\(cgroupPath)/\(KernelFile.usageInBytes)"
        usageFD = try FileDescriptor(opening: usagePath, flags: O_RDONLY)
        // Without the event (a fixture tree, a kernel that refuses it) the poll alone stops the write.
        event = try? UsageThresholdEvent(cgroupPath: cgroupPath, thresholds: [level])
        var error: Int32 = 0
        handle = memcg_usage_stop_start(event?.fd ?? -1, usageFD.raw, level.value, memcg_gettid(),
                                        event == nil ? 5 : 50, &error)
        guard handle != nil else {
            // Never start a write that would then run to the end unasked.
            throw SystemError("start the thread that stops a write at a usage level of", usagePath, errno: error)
        }
    }

    /// Stops the thread. True when the usage reached the level (and the
    /// writer was signalled).
    func finish() -> Bool {
        guard let h = handle else { return false }
        handle = nil
        return memcg_usage_stop_finish(h) == 1
    }

    deinit { _ = finish() }
}
