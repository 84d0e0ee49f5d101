/// What systemd asks of a `Type=notify` service, read from the environment
/// it starts the service with (sd_notify(3), sd_watchdog_enabled(3)):
/// where to send readiness and status, and how often to prove it is alive.
public struct ServiceNotify: Equatable, Sendable {
    /// The notification socket: a file system path, or `@name` for an
    /// abstract one. nil: not started by systemd as `Type=notify`.
    public var socket: String?
    /// Send `WATCHDOG=1` at least this often: half of `WATCHDOG_USEC`, as
    /// sd_watchdog_enabled(3) advises. nil: no watchdog.
    public var watchdogPingMilliseconds: Int64?
    /// Set when `NOTIFY_SOCKET` is set but unusable: said once in the log,
    /// since systemd will then wait for a readiness that never comes.
    public var problem: String?

    public init(socket: String? = nil, watchdogPingMilliseconds: Int64? = nil, problem: String? = nil) {
        self.socket = socket
        self.watchdogPingMilliseconds = watchdogPingMilliseconds
        self.problem = problem
    }

    /// `pid` is this process: `WATCHDOG_PID`, when set, names the process
    /// the watchdog is meant for (a child started by the service must not
    /// take it).
    public static func from(notifySocket: String?, watchdogUsec: String?, watchdogPid: String?, pid: Int32) -> ServiceNotify {
        var result = ServiceNotify()
        if let socket = notifySocket, !socket.isEmpty {
            if socket.hasPrefix("@") ? socket.utf8.count >= 2 : socket.hasPrefix("/") {
                // sockaddr_un holds 108 bytes, the path's terminating NUL included.
                if socket.utf8.count <= 107 {
                    result.socket = socket
                } else {
                    result.problem = "NOTIFY_SOCKET \(socket.prefix(60))... is longer than a unix socket address"
                }
            } else {
                result.problem = "NOTIFY_SOCKET \"\(socket.prefix(60))\" is neither a path nor an @abstract name (vsock is not supported)"
            }
        }
        if let pidText = watchdogPid, Int32(pidText) != pid { return result }
        if let text = watchdogUsec, let usec = Int64(text), usec > 0 {
            result.watchdogPingMilliseconds = max(1, usec / 2_000)
        }
        return result
    }
}
