import Foundation
import Testing
import TestSupport

/// The built binary on cgroup v2 fixture trees: detection, kubelet's v2
/// signal, memory.reclaim asked for what is missing, the original script's lines and
/// state, the failure when the kernel has no memory.reclaim.
@Suite(.serialized)
struct CgroupV2CLITests {
    // FixtureTreeV2 defaults: MemTotal 1 GiB, root anon 1e9 + file 2e9,
    // inactive_file 1e8, so available = 1073741824 - 2900000000.
    static let available: Int64 = 1_073_741_824 - 2_900_000_000
    static let globalThreshold: Int64 = 4_362_076_160

    /// The log without the dying-cgroup lines (CgroupV2DyingTests checks those).
    func logLines(_ tree: FixtureTreeV2) -> [String] { tree.logLines.filter { !$0.hasPrefix("dying ") } }

    @Test("memory short on v2 (found in mountinfo): memory.reclaim asked for the shortfall, the original script's lines")
    func reclaims() throws {
        // Shortfall + growth = 4362076160 + 1073741824 - available = 7262076160,
        // above the target's 3000000000: all of it, in four writes of 750000000.
        let tree = try FixtureTreeV2()
        let r = try Binary.run(["check"] + tree.argumentsDetecting)
        #expect(r.status == 0, "\(r.stderr)")
        // The last write and the state: CheckBothHierarchiesTests.reclaims.
        let lines = logLines(tree)
        #expect(Array(lines.prefix(4)) == [
            "avalible_mem \(Self.available) is less global thresh \(Self.globalThreshold), need reclaim \(tree.cgroupRoot)//user.slice !!",
            "Before reclaim:",
            "mem usage: CURRENT 3000000000 LAST 0 CHANGE 3000000000",
            "memory.reclaim: requesting 3000000000 bytes (global thresh \(Self.globalThreshold) + growth threshold 1073741824 - available \(Self.available), at most current 3000000000) in steps of at most 750000000 bytes",
        ])
        let steps = lines.filter { $0.hasPrefix("memory.reclaim step ") }
        #expect(steps.count == 4)
        #expect(steps.allSatisfy { $0.contains("asked 750000000 bytes, done in ") })
        #expect(lines.contains("After reclaim:"))
        #expect(lines.contains("mem usage memory.current 3000000000"))
        #expect(!lines.contains { $0.contains("total_rss") || $0.contains("force_empty") })
        #expect(lines.last?.hasPrefix("reclaim took ") == true)
    }

    @Test("a small shortfall asks for just that")
    func asksForWhatIsMissing() throws {
        // MemTotal 8 GiB, working set 1 GiB: available 7 GiB. With a 64 MiB
        // watermark and 16 MiB growth_threshold, this threshold makes
        // global thresh + growth - available exactly 100 MiB.
        let tree = try FixtureTreeV2(memTotalKB: 8 * 1_048_576, rootAnon: 1 << 30, rootFile: 1 << 30, rootInactiveFile: 1 << 30)
        let threshold: Int64 = (7 << 30) - (64 << 20) - (16 << 20) + (100 << 20)
        let r = try Binary.run(["check", "--available-threshold", "\(threshold)", "--growth-threshold", "16M"] + tree.arguments)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(logLines(tree).contains { $0.hasPrefix("memory.reclaim: requesting 104857600 bytes (") })
        // 100 MiB in steps of at most 32 MiB; the fixture's memory.current does
        // not move, so the last write is the remainder, 4 MiB.
        #expect(tree.read("cgroup/user.slice/memory.reclaim") == "4194304\n")
    }

    @Test("no free swap: the request is what the target's memory.stat says can go, not its anon")
    func boundedByReclaimable() throws {
        // setTarget: anon 300000000 and file 2700000000 of 3000000000; no swap lines.
        let tree = try FixtureTreeV2(swapFreeKB: nil)
        let r = try Binary.run(["check"] + tree.argumentsDetecting)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = logLines(tree)
        #expect(lines.contains("memory.reclaim: requesting 2700000000 bytes (global thresh \(Self.globalThreshold) + growth threshold 1073741824 - available \(Self.available), at most reclaimable 2700000000 (memory.stat; current 3000000000)) in steps of at most 675000000 bytes"),
                "\(lines)")
        #expect(lines.filter { $0.hasPrefix("memory.reclaim step ") }.count == 4, "\(lines)")
        #expect(tree.read("cgroup/user.slice/memory.reclaim") == "675000000\n")
    }

    @Test("free swap on the node, but memory.swap.max 0 on the target: the request leaves its anon out")
    func boundedBySwapMax() throws {
        // setTarget: anon 300000000 and file 2700000000 of 3000000000; 2 GiB of free swap.
        let tree = try FixtureTreeV2()
        try tree.write("cgroup/user.slice/memory.swap.max", "0\n")
        try tree.write("cgroup/user.slice/memory.swap.current", "0\n")
        let r = try Binary.run(["check"] + tree.argumentsDetecting)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = logLines(tree)
        #expect(lines.contains { $0.hasPrefix("memory.reclaim: requesting 2700000000 bytes (") && $0.contains("at most reclaimable 2700000000 (memory.stat; current 3000000000)") },
                "\(lines)")

        // The same target allowed to swap: its usage bounds the request.
        let free = try FixtureTreeV2()
        try free.write("cgroup/user.slice/memory.swap.max", "max\n")
        try free.write("cgroup/user.slice/memory.swap.current", "0\n")
        let f = try Binary.run(["check"] + free.argumentsDetecting)
        #expect(f.status == 0, "\(f.stderr)")
        #expect(logLines(free).contains { $0.hasPrefix("memory.reclaim: requesting ") && $0.contains("at most current 3000000000)") },
                "\(logLines(free))")
    }

    @Test("a target holding only kernel memory (empty children): no write asks the kernel to walk them for nothing")
    func nothingReclaimable() throws {
        let tree = try FixtureTreeV2(swapFreeKB: nil)
        try tree.write("cgroup/user.slice/memory.current", "7864320\n")
        try tree.write("cgroup/user.slice/memory.stat", "anon 0\nfile 0\nkernel 7864320\nshmem 0\nslab_reclaimable 0\nslab_unreclaimable 1835008\n")
        // growth_threshold 1M: the growth rule lets the 7.5 MiB through.
        let r = try Binary.run(["check", "--growth-threshold", "1M"] + tree.argumentsDetecting)
        #expect(tree.read("cgroup/user.slice/memory.reclaim") == "", "\(r.stderr)\n\(logLines(tree))")
        #expect(r.status == 0, "\(r.stderr)")
        let lines = logLines(tree)
        #expect(lines.contains { $0.hasPrefix("memory.reclaim: requesting 0 bytes (") && $0.contains("at most reclaimable 0 (memory.stat; current 7864320)") },
                "\(lines)")
        #expect(!lines.contains { $0.hasPrefix("memory.reclaim step ") }, "\(lines)")
    }

    @Test("no memory.reclaim (kernel before 5.19): exit 5 with the reason, nothing written, state untouched")
    func noMemoryReclaim() throws {
        let tree = try FixtureTreeV2(reclaimFile: false)
        try tree.writeState(last: 7)
        let r = try Binary.run(["check"] + tree.arguments)
        #expect(r.status == 5)
        #expect(r.stderr.contains("memory.reclaim does not exist: this kernel has no memory.reclaim (Linux 5.19 or later"))
        #expect(tree.read("state/state") == "mon_memcg-state 1\nlast 7\n")
        #expect(logLines(tree).last?.hasPrefix("error: ") == true)
        #expect(!FileManager.default.fileExists(atPath: tree.path("cgroup/user.slice/memory.reclaim")))
    }

    @Test("a memory.reclaim write that does not return is interrupted at reclaim_timeout: exit 6, usage recorded")
    func interrupted() throws {
        let tree = try FixtureTreeV2()
        // A FIFO nobody reads: opening it for writing blocks, as a stuck reclaim would.
        try tree.replaceWithFIFO("cgroup/user.slice/memory.reclaim")
        let r = try Binary.run(["check", "--reclaim-timeout", "300ms"] + tree.arguments)
        #expect(r.status == 6, "\(r.stderr)")
        #expect(r.stderr.contains("memory.reclaim interrupted after"))
        let lines = logLines(tree)
        #expect(lines.contains { $0.hasPrefix("memory.reclaim step 1: asked 750000000 bytes, interrupted by reclaim_timeout after ") })
        #expect(lines.contains("mem usage memory.current 3000000000"))
        #expect(lines.contains { $0.hasPrefix("reclaim interrupted after ") && $0.hasSuffix("(reclaim_timeout 0.300 s)") })
        #expect(tree.read("state/state") == "mon_memcg-state 1\nlast 3000000000\n")
    }

    @Test("status on v2: says v2, shows anon + file and inactive_file, the request a check would make")
    func status() throws {
        let tree = try FixtureTreeV2()
        let r = try Binary.run(["status"] + tree.argumentsDetecting)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("mon_memcg status: cgroup v2, \(tree.cgroupRoot) (read-only: nothing was changed)\n"))
        for label in ["root anon + file", "(the root has no memory.current)", "root inactive_file", "memory.current",
                      "Decision: reclaim", "a check would write 3000000000 to \(tree.cgroupRoot)/user.slice/memory.reclaim"] {
            #expect(r.stdout.contains(label), "missing \(label)")
        }
        #expect(!r.stdout.contains("usage_in_bytes"))
        #expect(!r.stdout.contains("total_rss"))

        let j = try Binary.run(["status", "--json"] + tree.argumentsDetecting)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        func int(_ k: String) -> Int64? { (object[k] as? NSNumber)?.int64Value }
        #expect(object["hierarchy"] as? String == "v2")
        #expect(object["cgroup_root"] as? String == tree.cgroupRoot)
        #expect(int("root_usage_bytes") == 3_000_000_000)
        #expect(int("root_total_inactive_file_bytes") == 100_000_000)
        #expect(int("available_bytes") == Self.available)
        #expect(int("current_bytes") == 3_000_000_000)
        #expect(int("reclaim_request_bytes") == 3_000_000_000)
        #expect(object["decision"] as? String == "reclaim")
    }

    @Test("status on the files of a real 6.1 kernel (scripts/vm)")
    func statusRealFiles() throws {
        let fakeroot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("MemcgKernelTests/Fixtures/v2-linux6.1-pagecache.fakeroot")
        let tree = try FixtureTreeV2(copying: fakeroot)
        let j = try Binary.run(["status", "--json"] + tree.argumentsDetecting)
        #expect(j.status == 0, "\(j.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        func int(_ k: String) -> Int64? { (object[k] as? NSNumber)?.int64Value }
        #expect(object["hierarchy"] as? String == "v2")
        #expect(int("working_set_bytes") == Int64(180_224 + 182_398_976 - 157_360_128))
        #expect(int("current_bytes") == 162_332_672)
    }
}

/// The dying-cgroup escalation on cgroup v2: the target's cgroup.stat
/// counts them, memory.current minus the live children's is their bytes,
/// and a reclaim that leaves memory short drops the caches.
@Suite(.serialized)
struct CgroupV2DyingTests {
    func dyingTree() throws -> FixtureTreeV2 {
        let tree = try FixtureTreeV2()
        try tree.write("cgroup/user.slice/cgroup.subtree_control", "memory\n")
        try tree.write("cgroup/user.slice/cgroup.stat", "nr_descendants 1\nnr_dying_descendants 7\n")
        try tree.write("cgroup/user.slice/session-1.scope/memory.current", "1000000000\n")
        try tree.write("proc/sys/vm/drop_caches", "")
        return tree
    }

    @Test("v2 reclaim measures dying cgroups before and after, then drops the caches")
    func escalates() throws {
        let tree = try dyingTree()
        let r = try Binary.run(["check"] + tree.arguments)
        #expect(r.status == 0, "\(r.stderr)")
        let log = tree.read("mon_memcg.log") ?? ""
        #expect(log.contains("dying cgroups before reclaim: COUNT 7 BYTES 2000000000"), "\(log)")
        #expect(log.contains("dying cgroups after reclaim: COUNT 7 BYTES 2000000000"))
        #expect(log.contains("dying reclaim drop_caches: wrote 1 to \(tree.procRoot)/sys/vm/drop_caches"))
        #expect(log.contains("mem usage memory.current after dying reclaim 3000000000, stored as last"))
        #expect(tree.read("proc/sys/vm/drop_caches") == "1\n")
        #expect(tree.read("state/state")?.contains("last_drop_caches ") == true)
    }

    @Test("v2 dry run says what the escalation would do, writes nothing")
    func dryRun() throws {
        let tree = try dyingTree()
        let r = try Binary.run(["check", "--dry-run"] + tree.arguments)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("dying cgroups before reclaim: COUNT 7 BYTES 2000000000"))
        #expect(r.stdout.contains("would have"))
        #expect(tree.read("proc/sys/vm/drop_caches") == "")
        #expect(tree.read("state/state") == nil)
    }

    @Test("dying_reclaim = off on v2: measured, never escalated")
    func off() throws {
        let tree = try dyingTree()
        let r = try Binary.run(["check", "--dying-reclaim", "off"] + tree.arguments)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(tree.read("proc/sys/vm/drop_caches") == "")
        #expect((tree.read("mon_memcg.log") ?? "").contains("dying cgroups after reclaim: COUNT 7"))
    }
}
