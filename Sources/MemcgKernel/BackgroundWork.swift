#if canImport(Glibc)
import Glibc
#endif

/// One piece of work run on a thread of its own, its result collected by
/// `join`. A check starts v1's walk of the live directories this way just
/// before its reclaim's write, which blocks in the kernel for as long as the
/// reclaim takes (30 ms for an empty target with 1,000 children here, up to
/// `reclaim_timeout` on a real node): the walk, which the reclaim cannot
/// change, then costs the check no time of its own on a machine with a core
/// free. The thread starts with every signal blocked, so the deadline's
/// SIGALRM and `watch`'s stop signals still interrupt the writing thread.
/// When no thread can be made, `join` runs the work itself.
public final class BackgroundWork<Value: Sendable>: @unchecked Sendable {
    /// Shared with the thread; read after `pthread_join`, which orders the
    /// thread's write before it.
    private final class Slot: @unchecked Sendable {
        let work: @Sendable () -> Value
        var value: Value?
        init(_ work: @escaping @Sendable () -> Value) { self.work = work }
    }

    private let slot: Slot
    private var thread: pthread_t?

    public init(_ work: @escaping @Sendable () -> Value) {
        let slot = Slot(work)
        self.slot = slot
        thread = startThread { slot.value = slot.work() }
    }

    /// Waits for the work (or runs it, when no thread was made) and gives
    /// its value; later calls give the same value.
    public func join() -> Value {
        if let started = thread {
            pthread_join(started, nil)
            thread = nil
        }
        if let value = slot.value { return value }
        let value = slot.work()
        slot.value = value
        return value
    }

    /// A run that ends before `join` (an error on the way) still waits for
    /// its thread: `watch` lives on, and no thread may outlive its owner.
    deinit {
        if let started = thread { pthread_join(started, nil) }
    }
}

/// What a thread runs: not generic, as a C start routine cannot be.
private final class ThreadBody: @unchecked Sendable {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

/// pthread_create with every signal blocked in the new thread; nil when
/// no thread could be made.
private func startThread(_ run: @escaping @Sendable () -> Void) -> pthread_t? {
    var all = sigset_t()
    var old = sigset_t()
    sigfillset(&all)
    pthread_sigmask(SIG_SETMASK, &all, &old)
    defer { pthread_sigmask(SIG_SETMASK, &old, nil) }
    let argument = Unmanaged.passRetained(ThreadBody(run)).toOpaque()
    var thread = pthread_t()
    guard pthread_create(&thread, nil, { raw in
        Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue().run()
        return nil
    }, argument) == 0 else {
        Unmanaged<ThreadBody>.fromOpaque(argument).release()
        return nil
    }
    return thread
}
