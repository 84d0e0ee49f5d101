import Foundation
import Testing
@testable import MemcgKernel
import MemcgCore
import TestSupport

/// The interruption module on its own: each source says itself in the
/// write's outcome, and nothing fires once a write is disarmed. Serialized:
/// the stop signals and the SIGALRM disposition belong to the process.
@Suite(.serialized)
struct InterruptionTests {
    /// A FIFO with no reader in force_empty's place: open(O_WRONLY) blocks as
    /// a busy force_empty blocks write(2), until a signal interrupts it.
    private static func blockingForceEmpty(_ tree: FixtureTree) throws -> String {
        try tree.remove("cgroup/user.slice/memory.force_empty")
        let path = tree.path("cgroup/user.slice/memory.force_empty")
        #expect(mkfifo(path, 0o600) == 0)
        return path
    }

    /// Runs `action` on another thread after `milliseconds`; the returned
    /// wait, which may be called again, returns once it has run.
    private static func after(_ milliseconds: UInt32, _ action: @escaping @Sendable () -> Void) -> @Sendable () -> Void {
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            usleep(milliseconds * 1000)
            action()
            done.signal()
        }
        return {
            done.wait()
            done.signal()
        }
    }

    @Test("the deadline fires and says deadline")
    func deadline() throws {
        let tree = try FixtureTree()
        let path = try Self.blockingForceEmpty(tree)
        let outcome = try DeadlineWrite.write("1\n", to: path, deadlineMilliseconds: 200)
        guard case .interrupted(let ms, .deadline) = outcome else { Issue.record("\(outcome)"); return }
        #expect(ms >= 200 && ms < 1_500, "interrupted after \(ms) ms for a 200 ms deadline")
    }

    @Test("a stop signal during a write says the signal; so does a write after it until released; then the deadline again")
    func stopSignal() throws {
        let tree = try FixtureTree()
        let path = try Self.blockingForceEmpty(tree)
        try Interruption.catchStopSignals()
        Interruption.allowStop()
        let writer = pthread_self()
        let sent = Self.after(150) { _ = pthread_kill(writer, SIGTERM) }
        defer {
            // The signal has landed before its handler is taken away.
            sent()
            Interruption.holdStop()
            Interruption.releaseStopSignals()
        }

        let first = try DeadlineWrite.write("1\n", to: path, deadlineMilliseconds: 5_000)
        guard case .interrupted(let ms, .stopSignal(let signal)) = first else { Issue.record("\(first)"); return }
        #expect(signal == StopSignal(number: SIGTERM))
        #expect(signal.name == "SIGTERM")
        #expect(ms >= 100 && ms < 2_000, "interrupted after \(ms) ms")
        #expect(Interruption.stopRequested == StopSignal(number: SIGTERM))
        // Asked on another thread, the stop is not its own.
        let elsewhere = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var seenElsewhere: StopSignal? = StopSignal(number: 0)
        Thread.detachNewThread {
            seenElsewhere = Interruption.stopRequested
            elsewhere.signal()
        }
        elsewhere.wait()
        #expect(seenElsewhere == nil)

        // A write that starts after the signal: the repeating alarm ends it.
        let second = try DeadlineWrite.write("1\n", to: path, deadlineMilliseconds: 5_000)
        guard case .interrupted(let ms2, .stopSignal) = second else { Issue.record("\(second)"); return }
        #expect(ms2 < 1_000, "the write after the stop ran \(ms2) ms")

        sent()
        Interruption.quiet()
        Interruption.holdStop()
        Interruption.releaseStopSignals()
        #expect(Interruption.stopRequested == nil)
        let third = try DeadlineWrite.write("1\n", to: path, deadlineMilliseconds: 150)
        guard case .interrupted(let ms3, .deadline) = third else { Issue.record("\(third)"); return }
        #expect(ms3 >= 150)
    }

    @Test("the usage stop says usage reached once usage falls to the level; above it the deadline says deadline")
    func usageReached() throws {
        let tree = try FixtureTree()
        let path = try Self.blockingForceEmpty(tree)
        try tree.write("cgroup/user.slice/memory.usage_in_bytes", "1000000\n")
        let stop = UsageFallStop(cgroupPath: tree.path("cgroup/user.slice"), level: Bytes(500_000))

        let above = try DeadlineWrite.write("1\n", to: path, deadlineMilliseconds: 200, usageStop: stop)
        guard case .interrupted(_, .deadline) = above else { Issue.record("\(above)"); return }

        // Rewritten in place: the stop's thread keeps the file open.
        let usage = tree.path("cgroup/user.slice/memory.usage_in_bytes")
        let fell = Self.after(150) { try? "400000\n".write(toFile: usage, atomically: false, encoding: .utf8) }
        defer { fell() }
        let outcome = try DeadlineWrite.write("1\n", to: path, deadlineMilliseconds: 5_000, usageStop: stop)
        guard case .interrupted(let ms, .usageReached) = outcome else { Issue.record("\(outcome)"); return }
        #expect(ms >= 100 && ms < 2_000, "interrupted after \(ms) ms")
    }

    @Test("a usage stop that cannot read usage refuses the write, naming the file")
    func usageStopUnreadable() throws {
        let tree = try FixtureTree()
        let stop = UsageFallStop(cgroupPath: tree.path("cgroup/nope"), level: Bytes(1))
        #expect {
            _ = try DeadlineWrite.write("1\n", to: tree.path("cgroup/user.slice/memory.force_empty"), deadlineMilliseconds: 1_000, usageStop: stop)
        } throws: { error in
            "\(error)".contains("cgroup/nope/memory.usage_in_bytes: No such file or directory")
        }
        #expect(tree.read("cgroup/user.slice/memory.force_empty") == "", "nothing written")
    }

    @Test("disarmed, nothing fires later: no SIGALRM interrupts or waits pending")
    func disarmLeavesNothing() throws {
        let tree = try FixtureTree()
        try tree.write("cgroup/user.slice/memory.usage_in_bytes", "100\n")
        let plain = tree.path("cgroup/user.slice/memory.force_empty")
        // Done at once, under a short deadline and a usage stop already reached (its thread signals every 20 ms).
        let done = try DeadlineWrite.write("1\n", to: plain, deadlineMilliseconds: 50,
                                           usageStop: UsageFallStop(cgroupPath: tree.path("cgroup/user.slice"), level: Bytes(1_000)))
        #expect(!done.wasInterrupted, "\(done)")
        // And one the deadline ended, whose timer repeats every 200 ms.
        let fifo = try Self.blockingForceEmpty(tree)
        #expect(try DeadlineWrite.write("1\n", to: fifo, deadlineMilliseconds: 50).cause == .deadline)

        let start = MonotonicClock.nowMilliseconds()
        let polled = poll(nil, 0, 600)
        let slept = MonotonicClock.nowMilliseconds() - start
        #expect(polled == 0 && slept >= 590, "poll(2) returned \(polled) after \(slept) ms: a signal came")
        var pending = sigset_t()
        sigpending(&pending)
        #expect(sigismember(&pending, SIGALRM) == 0, "a SIGALRM is left pending")
    }

    @Test("the SIGALRM handler is installed once, not by every write")
    func handlerInstalledOnce() throws {
        let tree = try FixtureTree()
        let fifo = try Self.blockingForceEmpty(tree)
        _ = try DeadlineWrite.write("1\n", to: fifo, deadlineMilliseconds: 20)
        var ours = sigaction()
        sigaction(SIGALRM, nil, &ours)
        #expect(ours.sa_flags & SA_SIGINFO != 0)
        #expect(ours.sa_flags & Int32(SA_RESTART) == 0, "blocked calls must return EINTR")

        // Another handler (also without SA_RESTART) put in its place stays there across a write.
        var other = sigaction()
        other.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&other.sa_mask)
        other.sa_flags = 0
        sigaction(SIGALRM, &other, nil)
        defer { sigaction(SIGALRM, &ours, nil) }
        let outcome = try DeadlineWrite.write("1\n", to: fifo, deadlineMilliseconds: 50)
        var now = sigaction()
        sigaction(SIGALRM, nil, &now)
        #expect(now.sa_flags & SA_SIGINFO == 0, "the write installed its handler again")
        // Its timer still ended the write; with no record of it, EINTR counts as the deadline.
        #expect(outcome.cause == .deadline)
    }

    @Test("nested and consecutive writes: each its own deadline, measured from its own start")
    func nestedAndConsecutive() throws {
        let tree = try FixtureTree()
        let fifo = try Self.blockingForceEmpty(tree)
        let start = MonotonicClock.nowMilliseconds()
        let (results, outerCause) = try Interruption.bounding(fifo, deadlineMilliseconds: 1_000, usageStop: nil) {
            let inner = Result { () throws(SystemError) -> WriteOutcome in try DeadlineWrite.write("1\n", to: fifo, deadlineMilliseconds: 200) }
            // The inner write's disarm left the outer deadline armed and SIGALRM unblocked.
            let fd = open(fifo, O_WRONLY)
            let errorNumber = errno
            if fd >= 0 { close(fd) }
            return (inner, fd, errorNumber, MonotonicClock.nowMilliseconds() - start)
        }
        let (inner, fd, errorNumber, outerMs) = results
        guard case .success(.interrupted(let innerMs, .deadline)) = inner else { Issue.record("\(inner)"); return }
        #expect(innerMs >= 200 && innerMs < 900)
        #expect(fd == -1 && errorNumber == EINTR)
        #expect(outerCause == .deadline)
        #expect(outerMs >= 990 && outerMs < 2_500, "the outer write ended after \(outerMs) ms for its 1 s deadline")

        // One after another: done, then interrupted after its own deadline, not the last one's.
        try tree.remove("cgroup/user.slice/memory.force_empty")
        try tree.write("cgroup/user.slice/memory.force_empty", "")
        let done = try DeadlineWrite.write("1\n", to: fifo, deadlineMilliseconds: 100)
        #expect(!done.wasInterrupted, "\(done)")
        #expect(tree.read("cgroup/user.slice/memory.force_empty") == "1\n")
        let again = try Self.blockingForceEmpty(tree)
        let last = try DeadlineWrite.write("1\n", to: again, deadlineMilliseconds: 150)
        guard case .interrupted(let lastMs, .deadline) = last else { Issue.record("\(last)"); return }
        #expect(lastMs >= 150 && lastMs < 1_000)
    }
}
