import ArgumentParser
import MemcgEngine
import MemcgKernel

/// `mon_memcg alive`: exit 0 while `watch` keeps completing checks.
struct Alive: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alive",
        abstract: "Exit 0 if mon_memcg watch completed a check within --max-age, 9 if not (a liveness probe).",
        discussion: """
        After every completed check (whatever it decided, failed checks included: the loop is \
        running) watch replaces state_file.alive with the CLOCK_BOOTTIME time and its pid. This \
        command reads that file and judges its age, so a wall-clock step cannot change the answer. \
        A daemon that is stopped, frozen or stuck in the kernel stops refreshing it. Keep --max-age \
        above poll_interval plus reclaim_timeout, the longest a check may take. Reads only; any user \
        who can read the file may run it.
        """)

    @OptionGroup var options: SharedOptions

    /// A default value on the property would make the argument parser add
    /// its own "(default: 60s)" after the one the help states in the
    /// setting options' words; optional, the help says it once.
    static let defaultMaxAge = "60s"

    @Option(name: .customLong("max-age"), help: ArgumentHelp("Oldest heartbeat that still counts as alive (default \(Alive.defaultMaxAge)).", valueName: "duration"))
    var maxAge: String?

    func run() throws {
        let status = AliveProbe.run(options.settings, maxAge: maxAge ?? Self.defaultMaxAge, console: StandardStreams())
        if status != .ok { throw ExitCode(status.rawValue) }
    }
}
