#if canImport(Glibc)
import Glibc
#endif
import CMemcgShims

/// The stop signal seen by the handler during a check, if any.
public enum StopSignal {
    public static var received: Int32? {
        let s = memcg_stop_signal()
        return s == 0 ? nil : s
    }

    public static func name(_ signo: Int32) -> String {
        switch signo {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGHUP: "SIGHUP"
        default: "signal \(signo)"
        }
    }

    /// SIGHUP: not a stop, a reload.
    public static var reloadSignal: Int32 { SIGHUP }

    /// Ends the repeating SIGALRM once the interrupted check has unwound.
    public static func quiet() { memcg_stop_timer_disarm() }
}
