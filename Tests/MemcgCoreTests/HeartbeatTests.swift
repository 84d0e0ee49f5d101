import MemcgCore
import Testing
import TestSupport

/// The heartbeat `watch` writes and `mon_memcg alive` judges.
struct HeartbeatTests {
    struct Row: NamedRow {
        var name: String
        var text: String?
        var now: Int64
        var expected: Liveness
    }

    static let parseError = "expected \"boottime_ms=<milliseconds> pid=<pid>\", got "
    static let rows: [Row] = [
        Row(name: "fresh", text: "boottime_ms=100000 pid=7\n", now: 130_000, expected: .fresh(ageMilliseconds: 30_000, pid: 7)),
        Row(name: "exactly max age is still alive", text: "boottime_ms=100000 pid=7\n", now: 160_000, expected: .fresh(ageMilliseconds: 60_000, pid: 7)),
        Row(name: "one ms past max age", text: "boottime_ms=100000 pid=7\n", now: 160_001, expected: .stale(ageMilliseconds: 60_001, pid: 7)),
        Row(name: "written this instant", text: "boottime_ms=100000 pid=1\n", now: 100_000, expected: .fresh(ageMilliseconds: 0, pid: 1)),
        Row(name: "no trailing newline", text: "boottime_ms=5 pid=1", now: 5, expected: .fresh(ageMilliseconds: 0, pid: 1)),
        Row(name: "from before a reboot (clock ahead)", text: "boottime_ms=900000 pid=3\n", now: 1_000, expected: .previousBoot(pid: 3)),
        Row(name: "missing file", text: nil, now: 1, expected: .missing),
        Row(name: "empty file", text: "", now: 1, expected: .malformed(parseError + "\"\"")),
        Row(name: "truncated", text: "boottime_ms=1000", now: 1, expected: .malformed(parseError + "\"boottime_ms=1000\"")),
        Row(name: "negative time", text: "boottime_ms=-5 pid=1\n", now: 1, expected: .malformed(parseError + "\"boottime_ms=-5 pid=1\"")),
        Row(name: "pid 0", text: "boottime_ms=5 pid=0\n", now: 5, expected: .malformed(parseError + "\"boottime_ms=5 pid=0\"")),
        Row(name: "pid beyond pid_t", text: "boottime_ms=5 pid=4294967296\n", now: 5, expected: .malformed(parseError + "\"boottime_ms=5 pid=4294967296\"")),
        Row(name: "overflowing time", text: "boottime_ms=99999999999999999999 pid=1\n", now: 5,
            expected: .malformed(parseError + "\"boottime_ms=99999999999999999999 pid=1\"")),
        Row(name: "fields swapped", text: "pid=1 boottime_ms=5\n", now: 5, expected: .malformed(parseError + "\"pid=1 boottime_ms=5\"")),
        Row(name: "extra field", text: "boottime_ms=5 pid=1 x\n", now: 5, expected: .malformed(parseError + "\"boottime_ms=5 pid=1 x\"")),
        Row(name: "two spaces", text: "boottime_ms=5  pid=1\n", now: 5, expected: .malformed(parseError + "\"boottime_ms=5  pid=1\"")),
        Row(name: "a second line", text: "boottime_ms=5 pid=1\nboottime_ms=6 pid=1\n", now: 6,
            expected: .malformed(parseError + "\"boottime_ms=5 pid=1\nboottime_ms=6 pid=1\"")),
        Row(name: "the state file by mistake", text: "mon_memcg-state 1\nlast 5\n", now: 6,
            expected: .malformed(parseError + "\"mon_memcg-state 1\nlast 5\"")),
    ]

    @Test(arguments: rows)
    func judge(_ row: Row) {
        #expect(Liveness.judge(row.text, now: row.now, maxAgeMilliseconds: 60_000) == row.expected)
    }

    @Test("what watch writes is what alive reads")
    func roundTrip() throws {
        let beat = Heartbeat(bootMilliseconds: 123_456_789, pid: 4242)
        #expect(beat.text == "boottime_ms=123456789 pid=4242\n")
        #expect(try Heartbeat(parsing: beat.text) == beat)
    }

    @Test("only a fresh heartbeat is alive; the messages name the file and the ages")
    func messages() {
        let path = "/run/mon_memcg/state.alive"
        #expect(Liveness.fresh(ageMilliseconds: 1_500, pid: 1).isAlive)
        #expect(!Liveness.stale(ageMilliseconds: 61_000, pid: 1).isAlive)
        #expect(!Liveness.missing.isAlive)
        #expect(Liveness.fresh(ageMilliseconds: 1_005, pid: 1).message(path: path, maxAgeMilliseconds: 60_000)
            == "alive: watch (pid 1) completed a check 1.005 s ago (max age 60.000 s)")
        #expect(Liveness.stale(ageMilliseconds: 61_000, pid: 9).message(path: path, maxAgeMilliseconds: 60_000)
            == "not alive: watch (pid 9) last completed a check 61.000 s ago, more than the max age of 60.000 s (\(path)); it is stuck or stopped")
        #expect(Liveness.missing.message(path: path, maxAgeMilliseconds: 1_000).contains("\(path) does not exist"))
    }

    @Test("the heartbeat lives next to the state file")
    func path() throws {
        var config = Config()
        try config.set(.stateFile, to: "/host/run/mon_memcg/state")
        #expect(config.heartbeatFile == "/host/run/mon_memcg/state.alive")
    }

    @Test("log_file = - is standard output; other relative values are still refused")
    func logFileStdout() throws {
        var config = Config()
        try config.set(.logFile, to: " - ")
        #expect(config.logFile == "-")
        #expect(config.text(for: .logFile) == "-")
        #expect(throws: ParseError.self) { try config.set(.logFile, to: "--") }
        #expect(throws: ParseError.self) { try config.set(.logFile, to: "stdout") }
    }
}
