@testable import MemcgCore
import Testing
import TestSupport

/// memory.high's floor, the value a held episode writes, what a restore
/// does, and the state file's record of it.
struct MemoryHighLeverTests {
    static let mib = Int64(1) << 20

    static func stat(anon: Int64, file: Int64, shmem: Int64 = 0, mapped: Int64 = 0) -> MemoryStat {
        MemoryStat(values: ["anon": anon, "file": file, "shmem": shmem, "file_mapped": mapped])
    }

    struct FloorRow: NamedRow {
        var name: String
        var current: Int64
        var stat: MemoryStat
        var unreclaimable: Int64
    }

    static let floors: [FloorRow] = [
        FloorRow(name: "anon and clean cache: anon alone", current: 1000 * mib, stat: stat(anon: 200 * mib, file: 800 * mib),
                 unreclaimable: 200 * mib),
        FloorRow(name: "kernel memory (current beyond anon + file) counts", current: 1100 * mib,
                 stat: stat(anon: 200 * mib, file: 800 * mib), unreclaimable: 300 * mib),
        FloorRow(name: "shmem (tmpfs) cannot go without swap", current: 1000 * mib,
                 stat: stat(anon: 200 * mib, file: 800 * mib, shmem: 300 * mib), unreclaimable: 500 * mib),
        FloorRow(name: "mapped files (the tasks' code) stay", current: 1000 * mib,
                 stat: stat(anon: 200 * mib, file: 800 * mib, shmem: 100 * mib, mapped: 150 * mib), unreclaimable: 350 * mib),
        FloorRow(name: "a racy read (anon + file above current): never below anon", current: 900 * mib,
                 stat: stat(anon: 200 * mib, file: 800 * mib), unreclaimable: 200 * mib),
    ]

    @Test("the floor: anon + what else cannot be given back without swap, + the margin", arguments: floors)
    func floor(_ row: FloorRow) throws {
        #expect(try Lever.memoryHigh.unreclaimable(usage: Bytes(row.current), stat: row.stat) == Bytes(row.unreclaimable))
        #expect(try MemoryHighLever.floor(current: Bytes(row.current), stat: row.stat) == Bytes(row.unreclaimable) + MemoryHighLever.margin)
    }

    @Test("a memory.stat without anon or file is refused, not read as zero")
    func missingFields() {
        #expect(throws: ParseError.self) { try MemoryHighLever.floor(current: 1, stat: MemoryStat(values: ["file": 1])) }
        #expect(throws: ParseError.self) { try MemoryHighLever.floor(current: 1, stat: MemoryStat(values: ["anon": 1])) }
    }

    struct EngageRow: NamedRow {
        var name: String
        var current: Int64
        var shortfall: Int64
        var now: CgroupLimit
        var expected: LeverEngage
    }

    // anon 200 MiB, file 800 MiB: floor 328 MiB.
    static let engages: [EngageRow] = [
        EngageRow(name: "the shortfall taken from the usage, aligned up", current: 1000 * mib, shortfall: 300 * mib + 1, now: .max,
                  expected: .write(value: Bytes(700 * mib), floor: Bytes(328 * mib), atFloor: false)),
        EngageRow(name: "a shortfall deeper than the cache: the floor", current: 1000 * mib, shortfall: 900 * mib, now: .max,
                  expected: .write(value: Bytes(328 * mib), floor: Bytes(328 * mib), atFloor: true)),
        EngageRow(name: "someone's higher memory.high is lowered (and restored to theirs)", current: 1000 * mib, shortfall: 100 * mib,
                  now: .bytes(Bytes(950 * mib)), expected: .write(value: Bytes(900 * mib), floor: Bytes(328 * mib), atFloor: false)),
        EngageRow(name: "someone's lower memory.high is never raised", current: 1000 * mib, shortfall: 100 * mib,
                  now: .bytes(Bytes(500 * mib)), expected: .skip("memory.high is \(500 * mib) already, at or below \(900 * mib)")),
        EngageRow(name: "a usage within its floor: nothing to write", current: 300 * mib, shortfall: 100 * mib, now: .max,
                  expected: .skip("the target's usage \(300 * mib) is within its floor \(328 * mib) (anon and what cannot be reclaimed without swap + \(128 * mib))")),
    ]

    @Test("the value an episode writes", arguments: engages)
    func engage(_ row: EngageRow) throws {
        let stat = row.current >= 1000 * Self.mib ? Self.stat(anon: 200 * Self.mib, file: 800 * Self.mib)
                                                   : Self.stat(anon: 200 * Self.mib, file: row.current - 200 * Self.mib)
        let got = try MemoryHighLever.engage(current: Bytes(row.current), stat: stat, shortfall: Bytes(row.shortfall), now: row.now)
        #expect(got == row.expected)
        if case .write(let value, let floor, _) = got {
            #expect(value.value % Lever.alignment == 0, "read back unchanged by the kernel's page rounding")
            #expect(value >= floor)
        }
    }

    @Test("restore: ours is put back, the original is left, someone else's value stands")
    func restore() {
        let record = LeverRecord(target: "/sys/fs/cgroup/user.slice", original: .max, written: Bytes(700 * Self.mib))
        #expect(Lever.restore(record, now: .bytes(Bytes(700 * Self.mib))) == .write(.max))
        #expect(Lever.restore(record, now: .max) == .alreadyOriginal)
        #expect(Lever.restore(record, now: .bytes(Bytes(600 * Self.mib))) == .changedByOthers(.bytes(Bytes(600 * Self.mib))))
        let theirs = LeverRecord(target: "/sys/fs/cgroup/user.slice", original: .bytes(Bytes(950 * Self.mib)), written: Bytes(900 * Self.mib))
        #expect(Lever.restore(theirs, now: .bytes(Bytes(900 * Self.mib))) == .write(.bytes(Bytes(950 * Self.mib))))
    }

    @Test("memory.high's text: max or bytes, nothing else")
    func valueText() throws {
        #expect(try CgroupLimit(parsing: "max\n") == .max)
        #expect(try CgroupLimit(parsing: "734003200\n") == .bytes(Bytes(734003200)))
        for bad in ["", "\n", "-1\n", "1G\n", "max max\n", "99999999999999999999999\n"] {
            #expect(throws: ParseError.self, "\(bad)") { try CgroupLimit(parsing: bad) }
        }
    }

    @Test("the state file keeps the record, all three keys or the whole file is refused")
    func stateFile() throws {
        var state = RunState(last: Bytes(5))
        state.lever = LeverRecord(target: "/sys/fs/cgroup/user.slice", original: .max, written: Bytes(734003200))
        let text = StateFile.render(state)
        #expect(text == "mon_memcg-state 1\nlast 5\nmemory_high_target /sys/fs/cgroup/user.slice\nmemory_high_original max\nmemory_high_written 734003200\n")
        #expect(try StateFile.parse(text) == state)
        state.lever?.original = .bytes(Bytes(995622912))
        #expect(try StateFile.parse(StateFile.render(state)) == state)
        let head = "mon_memcg-state 1\n"
        let rejected = [
            "memory_high_target /sys/fs/cgroup/user.slice\nmemory_high_original max\n",
            "memory_high_original max\nmemory_high_written 1\n",
            "memory_high_target /a\nmemory_high_target /a\nmemory_high_original max\nmemory_high_written 1\n",
            "memory_high_target relative\nmemory_high_original max\nmemory_high_written 1\n",
            "memory_high_target /a\nmemory_high_original 1G\nmemory_high_written 1\n",
            "memory_high_target /a\nmemory_high_original max\nmemory_high_written -1\n",
        ]
        for body in rejected {
            #expect(throws: ParseError.self, "\(body)") { try StateFile.parse(head + body) }
        }
        #expect(!LeverRecord.storable("/sys/fs/cgroup/a b"))
    }
}
