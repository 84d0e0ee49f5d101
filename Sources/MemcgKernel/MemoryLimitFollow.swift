#if canImport(Glibc)
import Glibc
#endif
import CMemcgShims
import MemcgCore

/// The v1 limit lever followed down while a reclaim runs: a thread reads
/// the target's memory.usage_in_bytes and memory.stat every 50 ms and
/// applies `MemoryLimitLever`'s rules to them: it lowers
/// memory.limit_in_bytes behind the usage (`follow`, never below what the
/// target cannot give back + the margin, as read then), and lets go
/// (writes the original back, and stops) once that part nears the limit
/// (`letsGo`). A thread, because the reclaim is one blocking force_empty
/// write (44 s in one lab cell): what it frees would otherwise be taken
/// again by the writers, and a session's anon growing meanwhile would meet
/// the limit, before the check could look. Started and stopped around one
/// reclaim; every signal is blocked in it, so the write's SIGALRM and the
/// stop signals reach the writing thread only.
public final class MemoryLimitFollow: @unchecked Sendable {
    /// What the thread did.
    public struct Result: Sendable {
        /// The limit as it last wrote it (the starting one when it wrote
        /// none, the original after a let-go).
        public var limit: Bytes
        public var writes: Int
        /// What the target could not give back when the thread let go, and
        /// the lever's limit it replaced; nil when it did not.
        public var letGo: (unreclaimable: Bytes, limit: Bytes)?
        /// Why it stopped following early, when a write failed.
        public var failure: SystemError?
    }

    private let usage: FileDescriptor
    private let stat: FileDescriptor
    private let limitFile: FileDescriptor
    /// An eventfd the thread polls on: written by `stop`.
    private let cancel: FileDescriptor
    private let path: String
    private let original: Bytes
    /// The thread's own until `stop` has joined it.
    private var result: Result
    private var thread = pthread_t()
    private var running = false

    /// Starts following `file`'s limit, `limit` now; a let-go writes `original`.
    public init(_ file: LeverFile, limit: Bytes, original: Bytes) throws(SystemError) {
        usage = try FileDescriptor(opening: "\(file.targetPath)/\(KernelFile.usageInBytes)", flags: O_RDONLY | O_CLOEXEC)
        stat = try FileDescriptor(opening: "\(file.targetPath)/\(KernelFile.stat)", flags: O_RDONLY | O_CLOEXEC)
        limitFile = try FileDescriptor(opening: file.path, flags: O_WRONLY | O_CLOEXEC)
        let fd = eventfd(0, Int32(EFD_CLOEXEC))
        guard fd >= 0 else { throw SystemError("create the eventfd that stops the follow of", file.path, errno: errno) }
        cancel = FileDescriptor(adopting: fd)
        path = file.path
        self.original = original
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
            throw SystemError("start the thread that follows the usage down with", file.path, errno: e)
        }
        running = true
    }

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
        while true {
            var poll = pollfd(fd: cancel.raw, events: Int16(POLLIN), revents: 0)
            if Glibc.poll(&poll, 1, Int32(MemoryLimitLever.followPollMilliseconds)) > 0 { return }
            let limit = result.limit
            guard let now = try? CounterFile.parse(read(usage, limit: 64)),
                  let memoryStat = try? MemoryStat(parsing: read(stat, limit: 16_384)),
                  let kept = try? Lever.memoryLimit.unreclaimable(usage: now, stat: memoryStat) else { continue }
            if MemoryLimitLever.letsGo(unreclaimable: kept, limit: limit) {
                guard let failure = write(original) else {
                    result.letGo = (kept, limit)
                    result.limit = original
                    result.writes += 1
                    return
                }
                if failure.errno == EINTR { continue }
                result.failure = failure
                return
            }
            guard let value = MemoryLimitLever.follow(usage: now, floor: MemoryLimitLever.floor(unreclaimable: kept), limit: limit) else { continue }
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
