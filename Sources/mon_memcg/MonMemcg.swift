#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import MemcgCore
import MemcgEngine

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
        subcommands: [Check.self, Status.self, ConfigCommand.self, Watch.self],
        defaultSubcommand: Check.self)

    /// The units run `/usr/sbin/mon_memcg` with no arguments (and people
    /// type `mon_memcg check`): those run the check without the argument
    /// parser, whose start-up costs as much as the check itself
    /// (docs/benchmarks.md). Everything else goes to the parser.
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        if arguments.isEmpty || Array(arguments) == ["check"] {
            Glibc.exit(Check.execute(SettingsRequest(), dryRun: false).rawValue)
        }
        main(nil)
    }
}
