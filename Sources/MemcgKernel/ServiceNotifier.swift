#if canImport(Glibc)
import Glibc
#endif
import MemcgCore

/// Sends sd_notify(3) messages (`READY=1`, `STATUS=...`, `WATCHDOG=1`) to
/// systemd's notification socket: one datagram each, no reply, never
/// blocking (a full socket drops the message, and the next one carries the
/// news). Written here rather than linked from libsystemd so the binary
/// stays static and needs no library on the node.
public final class ServiceNotifier {
    public let socketName: String
    private let socketFD: FileDescriptor
    private var address = sockaddr_un()
    private let addressLength: socklen_t

    /// `socket` as `ServiceNotify` accepted it: a path or `@name`.
    public init(socket: String) throws(SystemError) {
        socketName = socket
        var bytes = Array(socket.utf8)
        // "@name" is an abstract socket: a NUL first, and no NUL at the end.
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { throw SystemError("use the notification socket", socket, errno: ENAMETOOLONG) }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            path.copyBytes(from: bytes)
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        addressLength = socklen_t(pathOffset + bytes.count + (abstract ? 0 : 1))
        let s = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard s >= 0 else { throw SystemError("create a socket for", socket, errno: lastErrno()) }
        socketFD = FileDescriptor(adopting: s)
    }

    /// One message: newline-separated `KEY=value` assignments.
    public func send(_ message: String) throws(SystemError) {
        var bytes = Array(message.utf8)
        let sent = bytes.withUnsafeMutableBytes { buffer in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    sendto(socketFD.raw, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), sa, addressLength)
                }
            }
        }
        guard sent < 0 else { return }
        throw SystemError("notify systemd through", socketName, errno: lastErrno(),
                          fix: "is the service Type=notify with NotifyAccess=main?")
    }

}
