#if canImport(Glibc)
import Glibc
#endif

/// `watch` keeps its own pages in RAM (mlockall(2)), so the daemon that
/// frees memory is not itself paged out and re-read from disk when the node
/// thrashes (earlyoom does the same).
///
/// MCL_ONFAULT locks a page only once it is touched: the daemon's footprint
/// is the code and data it actually runs (about 6 MiB, docs/benchmarks.md),
/// not the whole 26 MB static binary; without it MCL_CURRENT would fault in
/// and lock every page mapped at the call (mlockall(2)). MCL_FUTURE extends
/// the lock to the heap and stacks mapped later.
///
/// Without CAP_IPC_LOCK the kernel checks RLIMIT_MEMLOCK against the size of
/// every mapping, touched or not (mm/mlock.c): the unit's LimitMEMLOCK=
/// covers that.
public enum MemoryLock {
    /// `MON_MEMCG_LOCK_MEMORY=0` leaves the memory unlocked: for measuring
    /// the difference (scripts/bench-thrash.sh), or a drop-in's Environment=.
    public static let disableVariable = "MON_MEMCG_LOCK_MEMORY"

    public enum Outcome: Sendable, Equatable {
        case locked
        case disabled
        case refused(SystemError)
    }

    public static func lockAll() -> Outcome {
        if CurrentProcess.environment(disableVariable) == "0" { return .disabled }
        if mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0 { return .locked }
        let e = lastErrno()
        return .refused(SystemError("mlockall", "(MCL_CURRENT|MCL_FUTURE|MCL_ONFAULT)", errno: e, fix: fix(for: e)))
    }

    static func fix(for errno: Int32) -> String {
        var limit = rlimit()
        // glibc declares the resource as an enum whose macro Swift does not import.
        let soft = getrlimit(__rlimit_resource_t(__RLIMIT_MEMLOCK.rawValue), &limit) == 0 ? Self.mebibytes(limit.rlim_cur) : "unknown"
        switch errno {
        case ENOMEM, EPERM:
            return "RLIMIT_MEMLOCK is \(soft) and there is no CAP_IPC_LOCK: raise LimitMEMLOCK= in the unit (mon_memcg-watch.service ships 128M)"
        default:
            return "RLIMIT_MEMLOCK is \(soft)"
        }
    }

    static func mebibytes(_ value: rlim_t) -> String {
        value == rlim_t.max ? "unlimited" : "\(value >> 20) MiB"  // RLIM_INFINITY
    }
}
