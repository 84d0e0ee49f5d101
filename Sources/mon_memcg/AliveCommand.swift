#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import MemcgCore
import MemcgKernel

/// `mon_memcg alive`: the liveness probe of a DaemonSet (no shell in the
/// image), reading the heartbeat `watch` records after every check.
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

    @Option(name: .customLong("max-age"), help: ArgumentHelp("Oldest heartbeat that still counts as alive (default 60s).", valueName: "duration"))
    var maxAge = "60s"

    func run() throws {
        let limit: Int64
        do throws(ParseError) {
            limit = try Units.parseDurationMilliseconds(maxAge)
            guard limit > 0 else { throw ParseError("duration \"\(maxAge)\" must be more than 0") }
        } catch {
            Output.err("mon_memcg: --max-age: \(error.reason)\n")
            throw ExitCode(ExitStatus.configError.rawValue)
        }
        let config: Config
        do {
            config = try Settings.load(options.settings)
        } catch {
            Output.err("mon_memcg: \(error.message)\n")
            throw ExitCode(error.status.rawValue)
        }
        let path = config.heartbeatFile
        let verdict: Liveness
        do {
            verdict = Liveness.judge(try HeartbeatFile.read(path), now: HeartbeatFile.nowMilliseconds(), maxAgeMilliseconds: limit)
        } catch {
            Output.err("mon_memcg: not alive: \(error)\n")
            throw ExitCode(ExitStatus.notAlive.rawValue)
        }
        if verdict.isAlive {
            Output.out(verdict.message(path: path, maxAgeMilliseconds: limit) + "\n")
            return
        }
        Output.err("mon_memcg: " + verdict.message(path: path, maxAgeMilliseconds: limit) + "\n")
        throw ExitCode(ExitStatus.notAlive.rawValue)
    }
}

/// `watch`'s side: one heartbeat after every completed check. A failure to
/// write it is logged once, and once more when it works again.
struct HeartbeatRecorder {
    private var problems = Repeats()

    mutating func beat(config: Config, log: EventLog) {
        let path = config.heartbeatFile
        do {
            try HeartbeatFile.write(path, Heartbeat(bootMilliseconds: HeartbeatFile.nowMilliseconds(), pid: getpid()))
            problems.resolved(to: log, "the heartbeat file \(path) is written again")
        } catch {
            problems.report("\(error); mon_memcg alive (a liveness probe) will call this daemon dead", to: log)
        }
    }
}
