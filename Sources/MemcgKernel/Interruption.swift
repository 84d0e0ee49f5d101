#if canImport(Glibc)
import Glibc
#endif
import CMemcgShims
import MemcgCore

/// Everything that interrupts a blocking write, armed and disarmed here and
/// nowhere else: the deadline of every write, `watch`'s stop signals
/// (SIGTERM, SIGINT; SIGHUP is a reload, read between checks by
/// `WatchSignals`) and the usage stop of a force_empty by amount
/// (`UsageFallStop`). The handlers, timers and the usage thread are C
/// (`CMemcgShims/interrupt.c`, async-signal-safe); this type is their only
/// caller.
///
/// They all end a write the same way: a signal with a handler (no
/// SA_RESTART) reaches the writing thread, and the kernel's reclaim loops
/// check `signal_pending()`, so the write returns EINTR. Each repeats its
/// signal until disarmed (the deadline every 200 ms, a stop every 50 ms until
/// `quiet()`, the usage stop every 20 ms), so one that lands just before the
/// write starts cannot leave it running. The timers are aimed at one thread:
/// in a process with several, a process signal often reaches another.
///
/// What fired is the write's outcome (`WriteOutcome.interrupted(_:cause:)`);
/// `stopRequested` is the one question left for the rest of a check.
public enum Interruption {
    /// Why a write returned EINTR.
    public enum Cause: Equatable, Sendable {
        /// The write's deadline passed (reclaim_timeout, or what is left of it).
        case deadline
        /// `watch` is stopping.
        case stopSignal(StopSignal)
        /// The target's usage fell to the usage stop's level: the stop asked for.
        case usageReached

        /// The stop signal, when that is the cause.
        public var stopSignal: StopSignal? {
            if case .stopSignal(let signal) = self { return signal }
            return nil
        }
    }

    /// Runs `body`, one blocking write, on the calling thread with its
    /// deadline (and the usage stop, if any) armed, and disarms them before
    /// returning. `cause` is what fired, the most decisive first when
    /// several did (the usage level, a stop signal, the deadline); nil when
    /// nothing did. Throws, with `path` named, when it cannot arm: a write
    /// that nothing could stop is never started.
    static func bounding<T>(_ path: String, deadlineMilliseconds: Int64, usageStop: UsageFallStop?,
                            _ body: () -> T) throws(SystemError) -> (result: T, cause: Cause?) {
        var usageFD: FileDescriptor?
        var event: UsageThresholdEvent?
        if let usageStop {
            usageFD = try FileDescriptor(opening: usageStop.usagePath, flags: O_RDONLY)
            // Without the event (a fixture tree, a kernel that refuses it) the poll alone stops the write.
            event = try? UsageThresholdEvent(cgroupPath: usageStop.cgroupPath, thresholds: [usageStop.level])
        }
        var error: Int32 = 0
        guard let armed = memcg_guard_arm(deadlineMilliseconds, &error) else {
            throw SystemError("arm the deadline timer for a write to", path, errno: error)
        }
        if let usageStop, let usageFD {
            let e = memcg_guard_watch_usage(armed, event?.fd ?? -1, usageFD.raw, usageStop.level.value, event == nil ? 5 : 50)
            guard e == 0 else {
                _ = memcg_guard_disarm(armed)
                throw SystemError("start the thread that stops a write at a usage level of", usageStop.usagePath, errno: e)
            }
        }
        let result = body()
        let fired = memcg_guard_disarm(armed)
        // The thread read them until the disarm joined it.
        withExtendedLifetime((usageFD, event)) {}
        return (result, cause(fired))
    }

    private static func cause(_ fired: Int32) -> Cause? {
        switch fired {
        case Int32(MEMCG_CAUSE_USAGE): .usageReached
        case Int32(MEMCG_CAUSE_STOP): stopRequested.map { .stopSignal($0) } ?? .deadline
        case Int32(MEMCG_CAUSE_DEADLINE): .deadline
        default: nil
        }
    }

    // MARK: watch's stop signals

    private static var stopSignals: sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        return set
    }

    /// Catches SIGTERM and SIGINT for `watch` and holds them (blocked) until
    /// `allowStop()`. The handler records the first and repeats SIGALRM at
    /// the calling thread, which must be the one that writes.
    static func catchStopSignals() throws(SystemError) {
        let caught = memcg_stop_catch()
        guard caught == 0 else { throw SystemError("install the stop handler for", "SIGTERM/SIGINT", errno: caught) }
        holdStop()
    }

    /// From here until `holdStop()`, SIGTERM/SIGINT interrupt blocking calls
    /// of this thread. A stop signal already pending is delivered now.
    static func allowStop() {
        var set = stopSignals
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// SIGTERM/SIGINT blocked again (watch reads them from its signalfd).
    static func holdStop() {
        var set = stopSignals
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// The stop signal received during a check, if any: the one question
    /// that is not about a single write (is `watch` stopping?). Asked on the
    /// thread that caught the stop signals; nil on any other (the stop's
    /// timer does not interrupt its writes).
    public static var stopRequested: StopSignal? {
        let signo = memcg_stop_signal()
        return signo == 0 ? nil : StopSignal(number: signo)
    }

    /// Ends the repeating SIGALRM once the interrupted check has unwound.
    public static func quiet() { memcg_stop_quiet() }

    /// Undoes `catchStopSignals()`: the default actions, no timer, no stop
    /// signal recorded.
    static func releaseStopSignals() { memcg_stop_release() }
}
