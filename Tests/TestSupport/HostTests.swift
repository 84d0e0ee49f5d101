import Foundation

/// Tests that reach beyond their own `mon_memcg-test-*` cgroups (node-wide
/// knobs such as /proc/sys/vm/drop_caches, node-wide memory pressure, the
/// root cgroup's usage threshold) or load the machine for seconds (dozens of
/// page-cache writers) run only when asked: `MON_MEMCG_HOST_TESTS=1`. The
/// plain `swift test` of the README must be safe on a production node.
public enum HostTests {
    public static let variable = "MON_MEMCG_HOST_TESTS"

    public static var enabled: Bool {
        ProcessInfo.processInfo.environment[variable] == "1"
    }
}
