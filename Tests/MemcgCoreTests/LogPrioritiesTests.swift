import Testing
@testable import MemcgCore

/// The journal priority of each event line, taken from the LogLines
/// functions themselves so a reworded line cannot slip out of its row.
struct LogPrioritiesTests {
    struct Row: CustomTestStringConvertible, Sendable {
        var name: String
        var line: String
        var priority: JournalPriority
        var testDescription: String { name }
    }

    static let v1 = HierarchyWords(.v1)
    static let v2 = HierarchyWords(.v2)

    static let rows: [Row] = [
        Row(name: "a failure", line: LogLines.error("write memory.force_empty: EBUSY"), priority: .err),
        Row(name: "watch cannot start", line: LogLines.watchCannotStart("no cgroup"), priority: .err),
        Row(name: "reclaim skipped: lock held", line: LogLines.lockHeld("/run/mon_memcg/state.lock"), priority: .warning),
        Row(name: "state file unusable", line: LogLines.stateUnusable("bad number"), priority: .warning),
        Row(name: "reload refused", line: LogLines.watchReloadRefused("bad key"), priority: .warning),
        Row(name: "memory unlocked", line: LogLines.memoryLockRefused("EPERM"), priority: .warning),
        Row(name: "reclaim interrupted", line: LogLines.reclaimInterrupted(45_000, current: 5, freed: 1, cause: "reclaim_timeout"), priority: .warning),
        Row(name: "no wake-up events v1", line: LogLines.wakeUnavailable("ENOENT", words: v1, pollMilliseconds: 5000), priority: .warning),
        Row(name: "no wake-up events v2", line: LogLines.wakeUnavailable("ENOENT", words: v2, pollMilliseconds: 5000), priority: .warning),
        Row(name: "events off", line: LogLines.wakeOffUntilNextCheck("EBADF"), priority: .warning),
        Row(name: "cannot notify", line: LogLines.cannotNotify("ECONNREFUSED"), priority: .warning),
        Row(name: "metrics unwritable", line: LogLines.cannotWriteMetrics("EROFS"), priority: .warning),
        Row(name: "need reclaim (original)", line: LogLines.needReclaim(available: 1, globalThreshold: 2, targetPath: "/sys/fs/cgroup/memory//user.slice"), priority: .notice),
        Row(name: "reclaim done", line: LogLines.reclaimTook(1200, freed: 4096), priority: .notice),
        Row(name: "reclaim by amount done", line: LogLines.reclaimByAmountEnded(asked: 10, freed: 8, milliseconds: 30, stop: .amountReached), priority: .notice),
        Row(name: "escalation ran", line: LogLines.escalationRan(.dropCaches, file: "/proc/sys/vm/drop_caches", milliseconds: 10, interrupted: false,
                                                                   dyingBefore: nil, dyingAfter: nil, availableBefore: 1, availableAfter: 2), priority: .notice),
        Row(name: "escalation stopped", line: LogLines.escalationStopped(.disabled), priority: .notice),
        Row(name: "watch started", line: LogLines.watchStarted(pid: 1, eventSource: "polling", pollMilliseconds: 5000), priority: .notice),
        Row(name: "watch stopped", line: LogLines.watchStopped(signal: "SIGTERM", interruptedReclaim: false), priority: .notice),
        Row(name: "reloaded", line: LogLines.watchReloaded(eventSource: "polling", pollMilliseconds: 5000), priority: .notice),
        Row(name: "memory.high set", line: LogLines.leverSet(.memoryHigh, "/sys/fs/cgroup/user.slice", value: 2, was: .max, usage: 3, shortfall: 1,
                                                                   floor: 2, atFloor: false), priority: .notice),
        Row(name: "memory.high restored", line: LogLines.leverRestored(.memoryHigh, "/sys/fs/cgroup/user.slice", to: .max, from: .bytes(2), "recovered"),
            priority: .notice),
        Row(name: "memory.high left to someone else", line: LogLines.leverLeft(.memoryHigh, "/sys/fs/cgroup/user.slice", now: .bytes(5), written: 2,
                                                                                    original: .max, "recovered"), priority: .warning),
        Row(name: "memory.high not set", line: LogLines.leverNotSet(.memoryHigh, "/sys/fs/cgroup/user.slice", "why"), priority: .info),
        Row(name: "memory.limit_in_bytes set", line: LogLines.leverSet(.memoryLimit, "/sys/fs/cgroup/memory/user.slice", value: 2, was: .bytes(9),
                                                                             usage: 1, shortfall: 1, floor: 2, atFloor: true), priority: .notice),
        Row(name: "memory.limit_in_bytes restored", line: LogLines.leverRestored(.memoryLimit, "/sys/fs/cgroup/memory/user.slice", to: .bytes(9),
                                                                                 from: .bytes(2), "recovered"), priority: .notice),
        Row(name: "memory.limit_in_bytes left to someone else", line: LogLines.leverLeft(.memoryLimit, "/sys/fs/cgroup/memory/user.slice",
                                                                                          now: .bytes(5), written: 2, original: .bytes(9), "recovered"),
            priority: .warning),
        Row(name: "memory.limit_in_bytes outgrew the record's headroom", line: LogLines.leverOutgrewHeadroom(.memoryLimit, "/sys/fs/cgroup/memory/user.slice",
                                                                                                     usage: 5, firstUsage: 1, ceiling: 4), priority: .info),
        Row(name: "memory.limit_in_bytes let go", line: LogLines.leverLetGo(.memoryLimit, "/sys/fs/cgroup/memory/user.slice", to: 9, when: "between wake-ups", "why"),
            priority: .notice),
        Row(name: "memory.limit_in_bytes followed", line: LogLines.leverFollowed(.memoryLimit, "/sys/fs/cgroup/memory/user.slice", to: 2, from: 3,
                                                                                 writes: 1, when: "during the reclaim"), priority: .info),
        Row(name: "Before reclaim: (original)", line: LogLines.beforeReclaim, priority: .info),
        Row(name: "usage (original)", line: LogLines.usage(current: 3, last: 2, change: 1), priority: .info),
        Row(name: "change too small (original)", line: LogLines.changeTooSmall(growthThreshold: 5), priority: .info),
        Row(name: "After reclaim: (original)", line: LogLines.afterReclaim, priority: .info),
        Row(name: "usage after (original)", line: LogLines.usageAfter(3, words: v1), priority: .info),
        Row(name: "decline (original)", line: LogLines.decline(from: 3, to: 2), priority: .info),
        Row(name: "a dry run line", line: LogLines.dryRunDecline(from: 3, to: 2), priority: .info),
        Row(name: "armed", line: LogLines.wakeArmed("threshold events"), priority: .info),
        Row(name: "memory locked", line: LogLines.memoryLocked, priority: .info),
    ]

    @Test(arguments: rows)
    func priorityOfEachLine(_ row: Row) {
        #expect(LogPriorities.of(row.line) == row.priority, "\(row.line)")
    }

    /// Every row of the table is reached by some real line: a row no line
    /// begins with would be dead, its priority never applied.
    @Test func everyTableRowMatchesARealLine() {
        for entry in LogPriorities.table {
            #expect(Self.rows.contains { $0.line.hasPrefix(entry.begins) }, "no line begins with \"\(entry.begins)\"")
        }
    }

    struct PrefixRow: CustomTestStringConvertible, Sendable {
        var text: String
        var priority: JournalPriority
        var prefixed: String
        var testDescription: String { "\(priority) \(text.debugDescription)" }
    }

    @Test(arguments: [
        PrefixRow(text: "reclaim took 1.2 s\n", priority: .notice, prefixed: "<5>reclaim took 1.2 s\n"),
        PrefixRow(text: "no newline", priority: .info, prefixed: "<6>no newline\n"),
        PrefixRow(text: "one\ntwo\n", priority: .warning, prefixed: "<4>one\n<4>two\n"),
        PrefixRow(text: "mon_memcg: x\n", priority: .err, prefixed: "<3>mon_memcg: x\n"),
    ])
    func sdDaemonPrefix(_ row: PrefixRow) {
        #expect(row.priority.prefixed(row.text) == row.prefixed)
    }

    @Test(arguments: [
        ("8:1234", [8, 1234]), ("0:0", [0, 0]), ("18446744073709551615:1", [UInt64.max, 1]),
        ("", nil), ("8", nil), ("8:", nil), (":1", nil), ("8:1:2", nil), ("a:1", nil), ("-1:2", nil), (" 8:1", nil),
    ] as [(String, [UInt64]?)])
    func journalStreamVariable(_ text: String, _ deviceAndInode: [UInt64]?) {
        #expect(JournalStreamID(variable: text).map { [$0.device, $0.inode] } == deviceAndInode)
    }
}
