import MemcgCore
import MemcgKernel

/// `mon_memcg alive`: the liveness probe of a DaemonSet (no shell in the
/// image). Reads the heartbeat `watch` records after every check and judges
/// its age on CLOCK_BOOTTIME, so a wall-clock step cannot change the answer.
public enum AliveProbe {
    public static func run(_ settings: SettingsRequest, maxAge: String, console: any Console) -> ExitStatus {
        let limit: Int64
        do throws(ParseError) {
            limit = try Units.parsePositiveDurationMilliseconds(maxAge)
        } catch {
            console.err("mon_memcg: --max-age: \(error.reason)\n")
            return .configError
        }
        let config: Config
        do {
            config = try Settings.load(settings)
        } catch {
            return error.report(to: console)
        }
        let path = config.heartbeatFile
        let verdict: Liveness
        do {
            verdict = Liveness.judge(try HeartbeatFile.read(path), now: MonotonicClock.bootMilliseconds(), maxAgeMilliseconds: limit)
        } catch {
            console.err("mon_memcg: not alive: \(error)\n")
            return .notAlive
        }
        let message = verdict.message(path: path, maxAgeMilliseconds: limit)
        guard verdict.isAlive else {
            console.err("mon_memcg: \(message)\n")
            return .notAlive
        }
        console.out(message + "\n")
        return .ok
    }
}

/// `watch`'s side: one heartbeat after every completed check (failed ones
/// too: the loop is running). A failure to write it is logged once, and
/// once more when it works again.
struct HeartbeatRecorder {
    private var problems = Repeats()

    mutating func beat(config: Config, log: EventLog) {
        let path = config.heartbeatFile
        do {
            try HeartbeatFile.write(path, Heartbeat(bootMilliseconds: MonotonicClock.bootMilliseconds(), pid: CurrentProcess.id))
            problems.resolved(to: log, "the heartbeat file \(path) is written again")
        } catch {
            problems.report("\(error); mon_memcg alive (a liveness probe) will call this daemon dead", to: log)
        }
    }
}
