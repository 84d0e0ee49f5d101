import Testing
import TestSupport
@testable import MemcgCore

/// The node's dirty pages and the kernel's limits (`status`): the four
/// `/proc/vmstat` fields in pages, to bytes; and the sysctl each threshold
/// follows.
struct NodeDirtyTests {
    static let ratios = DirtySysctls(ratio: 20, bytes: 0, backgroundRatio: 10, backgroundBytes: 0)

    struct Row: NamedRow {
        var name: String
        var vmstat: String
        var pageSize: Int64 = 4096
        var expected: (dirty: Int64, writeback: Int64, threshold: Int64, background: Int64)?
        /// Part of the error when `expected` is nil.
        var error: String = ""
    }

    static let full = """
        nr_free_pages 3000000
        nr_dirty 39
        nr_writeback 2
        nr_writeback_temp 7
        nr_dirty_threshold 1204572
        nr_dirty_background_threshold 601550
        pgpgin 123

        """

    @Test("pages to bytes; the fields around them are skipped, a missing or bad one is an error that names it", arguments: [
        Row(name: "a real kernel's lines (nr_writeback_temp is not nr_writeback)", vmstat: full,
            expected: (39 * 4096, 2 * 4096, 1_204_572 * 4096, 601_550 * 4096)),
        Row(name: "64 KiB pages", vmstat: full, pageSize: 65536,
            expected: (39 * 65536, 2 * 65536, 1_204_572 * 65536, 601_550 * 65536)),
        Row(name: "no nr_dirty_background_threshold", vmstat: "nr_dirty 1\nnr_writeback 0\nnr_dirty_threshold 5\n",
            expected: nil, error: "no nr_dirty_background_threshold field"),
        Row(name: "a value that is not a count", vmstat: "nr_dirty x\n", expected: nil, error: "line 1: expected \"nr_dirty pages\""),
        Row(name: "a field twice", vmstat: "nr_dirty 1\nnr_dirty 2\n", expected: nil, error: "line 2: nr_dirty appears twice"),
        Row(name: "pages that overflow bytes", vmstat: "nr_dirty 9223372036854775807\nnr_writeback 0\nnr_dirty_threshold 1\nnr_dirty_background_threshold 1\n",
            expected: nil, error: "nr_dirty 9223372036854775807 pages is too large"),
    ])
    func parse(row: Row) throws {
        if let e = row.expected {
            let n = try NodeDirty(vmstat: row.vmstat, pageSize: row.pageSize, sysctls: Self.ratios)
            #expect(n == NodeDirty(dirty: Bytes(e.dirty), writeback: Bytes(e.writeback), threshold: Bytes(e.threshold),
                                   backgroundThreshold: Bytes(e.background), sysctls: Self.ratios))
        } else {
            let error = #expect(throws: ParseError.self) { try NodeDirty(vmstat: row.vmstat, pageSize: row.pageSize, sysctls: Self.ratios) }
            #expect(error?.description.contains(row.error) == true, "\(String(describing: error))")
        }
    }

    @Test("each threshold names the sysctl in force: the bytes when set, else the ratio")
    func settings() {
        #expect(Self.ratios.threshold == "vm.dirty_ratio 20 %")
        #expect(Self.ratios.background == "vm.dirty_background_ratio 10 %")
        let bytes = DirtySysctls(ratio: 0, bytes: 268_435_456, backgroundRatio: 0, backgroundBytes: 67_108_864)
        #expect(bytes.threshold == "vm.dirty_bytes 268435456")
        #expect(bytes.background == "vm.dirty_background_bytes 67108864")
        let mixed = DirtySysctls(ratio: 0, bytes: 1 << 30, backgroundRatio: 5, backgroundBytes: 0)
        #expect(mixed.threshold == "vm.dirty_bytes 1073741824" && mixed.background == "vm.dirty_background_ratio 5 %")
    }
}
