#if canImport(Glibc)
import Glibc
#endif

/// An open file descriptor that closes itself: no error path has to
/// remember to close it, and none can close it twice.
public final class FileDescriptor: @unchecked Sendable {
    public let raw: Int32
    private let owned: Bool

    /// Takes ownership of a descriptor that is already open.
    public init(adopting raw: Int32) {
        self.raw = raw
        owned = true
    }

    private init(borrowing raw: Int32) {
        self.raw = raw
        owned = false
    }

    /// Descriptor 1, never closed.
    public static let standardOutput = FileDescriptor(borrowing: 1)

    /// open(2); `operation` words the error ("open", "open log file", …).
    public init(opening path: String, flags: Int32, mode: mode_t = 0, operation: String = "open",
                fix: ((Int32) -> String?)? = nil) throws(SystemError) {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else {
            let e = lastErrno()
            throw SystemError(operation, path, errno: e, fix: fix?(e))
        }
        raw = fd
        owned = true
    }

    /// Writes all of `text`, retrying short writes. EINTR and EAGAIN are
    /// returned to the caller: they may be a deadline firing or the kernel's
    /// answer (memory.reclaim's "less than asked").
    public func writeAll(_ text: String, path: String) throws(SystemError) {
        try writeAll(Array(text.utf8), path: path)
    }

    public func writeAll(_ bytes: [UInt8], path: String) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(raw, $0.baseAddress, $0.count) }
            if n < 0 { throw SystemError("write", path, errno: lastErrno()) }
            offset += n
        }
    }

    /// Reads until EOF (kernel files report size 0); more than `limit`
    /// bytes is an error, not a silent truncation.
    public func readAll(path: String, limit: Int) throws(SystemError) -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(raw, $0.baseAddress, $0.count) }
            if n < 0 {
                let e = lastErrno()
                if e == EINTR { continue }
                throw SystemError("read", path, errno: e)
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > limit { throw SystemError("read", path, errno: EFBIG, fix: "larger than \(limit) bytes") }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    deinit { if owned { Glibc.close(raw) } }
}
