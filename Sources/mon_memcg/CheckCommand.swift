import ArgumentParser
import MemcgCore
import MemcgEngine
import MemcgKernel

/// `mon_memcg check`: one run of the original script's check.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run one check and reclaim the target cgroup if kubelet would see memory short (the default).",
        discussion: """
        Reads MemTotal, the root cgroup's memory.usage_in_bytes and total_inactive_file, and \
        vm.min_free_kbytes; computes kubelet's available memory; if it is below \
        available_threshold + min_free_kbytes and the target's total_rss+total_cache grew by at \
        least growth_threshold since the last recorded value, writes 1 to the target's \
        memory.force_empty and records the usage after the reclaim. Lines are appended to \
        log_file in \(TheOriginal.script)'s format, word for word. On cgroup v2 the root's memory.stat gives anon + file and \
        inactive_file, the target's usage is memory.current, and the target's memory.reclaim is \
        asked for global thresh + growth_threshold - available (at most memory.current), in \
        bounded writes under reclaim_timeout.
        """)

    @OptionGroup var options: SharedOptions

    @Flag(name: .customLong("dry-run"), help: "Decide, and print on stdout what the run would log and do (\"dry-run: would have ...\"); write nothing: no kernel file, state, lock, log or metrics.")
    var dryRun = false

    func run() throws {
        let status = Check.execute(options.settings, dryRun: dryRun)
        if status != .ok { throw ExitCode(status.rawValue) }
    }

    /// The command once its arguments are read: the engine's check, which
    /// refuses a user who may not write (exit 8) once the settings are read.
    static func execute(_ settings: SettingsRequest, dryRun: Bool) -> ExitStatus {
        CheckRun.execute(settings, dryRun: dryRun, console: StandardStreams())
    }
}
