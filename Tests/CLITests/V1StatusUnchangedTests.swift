import Foundation
import Testing
import TestSupport

/// `status` on cgroup v1 must not change with v2 support: the text below is
/// what the binary printed before v2 existed, on the default fixture tree
/// (ROOT stands for the tree's directory).
struct V1StatusUnchangedTests {
    static let golden = """
        mon_memcg status: cgroup v1, ROOT/cgroup (read-only: nothing was changed)

        Node, as kubelet sees it
          MemTotal                       24576000000  (22.9 GiB)  ROOT/proc/meminfo
          root usage_in_bytes             2000000000  (1.9 GiB)  ROOT/cgroup/memory.usage_in_bytes
          root total_inactive_file         500000000  (476.8 MiB)  ROOT/cgroup/memory.stat
          working set                     1500000000  (1.4 GiB)  usage - inactive_file, at least 0
          available                      23076000000  (21.5 GiB)  MemTotal - working set (kubelet's memory.available)
          watermark                         67108864  (64.0 MiB)  vm.min_free_kbytes
          available_threshold             4294967296  (4.0 GiB)
          global thresh                   4362076160  (4.1 GiB)  available_threshold + watermark
          MemAvailable                   12288000000  (11.4 GiB)  for comparison; not used

        Target ROOT/cgroup/user.slice
          current                          300000000  (286.1 MiB)  total_rss + total_cache
          last                                     0  no state file yet (ROOT/state/state)
          change                           300000000  current - last
          growth_threshold                1073741824  (1.0 GiB)

        Decision: none
          available 23076000000 >= global threshold 4362076160 and the target (300000000) is not below last 0: nothing to do

        """

    /// Added after it by the dying-cgroup issue, below everything else.
    static let dyingSection = """

        Dying cgroups (dying_reclaim auto)
          dying cgroups                            0  whole memory hierarchy: /proc/cgroups num_cgroups - live directories
          dying bytes                              0  (0 B)  under the target: total - own - live children's total
          reaper                              absent  /sys/kernel/mm/memcg_reaper/reap
          last drop_caches                     never  epoch seconds; drop_caches_interval 600 s
          escalation if a reclaim left memory short: none (avalible_mem 23076000000 is not less than global thresh 4362076160)

        """

    @Test("status text on v1 is byte-identical to the pre-v2 output")
    func unchanged() throws {
        let tree = try FixtureTree()
        let r = try Binary.run(["status"] + tree.arguments)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == (Self.golden + Self.dyingSection).replacingOccurrences(of: "ROOT", with: tree.root.path))
    }
}
