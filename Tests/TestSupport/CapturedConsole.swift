import MemcgKernel

/// A console that keeps what a command printed, so tests drive the engine
/// in-process and read what a person would have seen.
public final class CapturedConsole: Console, @unchecked Sendable {
    public private(set) var stdout = ""
    public private(set) var stderr = ""

    public init() {}

    public func out(_ text: String) { stdout += text }
    public func err(_ text: String) { stderr += text }
}
