/// The kernel's random id of this boot, `/proc/sys/kernel/random/boot_id`
/// (a UUID, new at every boot). CLOCK_BOOTTIME restarts at 0 at each boot,
/// so a boot-clock stamp means something only next to the boot it was taken in.
public struct BootID: Equatable, Sendable, CustomStringConvertible {
    public let text: String

    /// Fails closed: exactly the kernel's form, 8-4-4-4-12 lowercase hex
    /// digits, with one trailing newline allowed (the file has it). Anything
    /// else could compare equal by accident (an empty file, a truncated id).
    public init(parsing raw: some StringProtocol) throws(ParseError) {
        var body = Substring(raw)
        if body.hasSuffix("\n") { body = body.dropLast() }
        let groups = body.split(separator: "-", omittingEmptySubsequences: false)
        let hex = groups.allSatisfy { $0.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) } }
        guard groups.map(\.utf8.count) == [8, 4, 4, 4, 12], hex else {
            throw ParseError("boot id \"\(body.prefix(40))\" is not a lowercase UUID (8-4-4-4-12 hex digits)")
        }
        text = String(body)
    }

    public var description: String { text }
}

/// A CLOCK_BOOTTIME reading in milliseconds and the boot it was taken in.
/// The boot clock counts suspend and cannot be stepped, so within one boot
/// the difference of two readings is the real time between them.
public struct BootTime: Equatable, Sendable {
    public var bootID: BootID
    public var milliseconds: Int64

    public init(bootID: BootID, milliseconds: Int64) {
        (self.bootID, self.milliseconds) = (bootID, milliseconds)
    }
}

/// One moment on both clocks: the wall clock (comparable across boots, but
/// it can be stepped) and, when the boot id could be read, the boot clock
/// (immune to steps, but only within one boot). The state file keeps the
/// last drop_caches this way; a run reads "now" this way.
public struct ClockStamp: Equatable, Sendable {
    /// Wall-clock seconds since the epoch.
    public var epochSeconds: Int64
    /// nil in state files written before the boot clock was kept, and when
    /// the boot id could not be read.
    public var boot: BootTime?

    public init(epochSeconds: Int64, boot: BootTime? = nil) {
        (self.epochSeconds, self.boot) = (epochSeconds, boot)
    }
}

/// Why the rate limit was judged on the wall clock instead of the boot clock.
public enum WallClockFallback: Equatable, Sendable {
    /// The stamp has no boot-clock part: a state file written by a version
    /// that kept only the wall clock, or a drop whose run could not read the boot id.
    case noBootStamp
    /// The stamp is from another boot: the boot clock restarted since, so
    /// the wall clock is the only evidence across the reboot.
    case otherBoot
    /// This run could not read the boot id.
    case bootIDUnknown

    public var words: String {
        switch self {
        case .noBootStamp: "the last drop_caches has no boot-clock stamp"
        case .otherBoot: "the last drop_caches was in an earlier boot"
        case .bootIDUnknown: "this run could not read the boot id"
        }
    }
}

/// Why drop_caches may not run yet.
public enum DropCachesLimit: Equatable, Sendable {
    /// Same boot: `elapsedMilliseconds` on CLOCK_BOOTTIME since the last
    /// drop, less than the interval.
    case bootClock(elapsedMilliseconds: Int64, intervalSeconds: Int64)
    /// Judged on the wall clock (epoch seconds), and why.
    case wallClock(last: Int64, nextAllowed: Int64, because: WallClockFallback)

    public var reason: String {
        switch self {
        case .bootClock(let elapsed, let interval):
            let intervalMs = Self.milliseconds(interval)
            // Rounded up, so "next in" never says 0 while still limited.
            let left = (intervalMs - elapsed + 999) / 1000
            return "drop_caches ran \(elapsed / 1000) s ago on the boot clock (CLOCK_BOOTTIME, this boot); drop_caches_interval \(interval) s allows the next in \(left) s"
        case .wallClock(let last, let next, let because):
            return "drop_caches ran at \(last) (epoch seconds); drop_caches_interval allows the next at \(next) (judged on the wall clock: \(because.words))"
        }
    }

    static func milliseconds(_ seconds: Int64) -> Int64 {
        let ms = seconds.multipliedReportingOverflow(by: 1000)
        return ms.overflow ? Int64.max : ms.partialValue
    }
}

/// The drop_caches rate limit, pure: may drop_caches run at `now`, given the
/// `last` one, at most once per `intervalSeconds`? nil means yes.
///
/// Within one boot (both stamps carry the same boot id) it is judged on
/// CLOCK_BOOTTIME alone, so wall-clock steps neither shorten nor stretch the
/// interval. A negative elapsed time cannot happen within one boot: the stamp
/// is not trusted and the drop may run (a bad file must not block it).
/// Otherwise (another boot, no boot stamp, the boot id unreadable now) the
/// wall-clock rule: limited until `last + interval`, except that a stamp more
/// than one interval in the future is a clock that was set back (or a bad
/// file) and is ignored, so it cannot block drop_caches for ever.
public func dropCachesLimit(last: ClockStamp?, now: ClockStamp, intervalSeconds: Int64) -> DropCachesLimit? {
    guard let last else { return nil }
    let fallback: WallClockFallback
    if let nowBoot = now.boot, let lastBoot = last.boot, nowBoot.bootID == lastBoot.bootID {
        let elapsed = nowBoot.milliseconds.subtractingReportingOverflow(lastBoot.milliseconds)
        guard !elapsed.overflow, elapsed.partialValue >= 0 else { return nil }
        guard elapsed.partialValue < DropCachesLimit.milliseconds(intervalSeconds) else { return nil }
        return .bootClock(elapsedMilliseconds: elapsed.partialValue, intervalSeconds: intervalSeconds)
    } else if now.boot == nil {
        fallback = .bootIDUnknown
    } else if last.boot == nil {
        fallback = .noBootStamp
    } else {
        fallback = .otherBoot
    }
    let stamp = last.epochSeconds
    let next = stamp.addingReportingOverflow(intervalSeconds)
    let nextAllowed = next.overflow ? Int64.max : next.partialValue
    let ahead = stamp.subtractingReportingOverflow(now.epochSeconds)
    let bogus = stamp > now.epochSeconds && (ahead.overflow || ahead.partialValue > intervalSeconds)
    guard now.epochSeconds < nextAllowed, !bogus else { return nil }
    return .wallClock(last: stamp, nextAllowed: nextAllowed, because: fallback)
}
