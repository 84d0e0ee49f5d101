import Foundation
import Testing
import TestSupport

/// `status` text on cgroup v1, byte for byte, on the default fixture tree
/// (ROOT stands for the tree's directory). The values and the order of the
/// rows are what the binary printed before v2 existed; the layout changed
/// once since, on purpose: one set of column widths for all sections (the
/// notes no longer drift with the width of the size in parentheses), and
/// `none`/`unknown` with the reason where JSON says null; and kubelet's own
/// threshold was added as the node section's last row (issue "the
/// operator's second day"), unknown here as the fixture has no kubelet file;
/// and the page cache not on disk yet, the target's and the node's with the
/// kernel's dirty limits, as a section of its own (issue 23: what a reclaim
/// interrupted by reclaim_timeout waited on).
struct V1StatusUnchangedTests {
    static let golden = """
        mon_memcg status: cgroup v1, ROOT/cgroup (read-only: nothing was changed)

        Node, as kubelet sees it
          MemTotal                     24576000000  (22.9 GiB)   ROOT/proc/meminfo
          root usage_in_bytes           2000000000  (1.9 GiB)    ROOT/cgroup/memory.usage_in_bytes
          root total_inactive_file       500000000  (476.8 MiB)  ROOT/cgroup/memory.stat
          working set                   1500000000  (1.4 GiB)    usage - inactive_file, at least 0
          available                    23076000000  (21.5 GiB)   MemTotal - working set (kubelet's memory.available)
          watermark                       67108864  (64.0 MiB)   vm.min_free_kbytes
          available_threshold           4294967296  (4.0 GiB)
          global thresh                 4362076160  (4.1 GiB)    available_threshold + watermark
          MemAvailable                 12288000000  (11.4 GiB)   for comparison; not used
          kubelet evicts below             unknown               not read: cannot open ROOT/kubelet/config.yaml: No such file or directory

        Target ROOT/cgroup/user.slice
          current                        300000000  (286.1 MiB)  total_rss + total_cache
          last                                none               no state file yet (ROOT/state/state); a check counts from 0
          change                         300000000               current - last
          growth_threshold              1073741824  (1.0 GiB)

        Decision: none
          available 23076000000 >= global threshold 4362076160 and the target (300000000) is not below last 0: nothing to do

        Page cache not on disk yet (no reclaim frees it before it is written)
          target total_dirty                     0  (0 B)        ROOT/cgroup/user.slice/memory.stat
          target total_writeback                 0  (0 B)        ROOT/cgroup/user.slice/memory.stat
          node dirty                      10485760  (10.0 MiB)   ROOT/proc/vmstat nr_dirty
          node writeback                         0  (0 B)        ROOT/proc/vmstat nr_writeback
          dirty threshold               1073741824  (1.0 GiB)    writers wait above it: vm.dirty_ratio 20 % (nr_dirty_threshold)
          background threshold           536870912  (512.0 MiB)  the flushers start writing: vm.dirty_background_ratio 10 % (nr_dirty_background_threshold)
          gigabytes in the target make a reclaim wait for the disk: docs/troubleshooting.md, section 8

        Dying cgroups (dying_reclaim auto)
          dying cgroups                          0               whole memory hierarchy: /proc/cgroups num_cgroups - live directories
          dying bytes                            0  (0 B)        under the target: total - own - live children's total
          reaper                            absent               /sys/kernel/mm/memcg_reaper/reap
          last drop_caches                   never               epoch seconds; drop_caches_interval 600 s
          escalation if a reclaim left memory short: none (avalible_mem 23076000000 is not less than global thresh 4362076160)

        """

    @Test("status text on v1 is byte-identical to the golden output")
    func unchanged() throws {
        let tree = try FixtureTree()
        let r = try Binary.run(["status"] + tree.arguments)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == Self.golden.replacingOccurrences(of: "ROOT", with: tree.root.path))
    }

    @Test("every null in status --json is an unknown with its reason in the text")
    func nullsExplained() throws {
        let tree = try FixtureTree(target: nil)
        let text = try Binary.run(["status"] + tree.arguments).stdout
        let json = try Binary.run(["status", "--json"] + tree.arguments).stdout
        #expect(json.contains("\"last_bytes\":null") && text.contains("no state file yet"), "\(text)")
        #expect(json.contains("\"current_bytes\":null") && text.contains("current                          unknown"), "\(text)")
        #expect(json.contains("\"dying_bytes\":null") && json.contains("\"dying_problem\":\"not measured: the target is missing"), "\(json)")
        #expect(text.contains("dying bytes                      unknown               not measured: the target is missing"), "\(text)")
        #expect(json.contains("\"escalation_reason\":\"not judged: the target is missing\""), "\(json)")
        #expect(!text.contains("  -  "), "no bare dash for an unknown: \(text)")
    }
}
