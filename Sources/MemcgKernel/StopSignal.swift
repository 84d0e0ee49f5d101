#if canImport(Glibc)
import Glibc
#endif

/// A signal that stops `mon_memcg watch` (SIGTERM, SIGINT), as
/// `Interruption` reports it.
public struct StopSignal: Equatable, Sendable {
    public let number: Int32

    public init(number: Int32) { self.number = number }

    /// `SIGTERM`, as the log says it.
    public var name: String { Self.name(number) }

    public static func name(_ signo: Int32) -> String {
        switch signo {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGHUP: "SIGHUP"
        case SIGKILL: "SIGKILL"
        case SIGABRT: "SIGABRT"
        case SIGSEGV: "SIGSEGV"
        case SIGILL: "SIGILL"
        case SIGTRAP: "SIGTRAP"
        case SIGBUS: "SIGBUS"
        case SIGPIPE: "SIGPIPE"
        case SIGUSR1: "SIGUSR1"
        case SIGUSR2: "SIGUSR2"
        default: "signal \(signo)"
        }
    }

    /// SIGHUP: not a stop, a reload.
    public static var reloadSignal: Int32 { SIGHUP }
}
