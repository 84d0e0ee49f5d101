#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call on a path: says the path, the errno and the fix.
public struct SystemError: Error, Equatable, Sendable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var errno: Int32
    public var fix: String?

    public init(_ operation: String, _ path: String, errno: Int32, fix: String? = nil) {
        self.operation = operation
        self.path = path
        self.errno = errno
        self.fix = fix ?? SystemError.defaultFix(for: errno)
    }

    public var errnoName: String {
        guard let s = strerror(errno) else { return "errno \(errno)" }
        return String(cString: s)
    }

    public var description: String {
        var text = "cannot \(operation) \(path): \(errnoName)"
        if let fix { text += " (\(fix))" }
        return text
    }

    static func defaultFix(for errno: Int32) -> String? {
        switch errno {
        case EACCES, EPERM: return "run as root"
        case EROFS: return "the file system is read-only; check the unit's ReadWritePaths="
        case ENOSPC: return "the file system is full"
        default: return nil
        }
    }
}

/// The errno of the last failed call, read once.
@inline(__always) func lastErrno() -> Int32 {
    #if canImport(Glibc) || canImport(Musl)
    return Glibc.errno
    #else
    return Darwin.errno
    #endif
}
