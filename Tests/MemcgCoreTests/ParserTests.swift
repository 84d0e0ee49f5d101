import Testing
import TestSupport
@testable import MemcgCore

struct MemInfoTests {
    static let real = """
        MemTotal:       24684084 kB
        MemFree:        22001300 kB
        MemAvailable:   24308440 kB
        Buffers:          111660 kB
        HugePages_Total:       0
        Hugepagesize:       2048 kB

        """

    @Test("parses MemTotal and MemAvailable into bytes")
    func parses() throws {
        let m = try MemInfo(parsing: Self.real)
        #expect(m.memTotal == Bytes(24_684_084 * 1024))
        #expect(m.memAvailable == Bytes(24_308_440 * 1024))
    }
}

struct MemoryStatTests {
    @Test("parses fields and the original script's usage")
    func parses() throws {
        let s = try MemoryStat(parsing: "cache 10\nrss 5\ntotal_cache 300\ntotal_rss 200\ntotal_inactive_file 50\npgfault 99\n")
        #expect(try s.hierarchicalUsage() == 500)
        #expect(try s.bytes(StatField.totalInactiveFile) == 50)
        #expect(try s.bytes(.rss) == 5)
    }

    @Test("unknown new kernel fields are kept, not errors")
    func unknownFields() throws {
        let s = try MemoryStat(parsing: "total_cache 1\ntotal_rss 2\nsome_future_field 7\n")
        #expect(s.values["some_future_field"] == 7)
    }

    @Test("missing field names itself")
    func missingField() throws {
        let s = try MemoryStat(parsing: "total_cache 1\n")
        #expect { _ = try s.hierarchicalUsage() } throws: { String(describing: $0).contains("no total_rss field") }
    }
}

struct CounterTests {
    @Test("min_free_kbytes is kB", arguments: [("65536\n", Int64(67_108_864)), ("0\n", 0), ("67584", 69_206_016)])
    func watermark(row: (String, Int64)) throws {
        #expect(try Watermark.parse(minFreeKbytes: row.0) == Bytes(row.1))
    }

    @Test("bad counters fail", arguments: ["", "\n", "-1\n", "12 34\n", "abc", "1.5\n", "99999999999999999999\n", " 5\n", "5\n\n"])
    func badCounters(text: String) {
        #expect(throws: ParseError.self) { try CounterFile.parse(text) }
        #expect(throws: ParseError.self) { try Watermark.parse(minFreeKbytes: text) }
    }

    @Test("usage_in_bytes")
    func usage() throws {
        #expect(try CounterFile.parse("747991040\n") == 747_991_040)
    }
}

struct UnitsTests {
    static let sizes: [(String, Int64)] = [
        ("0", 0), ("4294967296", 4_294_967_296), ("4G", 4_294_967_296), ("4g", 4_294_967_296),
        ("1024K", 1_048_576), ("512M", 536_870_912), ("1T", 1_099_511_627_776), ("10GiB", 10_737_418_240),
        ("  2G  ", 2_147_483_648), ("7B", 7),
        // Kubernetes' binary forms, and GB: all powers of 1024 here.
        ("4Gi", 4_294_967_296), ("100Mi", 104_857_600), ("64Ki", 65_536), ("1Ti", 1_099_511_627_776), ("4GB", 4_294_967_296),
    ]

    @Test("sizes", arguments: sizes)
    func size(row: (String, Int64)) throws {
        #expect(try Units.parseSize(row.0) == Bytes(row.1))
    }

    @Test("hostile sizes are refused", arguments: ["-1", "4X", "99999999999T", "", "  ", "G", "1.5G", "4 G", "0x10", "+4G", "4GG", "９G", "4Gib2", "4iG", "4Mii"])
    func badSize(text: String) {
        #expect(throws: ParseError.self) { try Units.parseSize(text) }
    }

    @Test("durations", arguments: [("45", Int64(45_000)), ("45s", 45_000), ("1m", 60_000), ("500ms", 500), ("2h", 7_200_000), ("1H", 3_600_000)])
    func duration(row: (String, Int64)) throws {
        #expect(try Units.parseDurationMilliseconds(row.0) == row.1)
    }

    @Test("bad durations", arguments: ["", "-5s", "5d", "s", "1.5s", "99999999999999999m"])
    func badDuration(text: String) {
        #expect(throws: ParseError.self) { try Units.parseDurationMilliseconds(text) }
    }
}

struct StateFileTests {
    @Test("round trip")
    func roundTrip() throws {
        for state in [RunState(last: 915_800_064), RunState(last: 0), RunState(last: nil)] {
            #expect(try StateFile.parse(StateFile.render(state)) == state)
        }
        #expect(StateFile.render(RunState(last: 42)) == "mon_memcg-state 1\nlast 42\n")
    }
}
