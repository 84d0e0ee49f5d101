#if canImport(Glibc)
import Glibc
#endif

/// This process: its ids and environment, read through one place so the
/// engine needs no libc.
public enum CurrentProcess {
    public static var id: Int32 { getpid() }
    public static var isRoot: Bool { geteuid() == 0 }
    public static var effectiveUserID: UInt32 { geteuid() }

    public static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
