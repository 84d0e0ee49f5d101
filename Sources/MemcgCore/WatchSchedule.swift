/// When `mon_memcg watch` runs its next check, and why: pure, with the
/// monotonic time passed in, so the daemon's loop only waits and acts.
///
/// - A kernel event (threshold, pressure) asks for a check at once, but
///   no sooner than `minimumGapMilliseconds` after the end of the previous
///   check that an event started: a bound on checks per second whatever the
///   kernel sends. Checks after polls are not delayed (polls are bounded).
/// - A reload or the start asks for a check at once.
/// - Otherwise the poll: `poll_interval` after the last check, sooner while
///   memory is close to short (a "near" poll).
public struct WatchSchedule: Equatable, Sendable {
    public static let minimumGapMilliseconds: Int64 = 100

    public private(set) var pending: WakeReason? = .start
    private var lastEventCheckEnd = Int64.min / 2
    private var nextPoll: Int64
    private var nearPoll = false

    public init(now: Int64) { nextPoll = now }

    /// When the loop should wake up if nothing happens before.
    public var dueAt: Int64 { pending != nil ? lastEventCheckEnd + Self.minimumGapMilliseconds : nextPoll }

    /// A kernel event replaces any other pending reason (it is the more
    /// telling one); a reload only fills an empty slot.
    public mutating func request(_ reason: WakeReason) {
        if reason.isKernelEvent || pending == nil { pending = reason }
    }

    /// The reason to check now, if one is due; taking it clears it.
    public mutating func take(now: Int64) -> WakeReason? {
        if pending == nil, now >= nextPoll { pending = nearPoll ? .near : .poll }
        guard let reason = pending else { return nil }
        if reason.isKernelEvent, now < lastEventCheckEnd + Self.minimumGapMilliseconds { return nil }
        pending = nil
        return reason
    }

    /// A check for `reason` ended at `now`; the next poll comes
    /// `pollDelayMilliseconds` later (shorter than `pollIntervalMilliseconds`
    /// while memory is close to short).
    public mutating func checked(_ reason: WakeReason, endedAt now: Int64, pollDelayMilliseconds: Int64, pollIntervalMilliseconds: Int64) {
        if reason.isKernelEvent { lastEventCheckEnd = now }
        nearPoll = pollDelayMilliseconds < pollIntervalMilliseconds
        nextPoll = now + pollDelayMilliseconds
    }
}
