import Foundation
import Testing
import TestSupport

/// `status`'s section on page cache not on disk yet: the target's dirty and
/// writeback bytes from its memory.stat, the node's from /proc/vmstat with
/// the kernel's thresholds and the sysctls they follow; unknown with the
/// reason when a file cannot be read, never a failed status.
struct StatusUnwrittenTests {
    static func json(_ stdout: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
    }

    static func int(_ object: [String: Any], _ key: String) -> Int64? { (object[key] as? NSNumber)?.int64Value }

    /// The row named `name`, its columns joined by one space (the widths
    /// are shared with the other sections).
    static func row(_ text: String, _ name: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix("  \(name) ") }
            .map { $0.split(separator: " ").joined(separator: " ") }
    }

    @Test("v1: the target's total_dirty and total_writeback, the node's pages in bytes, and vm.dirty_bytes when it is set")
    func v1() throws {
        let tree = try FixtureTree()
        try tree.setTargetStat("total_dirty", 3_221_225_472)
        try tree.setTargetStat("total_writeback", 268_435_456)
        // vm.dirty_bytes 256 MiB, background 64 MiB: the kernel zeroes the ratios.
        try tree.writeNodeDirty(dirtyPages: 60_000, writebackPages: 1_000, thresholdPages: 65_536, backgroundPages: 16_384,
                                ratio: 0, bytes: 268_435_456, backgroundRatio: 0, backgroundBytes: 67_108_864)
        let text = try Binary.run(["status"] + tree.arguments)
        #expect(text.status == 0, "\(text.stderr)")
        let stat = "\(tree.cgroupRoot)/user.slice/memory.stat"
        #expect(Self.row(text.stdout, "target total_dirty") == "target total_dirty 3221225472 (3.0 GiB) \(stat)", "\(text.stdout)")
        #expect(Self.row(text.stdout, "target total_writeback") == "target total_writeback 268435456 (256.0 MiB) \(stat)", "\(text.stdout)")
        #expect(Self.row(text.stdout, "node dirty") == "node dirty 245760000 (234.4 MiB) \(tree.procRoot)/vmstat nr_dirty", "\(text.stdout)")
        #expect(text.stdout.contains("writers wait above it: vm.dirty_bytes 268435456 (nr_dirty_threshold)"), "\(text.stdout)")
        #expect(text.stdout.contains("the flushers start writing: vm.dirty_background_bytes 67108864"), "\(text.stdout)")
        let object = try Self.json(try Binary.run(["status", "--json"] + tree.arguments).stdout)
        #expect(Self.int(object, "target_dirty_bytes") == 3_221_225_472)
        #expect(Self.int(object, "target_writeback_bytes") == 268_435_456)
        #expect(Self.int(object, "node_dirty_bytes") == 245_760_000)
        #expect(Self.int(object, "node_writeback_bytes") == 4_096_000)
        #expect(Self.int(object, "dirty_threshold_bytes") == 268_435_456)
        #expect(Self.int(object, "dirty_background_threshold_bytes") == 67_108_864)
        #expect(object["dirty_threshold_setting"] as? String == "vm.dirty_bytes 268435456")
        #expect(object["dirty_background_threshold_setting"] as? String == "vm.dirty_background_bytes 67108864")
        #expect(object["target_unwritten_problem"] is NSNull)
        #expect(object["node_dirty_problem"] is NSNull)
    }

    @Test("v2: the target's file_dirty and file_writeback, in v2's words")
    func v2() throws {
        let tree = try FixtureTreeV2()
        try tree.setTargetStat("file_dirty", 150_000_000)
        try tree.setTargetStat("file_writeback", 20_000_000)
        let text = try Binary.run(["status"] + tree.arguments)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("  target file_dirty"), "\(text.stdout)")
        #expect(!text.stdout.contains("total_dirty"), "\(text.stdout)")
        #expect(text.stdout.contains("writers wait above it: vm.dirty_ratio 20 % (nr_dirty_threshold)"), "\(text.stdout)")
        let object = try Self.json(try Binary.run(["status", "--json"] + tree.arguments).stdout)
        #expect(Self.int(object, "target_dirty_bytes") == 150_000_000)
        #expect(Self.int(object, "target_writeback_bytes") == 20_000_000)
        #expect(Self.int(object, "dirty_threshold_bytes") == 1_073_741_824)
    }

    @Test("an unreadable /proc/vmstat or a memory.stat without the fields: unknown with the reason, status still exits 0")
    func unknown() throws {
        let tree = try FixtureTree()
        try tree.write("proc/vmstat", "nr_dirty 5\nnr_writeback 0\n")
        let stat = try #require(tree.read("cgroup/user.slice/memory.stat"))
        try tree.write("cgroup/user.slice/memory.stat", stat.replacingOccurrences(of: "total_dirty 0\n", with: ""))
        let text = try Binary.run(["status"] + tree.arguments)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(Self.row(text.stdout, "target total_dirty")?.hasPrefix("target total_dirty unknown cannot use \(tree.cgroupRoot)/user.slice/memory.stat: no total_dirty field") == true, "\(text.stdout)")
                #expect(Self.row(text.stdout, "dirty threshold")?.hasPrefix("dirty threshold unknown cannot use \(tree.procRoot)/vmstat: no nr_dirty_threshold field") == true, "\(text.stdout)")
                #expect(text.stdout.contains("Dying cgroups"), "the sections after it are still shown: \(text.stdout)")
        let object = try Self.json(try Binary.run(["status", "--json"] + tree.arguments).stdout)
        #expect(object["target_dirty_bytes"] is NSNull)
        #expect((object["target_unwritten_problem"] as? String)?.contains("no total_dirty field") == true, "\(object)")
        #expect(object["dirty_threshold_bytes"] is NSNull)
        #expect((object["node_dirty_problem"] as? String)?.contains("no nr_dirty_threshold field") == true, "\(object)")

        try FileManager.default.removeItem(atPath: tree.path("proc/sys/vm/dirty_bytes"))
        let missing = try Binary.run(["status"] + tree.arguments)
        #expect(missing.status == 0, "\(missing.stderr)")
        #expect(missing.stdout.contains("\(tree.procRoot)/sys/vm/dirty_bytes"), "the path that could not be read: \(missing.stdout)")
    }

    @Test("without a target: not read, and the node's figures are still shown")
    func noTarget() throws {
        let tree = try FixtureTree(target: nil)
        let text = try Binary.run(["status"] + tree.arguments)
        #expect(Self.row(text.stdout, "target total_dirty") == "target total_dirty unknown not read: the target is missing", "\(text.stdout)")
        #expect(Self.row(text.stdout, "dirty threshold")?.hasPrefix("dirty threshold 1073741824 (1.0 GiB)") == true, "\(text.stdout)")
        let object = try Self.json(try Binary.run(["status", "--json"] + tree.arguments).stdout)
        #expect(object["target_unwritten_problem"] as? String == "not read: the target is missing")
    }

    @Test("on this host: the thresholds are the kernel's own and the setting is the sysctl in force",
          .enabled(if: FileManager.default.fileExists(atPath: "/proc/vmstat"), "no /proc/vmstat"))
    func realHost() throws {
        let r = try Binary.run(["status", "--json", "--state-file", "/nonexistent/state"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try Self.json(r.stdout)
        func sysctl(_ name: String) throws -> Int64 {
            try #require(Int64(try String(contentsOfFile: "/proc/sys/vm/\(name)", encoding: .utf8).dropLast()))
        }
        let bytes = try sysctl("dirty_bytes")
        let expected = bytes > 0 ? "vm.dirty_bytes \(bytes)" : "vm.dirty_ratio \(try sysctl("dirty_ratio")) %"
        #expect(object["dirty_threshold_setting"] as? String == expected)
        // The threshold follows free memory; within 10 % of a read right after.
        let vmstat = try String(contentsOfFile: "/proc/vmstat", encoding: .utf8)
        let pages = try #require(vmstat.split(separator: "\n").first { $0.hasPrefix("nr_dirty_threshold ") }.flatMap { Int64($0.split(separator: " ")[1]) })
        let reported = try #require(Self.int(object, "dirty_threshold_bytes"))
        let kernel = pages * Int64(sysconf(Int32(_SC_PAGESIZE)))
        #expect(abs(reported - kernel) <= kernel / 10, "status said \(reported), /proc/vmstat says \(kernel)")
    }
}
