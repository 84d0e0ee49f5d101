#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import MemcgCore
import MemcgEngine
import MemcgKernel

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

        Every command takes the setting options: --config PATH, and one option per \
        configuration key that overrides it (\(ConfigKey.allCases.map { "--" + $0.optionName }.joined(separator: ", "))). \
        'mon_memcg check --help' lists them with their defaults; \
        'mon_memcg config --defaults' prints every key with its meaning; man mon_memcg(8) \
        and mon_memcg.conf(5) have all of it.

        FILES
          /etc/mon_memcg.conf        settings (key = value); missing means all defaults
          /var/log/mon_memcg.log     the event log, one line per event
          /run/mon_memcg/state       last usage and counters (with state.lock: one run)

        EXIT STATUS
        \(ExitStatus.helpTable)
        """,
        version: MemcgVersion.current,
        subcommands: [Check.self, Status.self, ConfigCommand.self, Watch.self, Alive.self, Restore.self],
        defaultSubcommand: Check.self)

    /// The units run `/usr/sbin/mon_memcg` with no arguments (and people
    /// type `mon_memcg check --target X`): a check given only setting
    /// options runs without the argument parser, whose start-up costs as
    /// much as the check itself (PlainCheck, docs/benchmarks.md).
    /// Everything else goes to the parser.
    static func main() {
        let arguments = ArgumentFixups.commandFirst(Array(CommandLine.arguments.dropFirst()))
        if let settings = PlainCheck.settings(arguments) {
            Glibc.exit(Check.execute(settings, dryRun: false).rawValue)
        }
        if let unknown = ArgumentFixups.unknownCommand(arguments) {
            StandardStreams().err("mon_memcg: \(unknown)\n")
            Glibc.exit(ExitStatus.usage.rawValue)
        }
        main(ArgumentFixups.joiningNegativeValues(arguments))
    }
}
