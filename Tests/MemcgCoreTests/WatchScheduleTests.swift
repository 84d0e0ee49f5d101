import MemcgCore
import Testing

/// When watch checks, as a table of events over monotonic time.
struct WatchScheduleTests {
    static let gap = WatchSchedule.minimumGapMilliseconds

    @Test("the first check is at once, for the start")
    func start() {
        var s = WatchSchedule(now: 1000)
        #expect(s.take(now: 1000) == .start)
        s.checked(.start, endedAt: 1010, pollDelayMilliseconds: 5000, pollIntervalMilliseconds: 5000)
        #expect(s.take(now: 1010) == nil)
    }

    @Test("polls come poll_interval after a check; near polls when the delay is shorter")
    func polls() {
        var s = WatchSchedule(now: 0)
        _ = s.take(now: 0)
        s.checked(.start, endedAt: 10, pollDelayMilliseconds: 5000, pollIntervalMilliseconds: 5000)
        #expect(s.dueAt == 5010)
        #expect(s.take(now: 5009) == nil)
        #expect(s.take(now: 5010) == .poll)
        s.checked(.poll, endedAt: 5020, pollDelayMilliseconds: 200, pollIntervalMilliseconds: 5000)
        #expect(s.take(now: 5220) == .near)
    }

    @Test("kernel events are rate-limited after an event's check, not after a poll's")
    func eventGap() {
        var s = WatchSchedule(now: 0)
        _ = s.take(now: 0)
        s.checked(.start, endedAt: 10, pollDelayMilliseconds: 5000, pollIntervalMilliseconds: 5000)
        s.request(.threshold)
        #expect(s.take(now: 11) == .threshold, "no event check yet: at once")
        s.checked(.threshold, endedAt: 50, pollDelayMilliseconds: 5000, pollIntervalMilliseconds: 5000)
        s.request(.pressure)
        #expect(s.take(now: 50 + Self.gap - 1) == nil, "within the gap: waits")
        #expect(s.dueAt == 50 + Self.gap)
        #expect(s.take(now: 50 + Self.gap) == .pressure)
    }

    @Test("a kernel event replaces a pending reload; a reload never replaces an event")
    func precedence() {
        var s = WatchSchedule(now: 0)
        _ = s.take(now: 0)
        s.request(.reload)
        s.request(.threshold)
        #expect(s.pending == .threshold)
        s.request(.reload)
        #expect(s.pending == .threshold)
        #expect(s.take(now: 1) == .threshold)
    }
}
