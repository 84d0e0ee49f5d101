import Foundation
@testable import MemcgEngine
@testable import MemcgCore
@testable import MemcgKernel
import Testing
import TestSupport

/// A console whose stdout and stderr are (or are not) the journal.
final class JournalConsole: Console, @unchecked Sendable {
    var stdout = ""
    var stderr = ""
    let outIsJournal: Bool
    let errIsJournal: Bool
    init(journal: Bool) { outIsJournal = journal; errIsJournal = journal }
    func out(_ text: String) { stdout += text }
    func err(_ text: String) { stderr += text }
}

/// Under systemd each event goes to the journal once, with its priority;
/// the log file gets the same bytes as without the journal.
struct EventLogJournalTests {
    static func run(journal: Bool, in dir: TempDirectory) -> (JournalConsole, String) {
        let console = JournalConsole(journal: journal)
        let log = EventLog(path: dir.path("mon_memcg.log"), console: console)
        log.info(LogLines.lockHeld("/run/mon_memcg/state.lock"))
        log.info(LogLines.needReclaim(available: 1, globalThreshold: 2, targetPath: "/sys/fs/cgroup/memory//user.slice"))
        log.info(LogLines.beforeReclaim)
        log.error("write memory.force_empty: EBUSY")
        return (console, dir.read("mon_memcg.log") ?? "")
    }

    /// The file's lines with their timestamps cut off (they differ by second).
    static func unstamped(_ file: String) -> [String] {
        file.split(separator: "\n").map { line in String(line.drop { $0 != "]" }) }
    }

    @Test func journalGetsOnePrefixedLinePerEventAndTheFileIsUnchanged() throws {
        let plain = try TempDirectory("mon_memcg-test-eventlog-plain")
        let journaled = try TempDirectory("mon_memcg-test-eventlog-journal")
        defer { plain.remove(); journaled.remove() }
        let (without, fileWithout) = Self.run(journal: false, in: plain)
        let (with, fileWith) = Self.run(journal: true, in: journaled)

        #expect(Self.unstamped(fileWith) == Self.unstamped(fileWithout))
        #expect(Self.unstamped(fileWith).count == 4)
        #expect(without.stdout == "", "off the journal, stdout gets nothing (as before)")
        #expect(without.stderr == "mon_memcg: write memory.force_empty: EBUSY\n")
        #expect(with.stdout == """
            <4>another mon_memcg run holds /run/mon_memcg/state.lock; this run does nothing
            <5>avalible_mem 1 is less global thresh 2, need reclaim /sys/fs/cgroup/memory//user.slice !!
            <6>Before reclaim:

            """)
        #expect(with.stderr == "<3>mon_memcg: write memory.force_empty: EBUSY\n", "the error once, on stderr")
    }

    @Test func unwritableLogFileDoesNotDoubleTheJournal() {
        let console = JournalConsole(journal: true)
        let log = EventLog(path: "/nonexistent-mon_memcg-dir/mon_memcg.log", console: console)
        log.info(LogLines.beforeReclaim)
        #expect(console.stdout == "<6>Before reclaim:\n")
        #expect(console.stderr.hasPrefix("<3>mon_memcg: "))
        #expect(console.stderr.contains("/nonexistent-mon_memcg-dir/mon_memcg.log"))
        #expect(!console.stderr.contains("Before reclaim:"), "stdout has it already")
    }

    @Test func logFileDashOnTheJournalKeepsTheTimestampAndAddsThePriority() {
        let console = JournalConsole(journal: true)
        let log = EventLog(path: "-", console: console)
        log.info(LogLines.lockHeld("/l"))
        #expect(console.stdout.hasPrefix("<4>"))
        #expect(console.stdout.hasSuffix("another mon_memcg run holds /l; this run does nothing\n"))
        #expect(console.stdout.split(separator: "\n").count == 1)
    }

    /// JOURNAL_STREAM is compared with fstat() of the descriptor itself.
    @Test func journalStreamComparesDeviceAndInode() throws {
        let dir = try TempDirectory("mon_memcg-test-journalstream")
        defer { dir.remove() }
        try dir.write("stream", "")
        let fd = open(dir.path("stream"), O_RDONLY)
        #expect(fd >= 0)
        defer { close(fd) }
        var st = stat()
        #expect(fstat(fd, &st) == 0)
        #expect(JournalStream.isJournal(fd: fd, variable: "\(st.st_dev):\(st.st_ino)"))
        #expect(!JournalStream.isJournal(fd: fd, variable: "\(st.st_dev):\(st.st_ino + 1)"))
        #expect(!JournalStream.isJournal(fd: fd, variable: nil))
        #expect(!JournalStream.isJournal(fd: fd, variable: "garbage"))
    }
}
