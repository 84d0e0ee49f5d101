import Testing
import TestSupport
@testable import MemcgCore

/// What of the target was not on disk yet when reclaim_timeout came: the
/// fields each hierarchy counts it in, and the log line that says it.
struct UnwrittenTests {
    struct Row: NamedRow {
        var name: String
        var hierarchy: CgroupHierarchy
        var stat: String
        /// nil: the stat lacks a field, and the error names it.
        var expected: Unwritten?
        var missing: String? = nil
    }

    @Test("dirty and writeback bytes from the target's memory.stat", arguments: [
        Row(name: "v1: the hierarchical total_ fields, not the target's own",
            hierarchy: .v1, stat: "dirty 1\nwriteback 2\ntotal_dirty 4294967296\ntotal_writeback 536870912\n",
            expected: Unwritten(dirty: 4_294_967_296, writeback: 536_870_912)),
        Row(name: "v2: file_dirty and file_writeback", hierarchy: .v2,
            stat: "anon 0\nfile 9\nfile_dirty 12288\nfile_writeback 4096\n", expected: Unwritten(dirty: 12_288, writeback: 4_096)),
        Row(name: "v1 fields on v2: not read as v2's", hierarchy: .v2, stat: "total_dirty 5\ntotal_writeback 6\n",
            expected: nil, missing: "file_dirty"),
        Row(name: "a kernel without total_writeback: an error naming it", hierarchy: .v1, stat: "total_dirty 5\n",
            expected: nil, missing: "total_writeback"),
    ])
    func parse(row: Row) throws {
        let stat = try MemoryStat(parsing: row.stat)
        if let expected = row.expected {
            #expect(try Unwritten(stat: stat, hierarchy: row.hierarchy) == expected)
        } else {
            let error = #expect(throws: ParseError.self) { try Unwritten(stat: stat, hierarchy: row.hierarchy) }
            #expect(error?.description.contains("no \(row.missing ?? "?") field") == true, "\(String(describing: error))")
        }
    }

    @Test("the line names each hierarchy's fields, and no reader of reclaim lines counts it as a reclaim")
    func line() {
        let v1 = LogLines.unwrittenAtTimeout(Unwritten(dirty: 3_221_225_472, writeback: 268_435_456), hierarchy: .v1)
        #expect(v1 == "at reclaim_timeout the target held total_dirty 3221225472 and total_writeback 268435456 bytes: "
            + "page cache no reclaim frees before it is written (gigabytes of it mean the writers outpace the disk: "
            + "docs/troubleshooting.md, section 8)")
        let v2 = LogLines.unwrittenAtTimeout(Unwritten(dirty: 0, writeback: 0), hierarchy: .v2)
        #expect(v2.hasPrefix("at reclaim_timeout the target held file_dirty 0 and file_writeback 0 bytes: "))
        // The lab (scripts/lab/metrics.py, scripts/vm-lab/summary.py) counts
        // reclaims by these words; the line must match none of them.
        for line in [v1, v2] {
            for word in ["reclaim took", "reclaim interrupted", "freed ", "reclaim asked"] {
                #expect(!line.contains(word), "\(word) in \(line)")
            }
        }
    }
}
