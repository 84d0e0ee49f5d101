/// What `mon_memcg watch` records after every completed check, so that a
/// process outside it (Kubernetes' liveness probe, `mon_memcg alive`) can
/// tell a working daemon from a stuck one: the systemd watchdog's role where
/// there is no systemd. The time is CLOCK_BOOTTIME in milliseconds, so a
/// wall-clock step (NTP, a person with `date -s`) neither fakes nor hides a
/// stall; the pid says which daemon wrote it.
public struct Heartbeat: Equatable, Sendable {
    public var bootMilliseconds: Int64
    public var pid: Int32

    public init(bootMilliseconds: Int64, pid: Int32) {
        (self.bootMilliseconds, self.pid) = (bootMilliseconds, pid)
    }

    /// One line, e.g. `boottime_ms=8123456 pid=1`.
    public var text: String { "boottime_ms=\(bootMilliseconds) pid=\(pid)\n" }

    /// Fails closed: anything but the exact line `text` writes is an error,
    /// so a truncated or foreign file never counts as alive.
    public init(parsing text: String) throws(ParseError) {
        var body = Substring(text)
        if body.hasSuffix("\n") { body = body.dropLast() }
        let fields = body.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 2, fields[0].hasPrefix("boottime_ms="), fields[1].hasPrefix("pid="),
              let ms = Units.parseCounter(fields[0].dropFirst("boottime_ms=".count)),
              let pid = Units.parseCounter(fields[1].dropFirst("pid=".count)), pid > 0, pid <= Int64(Int32.max)
        else {
            throw ParseError("expected \"boottime_ms=<milliseconds> pid=<pid>\", got \"\(body.prefix(80))\"")
        }
        self.init(bootMilliseconds: ms, pid: Int32(pid))
    }
}

extension Config {
    /// Next to the state file, so it lives in the directory the daemon may
    /// already write (RuntimeDirectory=, the DaemonSet's state hostPath).
    public var heartbeatFile: String { stateFile + Self.heartbeatSuffix }
    /// What `heartbeatFile` adds to the state file's path (StateStore
    /// removes killed writers' temp files of both).
    public static let heartbeatSuffix = ".alive"
}

/// The verdict on a heartbeat file, judged at `now` (CLOCK_BOOTTIME ms).
public enum Liveness: Equatable, Sendable {
    case fresh(ageMilliseconds: Int64, pid: Int32)
    case stale(ageMilliseconds: Int64, pid: Int32)
    /// Later than now: written before this boot (the clock restarts at 0).
    case previousBoot(pid: Int32)
    case missing
    case malformed(String)

    public var isAlive: Bool {
        if case .fresh = self { return true }
        return false
    }

    /// `text` is the file's content, nil when it does not exist.
    public static func judge(_ text: String?, now: Int64, maxAgeMilliseconds: Int64) -> Liveness {
        guard let text else { return .missing }
        let beat: Heartbeat
        do {
            beat = try Heartbeat(parsing: text)
        } catch {
            return .malformed(error.reason)
        }
        let age = now - beat.bootMilliseconds
        if age < 0 { return .previousBoot(pid: beat.pid) }
        return age <= maxAgeMilliseconds ? .fresh(ageMilliseconds: age, pid: beat.pid) : .stale(ageMilliseconds: age, pid: beat.pid)
    }

    /// One line for the probe's output (kubelet shows it in the pod's events).
    public func message(path: String, maxAgeMilliseconds: Int64) -> String {
        let limit = Self.seconds(maxAgeMilliseconds)
        switch self {
        case let .fresh(age, pid):
            return "alive: watch (pid \(pid)) completed a check \(Self.seconds(age)) s ago (max age \(limit) s)"
        case let .stale(age, pid):
            return "not alive: watch (pid \(pid)) last completed a check \(Self.seconds(age)) s ago, more than the max age of \(limit) s (\(path)); it is stuck or stopped"
        case let .previousBoot(pid):
            return "not alive: \(path) was written by pid \(pid) before the last reboot; no check has completed since"
        case .missing:
            return "not alive: \(path) does not exist: no mon_memcg watch using this state_file has completed a check"
        case let .malformed(reason):
            return "not alive: \(path) is not a heartbeat file: \(reason)"
        }
    }

    /// Milliseconds as seconds with three decimals (no String(format:)).
    static func seconds(_ ms: Int64) -> String {
        let frac = String(ms % 1000)
        return "\(ms / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
    }
}
