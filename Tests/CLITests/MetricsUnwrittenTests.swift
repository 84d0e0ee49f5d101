import Foundation
import Testing
import TestSupport

/// `mon_memcg_target_dirty_bytes` and `mon_memcg_target_writeback_bytes`:
/// the target's page cache not on disk yet as a check ends, from its
/// memory.stat, in each hierarchy's fields; left out when unreadable.
struct MetricsUnwrittenTests {
    @Test("v1: a check that reclaims publishes total_dirty and total_writeback")
    func v1() throws {
        let tree = try FixtureTree.short(targetRSS: 1_000_000_000, targetCache: 2_000_000_000)
        try tree.setTargetStat("total_dirty", 150_000_000)
        try tree.setTargetStat("total_writeback", 20_000_000)
        let r = try Binary.run(["check", "--metrics-file", tree.path("metrics.prom")] + tree.arguments)
        #expect(r.status == 0, "\(r.stderr)")
        let text = try #require(tree.read("metrics.prom"))
        #expect(PromText.sample(text, "mon_memcg_target_dirty_bytes") == 150_000_000, "\(text)")
        #expect(PromText.sample(text, "mon_memcg_target_writeback_bytes") == 20_000_000, "\(text)")
        #expect(PromText.sample(text, "mon_memcg_reclaims_total") == 1, "\(text)")
        try PromText.validate(text)
    }

    @Test("v2: file_dirty and file_writeback, also from a check that did nothing")
    func v2() throws {
        let tree = try FixtureTreeV2()
        try tree.setTargetStat("file_dirty", 12_288)
        try tree.setTargetStat("file_writeback", 4_096)
        let r = try Binary.run(["check", "--available-threshold", "0", "--metrics-file", tree.path("metrics.prom")] + tree.arguments)
        #expect(r.status == 0, "\(r.stderr)")
        let text = try #require(tree.read("metrics.prom"))
        #expect(PromText.sample(text, "mon_memcg_target_dirty_bytes") == 12_288, "\(text)")
        #expect(PromText.sample(text, "mon_memcg_target_writeback_bytes") == 4_096, "\(text)")
    }

    @Test("a memory.stat without the fields: the two gauges are left out, the check and its metrics go on")
    func missing() throws {
        let tree = try FixtureTree.short(targetRSS: 1_000_000_000, targetCache: 2_000_000_000)
        let stat = try #require(tree.read("cgroup/user.slice/memory.stat"))
        try tree.write("cgroup/user.slice/memory.stat", stat.replacingOccurrences(of: "total_writeback 0\n", with: ""))
        let r = try Binary.run(["check", "--metrics-file", tree.path("metrics.prom")] + tree.arguments)
        #expect(r.status == 0, "\(r.stderr)")
        let text = try #require(tree.read("metrics.prom"))
        #expect(!text.contains("mon_memcg_target_dirty_bytes") && !text.contains("mon_memcg_target_writeback_bytes"), "\(text)")
        #expect(PromText.sample(text, "mon_memcg_reclaims_total") == 1, "\(text)")
    }
}
