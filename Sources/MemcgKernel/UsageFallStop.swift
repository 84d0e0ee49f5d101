#if canImport(Glibc)
import Glibc
#endif
import CMemcgShims
import MemcgCore

/// Interrupts the calling thread's blocking write once a cgroup v1
/// target's `memory.usage_in_bytes` has fallen to a level and its working
/// set (usage - `total_inactive_file`, what kubelet counts) to another: how
/// a force_empty is stopped by amount (`reclaim_amount = deficit`).
///
/// Both, because each alone misses: force_empty frees inactive pages
/// first, and freeing an inactive page lowers usage without lifting
/// kubelet's available memory (measured: 602 MB of cold cache freed, the
/// node's available unchanged); it also deactivates active pages, which
/// lowers the working set with nothing freed.
///
/// The kernel's own notification does the first watch: a usage threshold
/// on the target through `cgroup.event_control` (it fires on a downward
/// crossing too, within a few hundred KiB of the level, see
/// `UsageThresholdEvent`). A thread waits on it, then reads memory.stat
/// every 2 ms until the working set is down too, and sends SIGALRM to the
/// writer, again every 20 ms until `finish()`: the same interruption as the
/// deadline's. It also reads the usage every 50 ms (every 5 ms when the
/// threshold cannot be registered), so a missed event only costs time.
final class UsageFallStop {
    private var handle: OpaquePointer?
    /// Kept open for the thread's reads; the registration holds its own.
    private let usageFD: FileDescriptor
    private let statFD: FileDescriptor
    private let event: UsageThresholdEvent?

    /// `level`: the usage at which the write may be interrupted (more than
    /// 0); `workingSetLevel`: the working set at which it is.
    init(cgroupPath: String, level: Bytes, workingSetLevel: Bytes) throws(SystemError) {
        let usagePath = "\(cgroupPath)/\(KernelFile.usageInBytes)"
        usageFD = try FileDescriptor(opening: usagePath, flags: O_RDONLY)
        statFD = try FileDescriptor(opening: "\(cgroupPath)/\(KernelFile.stat)", flags: O_RDONLY)
        // Without the event (a fixture tree, a kernel that refuses it) the poll alone stops the write.
        event = try? UsageThresholdEvent(cgroupPath: cgroupPath, thresholds: [level])
        var error: Int32 = 0
        handle = memcg_usage_stop_start(event?.fd ?? -1, usageFD.raw, level.value, statFD.raw, workingSetLevel.value,
                                        memcg_gettid(), event == nil ? 5 : 50, &error)
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
