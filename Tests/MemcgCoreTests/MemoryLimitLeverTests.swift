@testable import MemcgCore
import Testing
import TestSupport

/// cgroup v1's memory.limit_in_bytes lever: its floor from v1's
/// memory.stat, the clamp, the follow down, the let-go, what a restore
/// does with values it followed down to, and the state file's record.
struct MemoryLimitLeverTests {
    static let mib = Int64(1) << 20
    /// v1's unlimited as memory.limit_in_bytes reads it (PAGE_COUNTER_MAX pages).
    static let unlimited = CgroupLimit.bytes(Bytes(9_223_372_036_854_771_712))

    static func stat(rss: Int64, cache: Int64, shmem: Int64 = 0, mapped: Int64 = 0) -> MemoryStat {
        MemoryStat(values: ["total_rss": rss, "total_cache": cache, "total_shmem": shmem, "total_mapped_file": mapped,
                            "rss": 1, "cache": 1])
    }

    struct FloorRow: NamedRow {
        var name: String
        var usage: Int64
        var stat: MemoryStat
        var unreclaimable: Int64
    }

    static let floors: [FloorRow] = [
        FloorRow(name: "rss and clean cache: rss alone", usage: 1000 * mib, stat: stat(rss: 200 * mib, cache: 800 * mib),
                 unreclaimable: 200 * mib),
        FloorRow(name: "kernel memory (usage beyond rss + cache) counts", usage: 1100 * mib,
                 stat: stat(rss: 200 * mib, cache: 800 * mib), unreclaimable: 300 * mib),
        FloorRow(name: "shmem (tmpfs) cannot go without swap", usage: 1000 * mib,
                 stat: stat(rss: 200 * mib, cache: 800 * mib, shmem: 300 * mib), unreclaimable: 500 * mib),
        FloorRow(name: "mapped files (the tasks' code) stay, never counted twice with shmem", usage: 1000 * mib,
                 stat: stat(rss: 200 * mib, cache: 800 * mib, shmem: 100 * mib, mapped: 150 * mib), unreclaimable: 350 * mib),
        FloorRow(name: "the target's own rss/cache are not read: the totals count its children", usage: 1000 * mib,
                 stat: MemoryStat(values: ["total_rss": 400 * mib, "total_cache": 600 * mib, "rss": 0, "cache": 0]),
                 unreclaimable: 400 * mib),
    ]

    @Test("the floor: v1's hierarchical totals + 256 MiB", arguments: floors)
    func floor(_ row: FloorRow) throws {
        #expect(try Lever.memoryLimit.unreclaimable(usage: Bytes(row.usage), stat: row.stat) == Bytes(row.unreclaimable))
        #expect(try MemoryLimitLever.floor(usage: Bytes(row.usage), stat: row.stat) == Bytes(row.unreclaimable + 256 * Self.mib))
    }

    @Test("a memory.stat without total_rss or total_cache is refused, not read as zero")
    func missingFields() {
        #expect(throws: ParseError.self) { try MemoryLimitLever.floor(usage: 1, stat: MemoryStat(values: ["total_cache": 1])) }
        #expect(throws: ParseError.self) { try MemoryLimitLever.floor(usage: 1, stat: MemoryStat(values: ["total_rss": 1])) }
    }

    struct EngageRow: NamedRow {
        var name: String
        var usage: Int64
        var rss: Int64
        var now: CgroupLimit
        var expected: LeverEngage
    }

    static let engages: [EngageRow] = [
        EngageRow(name: "unlimited: clamped at the usage + 16 MiB, aligned up", usage: 3000 * mib + 1, rss: 200 * mib, now: unlimited,
                  expected: .write(value: Bytes(3016 * mib + 65_536), floor: Bytes(456 * mib), atFloor: false)),
        EngageRow(name: "mostly anon: the floor, above the usage", usage: 500 * mib, rss: 400 * mib, now: unlimited,
                  expected: .write(value: Bytes(656 * mib), floor: Bytes(656 * mib), atFloor: true)),
        EngageRow(name: "someone's higher limit is lowered (and restored to theirs)", usage: 3000 * mib, rss: 200 * mib,
                  now: .bytes(Bytes(8000 * mib)), expected: .write(value: Bytes(3016 * mib), floor: Bytes(456 * mib), atFloor: false)),
        EngageRow(name: "a limit at or below the value (someone's, or ours from a wake-up before) is never raised", usage: 3000 * mib,
                  rss: 200 * mib, now: .bytes(Bytes(3016 * mib)), expected: .skip("memory.limit_in_bytes is \(3016 * mib) already, at or below \(3016 * mib)")),
    ]

    @Test("the value an episode's start writes: never under the usage, never under the floor", arguments: engages)
    func engage(_ row: EngageRow) throws {
        let stat = Self.stat(rss: row.rss, cache: row.usage - row.rss)
        let got = try MemoryLimitLever.engage(usage: Bytes(row.usage), stat: stat, now: row.now)
        #expect(got == row.expected)
        if case .write(let value, let floor, _) = got {
            #expect(value.value % Lever.alignment == 0, "read back unchanged by the kernel's page rounding")
            #expect(value >= floor)
            #expect(value > Bytes(row.usage), "a write under the usage waits on writeback")
        }
    }

    @Test("the record's ceiling: 1 GiB above the clamp, or the clamp itself under someone's limit that is not above that", arguments: [
        ("unlimited", CgroupLimit.bytes(Bytes(9_223_372_036_854_771_712)), Bytes(3016 * mib + 1024 * mib)),
        ("someone's 8000 MiB", .bytes(Bytes(8000 * mib)), Bytes(3016 * mib + 1024 * mib)),
        ("someone's limit exactly at clamp + 1 GiB", .bytes(Bytes(4040 * Self.mib)), Bytes(3016 * Self.mib)),
        ("someone's 3500 MiB, between the clamp and the headroom", .bytes(Bytes(3500 * mib)), Bytes(3016 * Self.mib)),
    ])
    func ceiling(row: (String, CgroupLimit, Bytes)) {
        let got = MemoryLimitLever.ceiling(value: Bytes(3016 * Self.mib), now: row.1)
        #expect(got == row.2, "\(row.0)")
        #expect(got.value % Lever.alignment == 0)
        if case .bytes(let set) = row.1 { #expect(got < set, "\(row.0): someone's limit must stay above the record, or a restore takes it for ours") }
    }

    @Test("the clamp written after the save: the usage read again + 16 MiB, within the floor and the record's ceiling", arguments: [
        ("grew 300 MiB during the save: clamped above the new usage", Int64(3300) * mib, Int64(3316) * mib),
        ("fell during the save: lower than the first value", 2000 * mib, 2016 * mib),
        ("fell under the floor: the floor", 100 * mib, 456 * mib),
        ("outgrew the headroom: the ceiling, below the usage", 4100 * mib, 4040 * mib),
    ])
    func clamp(row: (String, Int64, Int64)) {
        let got = MemoryLimitLever.clamp(usage: Bytes(row.1), floor: Bytes(456 * Self.mib), ceiling: Bytes(4040 * Self.mib))
        #expect(got == Bytes(row.2), "\(row.0)")
        // Whatever it writes counts as its own at a restore (at or below the record).
        let record = LeverRecord(lever: .memoryLimit, target: "/t", original: .bytes(Bytes(9_223_372_036_854_771_712)), written: Bytes(4040 * Self.mib))
        #expect(Lever.own(record, now: .bytes(got)) == got, "\(row.0)")
    }

    struct FollowRow: NamedRow {
        var name: String
        var usage: Int64
        var floor: Int64
        var limit: Int64
        var expected: Int64?
    }

    static let follows: [FollowRow] = [
        FollowRow(name: "usage fell 1 GiB: follows to usage + 16 MiB", usage: 2000 * mib, floor: 456 * mib, limit: 3016 * mib, expected: 2016 * mib),
        FollowRow(name: "fell less than 80 MiB under: left", usage: 2950 * mib, floor: 456 * mib, limit: 3016 * mib, expected: nil),
        FollowRow(name: "exactly 80 MiB: follows", usage: 2920 * mib, floor: 456 * mib, limit: 3016 * mib, expected: 2936 * mib),
        FollowRow(name: "never below the floor", usage: 100 * mib, floor: 456 * mib, limit: 3016 * mib, expected: 456 * mib),
        FollowRow(name: "at the floor already: left", usage: 100 * mib, floor: 456 * mib, limit: 456 * mib, expected: nil),
        FollowRow(name: "usage above the limit (someone raised the floor): never raised", usage: 4000 * mib, floor: 456 * mib,
                  limit: 3016 * mib, expected: nil),
    ]

    @Test("followed down behind the usage, never up", arguments: follows)
    func follow(_ row: FollowRow) {
        let got = MemoryLimitLever.follow(usage: Bytes(row.usage), floor: Bytes(row.floor), limit: Bytes(row.limit))
        #expect(got == row.expected.map { Bytes($0) })
    }

    @Test("let go once what cannot be given back is within 128 MiB of the limit")
    func letsGo() {
        #expect(!MemoryLimitLever.letsGo(unreclaimable: Bytes(800 * Self.mib), limit: Bytes(929 * Self.mib)))
        #expect(MemoryLimitLever.letsGo(unreclaimable: Bytes(800 * Self.mib), limit: Bytes(928 * Self.mib)))
        #expect(MemoryLimitLever.letsGo(unreclaimable: Bytes(1000 * Self.mib), limit: Bytes(900 * Self.mib)))
    }

    @Test("restore: any value the lever followed down to is its own; the original, or someone's higher value, is not")
    func restore() {
        let record = LeverRecord(lever: .memoryLimit, target: "/sys/fs/cgroup/memory/user.slice", original: Self.unlimited,
                                 written: Bytes(3016 * Self.mib))
        #expect(Lever.restore(record, now: .bytes(Bytes(3016 * Self.mib))) == .write(Self.unlimited))
        #expect(Lever.restore(record, now: .bytes(Bytes(1016 * Self.mib))) == .write(Self.unlimited), "followed down")
        #expect(Lever.restore(record, now: Self.unlimited) == .alreadyOriginal)
        #expect(Lever.restore(record, now: .bytes(Bytes(5000 * Self.mib))) == .changedByOthers(.bytes(Bytes(5000 * Self.mib))))
        // memory.high writes one value: a lower one is someone else's.
        var high = record
        high.lever = .memoryHigh
        #expect(Lever.restore(high, now: .bytes(Bytes(1016 * Self.mib))) == .changedByOthers(.bytes(Bytes(1016 * Self.mib))))
        // own: the value the follow and the let-go watch may act on, by the same rule.
        #expect(Lever.own(record, now: .bytes(Bytes(1016 * Self.mib))) == Bytes(1016 * Self.mib))
        #expect(Lever.own(record, now: .bytes(Bytes(3016 * Self.mib))) == Bytes(3016 * Self.mib))
        #expect(Lever.own(record, now: Self.unlimited) == nil)
        #expect(Lever.own(record, now: .bytes(Bytes(5000 * Self.mib))) == nil)
        #expect(Lever.own(high, now: .bytes(Bytes(1016 * Self.mib))) == nil)
    }

    @Test("the state file: memory_limit_* keys, v1's unlimited as bytes; one lever's record at most")
    func stateFile() throws {
        var state = RunState(last: Bytes(5))
        state.lever = LeverRecord(lever: .memoryLimit, target: "/sys/fs/cgroup/memory/user.slice", original: Self.unlimited,
                                  written: Bytes(3016 * Self.mib))
        let text = StateFile.render(state)
        #expect(text == "mon_memcg-state 1\nlast 5\nmemory_limit_target /sys/fs/cgroup/memory/user.slice\nmemory_limit_original 9223372036854771712\nmemory_limit_written \(3016 * Self.mib)\n")
        #expect(try StateFile.parse(text) == state)
        let head = "mon_memcg-state 1\n"
        let rejected = [
            "memory_limit_target /a\nmemory_limit_original 1\n",
            "memory_limit_target /a\nmemory_limit_original 9\nmemory_limit_written 1\nmemory_high_target /a\nmemory_high_original max\nmemory_high_written 1\n",
            "memory_limit_target /a\nmemory_high_original max\nmemory_limit_written 1\n",
            "memory_limit_target /a\nmemory_limit_original -1\nmemory_limit_written 1\n",
        ]
        for body in rejected {
            #expect(throws: ParseError.self, "\(body)") { try StateFile.parse(head + body) }
        }
    }
}
