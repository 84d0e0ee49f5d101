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
        kubelet evicts pods when its memory.available falls below its eviction threshold: \
        MemTotal minus the root cgroup's working set, which on cgroup v2 is anon + file - \
        inactive_file of the root's memory.stat and on cgroup v1 memory.usage_in_bytes - \
        total_inactive_file. Page cache, dying cgroups and mis-accounted RSS charged to \
        user.slice (ssh sessions) count in that working set, so kubelet evicts pods while the \
        memory is reclaimable. mon_memcg computes the same number and, when it falls below \
        global thresh (available_threshold + vm.min_free_kbytes), reclaims the target cgroup: on v2 it asks \
        the target's memory.reclaim for what is missing, on v1 it writes memory.force_empty, \
        as the original script did. The hierarchy is found in /proc/self/mountinfo unless \
        cgroup_root is set.

        'mon_memcg check' (the default command) is one run, what the packaged mon_memcg.timer \
        starts every 20 s. 'mon_memcg watch' is the daemon (mon_memcg-watch.service, the \
        Kubernetes DaemonSet): it checks when the kernel reports the crossing (a usage threshold \
        event on v1) or memory pressure (PSI on v2, a later signal), and polls every \
        poll_interval, sooner near the threshold; \
        with hold = on it reclaims in steps while memory is short, until available is back above \
        global thresh + hold_hysteresis. 'mon_memcg status' shows what kubelet sees now.

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
