#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import MemcgCore

@main
struct MonMemcg: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mon_memcg",
        abstract: "Reclaim the user.slice memory cgroup before kubelet evicts pods.",
        discussion: """
        kubelet computes memory.available = MemTotal - (root memory.usage_in_bytes - root \
        total_inactive_file). Page cache, dying cgroups and mis-accounted RSS charged to \
        user.slice (ssh sessions) inflate that working set, so kubelet evicts pods while the \
        memory is reclaimable. mon_memcg runs from a systemd timer, computes the same number, \
        and writes memory.force_empty on the target cgroup when it falls below \
        available_threshold + vm.min_free_kbytes. On cgroup v2 (found in /proc/self/mountinfo \
        unless cgroup_root is set) it computes kubelet's v2 signal from the root's memory.stat \
        (anon + file - inactive_file) and asks the target's memory.reclaim for what is missing.

        Settings come from /etc/mon_memcg.conf (key = value; see mon_memcg.conf comments), \
        overridden by the options below. Events go to /var/log/mon_memcg.log.

        EXIT STATUS
        \(ExitStatus.helpTable)
        """,
        version: "0.1.0",
        subcommands: [Check.self, Status.self, ConfigCommand.self, Watch.self, Alive.self],
        defaultSubcommand: Check.self)

    /// A check's usual command line is read by `CheckCommandLine` and run
    /// directly: the general parser costs as much at start-up as the check
    /// itself (docs/benchmarks.md). Everything else, usage errors included,
    /// goes to the general parser.
    static func main() {
        if let request = CheckCommandLine.parse(Array(CommandLine.arguments.dropFirst())) {
            Glibc.exit(Check.execute(request).rawValue)
        }
        main(nil)
    }
}
