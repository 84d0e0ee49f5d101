#if canImport(Glibc)
import Glibc
#endif
import CMemcgShims
import MemcgCore

/// The v1 limit lever watched by a thread every 50 ms, which applies
/// `MemoryLimitLever`'s rules to the target's memory.usage_in_bytes and
/// memory.stat as read then. A thread, because v1's limit is hard: a
/// session's anon growing past it is OOM-killed, and the daemon's own
/// thread is either blocked in force_empty (44 s in one lab cell) or
/// asleep until its next wake-up. Two modes:
///
/// - `follow`, while a reclaim runs (the check holds the run lock, so the
///   limit is the lever's as read before): lowers memory.limit_in_bytes
///   behind the usage (`follow`, never below what the target cannot give
///   back + the margin), so what the reclaim frees is not taken again by
///   the writers; and lets go (writes the original back, and stops) once
///   that part nears the limit (`letsGo`).
/// - `letGoOnly`, between a watch's wake-ups while the lever is engaged
///   (no lock held: a oneshot check may restore the limit meanwhile): the
///   let-go alone, on a limit read again at every poll and only while the
///   record says it is the lever's own (`Lever.restore`). It never lowers
///   the limit, so it never clamps what another run has put back.
///
/// Every signal is blocked in the thread, so the write's SIGALRM and the
/// stop signals reach the daemon's thread only. `finished` is readable once
/// the thread has stopped by itself (a let-go, a failed write): the daemon
/// polls it, to log the let-go when it happens.
public final class MemoryLimitFollow: @unchecked Sendable {
    public enum Mode: Sendable {
        case follow
        /// `record`: the lever's, as the last check that held the run lock left it.
        case letGoOnly(LeverRecord)
    }

    /// What the thread did.
    public struct Result: Sendable {
        /// The limit as it last wrote it (the starting one when it wrote
        /// none, the original after a let-go).
        public var limit: Bytes
        public var writes: Int
        /// What the target could not give back when the thread let go, the
        /// lever's limit it replaced, and how long after the thread started;
        /// nil when it did not.
        public var letGo: (unreclaimable: Bytes, limit: Bytes, afterMilliseconds: Int64)?
        /// Why it stopped following early, when a write failed.
        public var failure: SystemError?
    }

    private let usage: FileDescriptor
    private let stat: FileDescriptor
    private let limitFile: FileDescriptor
    /// An eventfd the thread polls on: written by `stop`.
    private let cancel: FileDescriptor
    /// An eventfd the thread writes when it stops by itself.
    private let done: FileDescriptor
    private let mode: Mode
    private let started = MonotonicClock.nowMilliseconds()
    private let path: String
    private let original: Bytes
    /// The thread's own until `stop` has joined it.
    private var result: Result
    private var thread = pthread_t()
    private var running = false

    /// Starts watching `file`'s limit, `limit` now; a let-go writes `original`.
    public init(_ file: LeverFile, limit: Bytes, original: Bytes, mode: Mode = .follow) throws(SystemError) {
        usage = try FileDescriptor(opening: "\(file.targetPath)/\(KernelFile.usageInBytes)", flags: O_RDONLY | O_CLOEXEC)
        stat = try FileDescriptor(opening: "\(file.targetPath)/\(KernelFile.stat)", flags: O_RDONLY | O_CLOEXEC)
        limitFile = try FileDescriptor(opening: file.path, flags: O_RDWR | O_CLOEXEC)
        cancel = try Self.counter(file.path)
        done = try Self.counter(file.path)
        path = file.path
        self.original = original
        self.mode = mode
        result = Result(limit: limit, writes: 0)

        var all = sigset_t(), saved = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_SETMASK, &all, &saved)
        let context = Unmanaged.passRetained(self).toOpaque()
        let e = pthread_create(&thread, nil, { context in
            let follow = Unmanaged<MemoryLimitFollow>.fromOpaque(context!).takeUnretainedValue()
            follow.loop()
            return nil
        }, context)
        pthread_sigmask(SIG_SETMASK, &saved, nil)
        guard e == 0 else {
            Unmanaged<MemoryLimitFollow>.fromOpaque(context).release()
            throw SystemError("start the thread that watches", file.path, errno: e)
        }
        running = true
    }

    /// An eventfd: the two ways the daemon and the thread tell each other they are done.
    private static func counter(_ path: String) throws(SystemError) -> FileDescriptor {
        let fd = eventfd(0, Int32(EFD_CLOEXEC))
        guard fd >= 0 else { throw SystemError("create an eventfd for the thread that watches", path, errno: errno) }
        return FileDescriptor(adopting: fd)
    }

    /// Readable once the thread has stopped by itself; `stop` then returns at once.
    public var finished: Int32 { done.raw }

    /// Stops and joins the thread; a second call says the same as the first.
    public func stop() -> Result {
        guard running else { return result }
        var one: UInt64 = 1
        while Glibc.write(cancel.raw, &one, MemoryLayout<UInt64>.size) < 0 && errno == EINTR {}
        pthread_join(thread, nil)
        running = false
        Unmanaged.passUnretained(self).release()
        return result
    }

    /// The thread: every 50 ms until `stop`, or until a let-go or a failed write.
    private func loop() {
        watch()
        var one: UInt64 = 1
        while Glibc.write(done.raw, &one, MemoryLayout<UInt64>.size) < 0 && errno == EINTR {}
    }

    private func watch() {
        while true {
            var poll = pollfd(fd: cancel.raw, events: Int16(POLLIN), revents: 0)
            if Glibc.poll(&poll, 1, Int32(MemoryLimitLever.followPollMilliseconds)) > 0 { return }
            if case .letGoOnly(let record) = mode {
                // Only a limit that is the lever's own: another run may have
                // restored it, or someone set their own since.
                guard let current = try? CgroupLimit(parsing: read(limitFile, limit: 64)),
                      let own = Lever.own(record, now: current) else { continue }
                result.limit = own
            }
            let limit = result.limit
            guard let now = try? CounterFile.parse(read(usage, limit: 64)),
                  let memoryStat = try? MemoryStat(parsing: read(stat, limit: 16_384)),
                  let kept = try? Lever.memoryLimit.unreclaimable(usage: now, stat: memoryStat) else { continue }
            if MemoryLimitLever.letsGo(unreclaimable: kept, limit: limit) {
                guard let failure = write(original) else {
                    result.letGo = (kept, limit, MonotonicClock.nowMilliseconds() - started)
                    result.limit = original
                    result.writes += 1
                    return
                }
                if failure.errno == EINTR { continue }
                result.failure = failure
                return
            }
            guard case .follow = mode,
                  let value = MemoryLimitLever.follow(usage: now, floor: MemoryLimitLever.floor(unreclaimable: kept), limit: limit) else { continue }
            if let failure = write(value) {
                // A usage that grew past the value between the read and the
                // write makes the kernel reclaim first; it may refuse (EBUSY)
                // or be slow. The lever's value stands as last written.
                if failure.errno == EINTR { continue }
                result.failure = failure
                return
            }
            result.limit = value
            result.writes += 1
        }
    }

    /// A cgroup file's text from its start: the descriptors stay open, and
    /// a cgroup file is read again from offset 0.
    private func read(_ file: FileDescriptor, limit: Int) -> String {
        var buffer = [UInt8](repeating: 0, count: limit)
        let n = buffer.withUnsafeMutableBytes { pread(file.raw, $0.baseAddress, limit, 0) }
        return n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : ""
    }

    private func write(_ value: Bytes) -> SystemError? {
        let text = Array("\(value)\n".utf8)
        let n = text.withUnsafeBytes { pwrite(limitFile.raw, $0.baseAddress, $0.count, 0) }
        return n < 0 ? SystemError("write \(value) to", path, errno: errno) : nil
    }
}
