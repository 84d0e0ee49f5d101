#if canImport(Glibc)
import Glibc
#endif
import CMemcgShims

/// How a supervised child ended, from waitpid(2)'s status.
public enum ChildEnding: Equatable, Sendable {
    case exited(Int32)
    case killed(signal: Int32)
    /// waitpid(2) found no child: something reaped it (SIGCHLD ignored is
    /// ruled out before the start), so how it ended is unknown.
    case lost

    /// The status a shell would report: the exit code, or 128 + the signal.
    public var shellStatus: Int32 {
        switch self {
        case .exited(let code): code
        case .killed(let signal): 128 + signal
        case .lost: 1
        }
    }
}

/// One child process run to its end by a process that stays behind it,
/// for `watch --supervise`: in a container the supervisor is PID 1, and it
/// must outlive the daemon to put back what the daemon's end left.
///
/// SIGTERM, SIGINT, SIGHUP and SIGCHLD are blocked here and taken with
/// sigtimedwait(2): blocked signals are queued even for a PID 1 that has
/// no handler (which the kernel would otherwise drop), and none is lost
/// between a waitpid and the wait. The child starts with the mask and
/// dispositions this process had before, so it handles its signals as when
/// run alone.
public enum SupervisedChild {
    /// Set in the child's environment to the supervisor's pid.
    public static let supervisorVariable = "MON_MEMCG_SUPERVISOR_PID"

    /// In the child, at its start: SIGTERM once the supervisor has ended,
    /// so a supervisor killed outright leaves no daemon running on behind
    /// it (the daemon restores and stops on SIGTERM as always). nil when
    /// this process was not started by a supervisor; false when its
    /// supervisor had already ended (it is then not this process's parent).
    public static func followSupervisor() -> Bool? {
        guard let text = getenv(supervisorVariable), let supervisor = Int32(String(cString: text)) else { return nil }
        _ = memcg_set_parent_death_signal(SIGTERM)
        return getppid() == supervisor
    }

    /// Runs `path` with `arguments` (argv[0] first) and the environment,
    /// forwarding SIGTERM, SIGINT and SIGHUP to it, until it ends. After a
    /// SIGTERM or SIGINT the child has `graceMilliseconds` to end, then gets
    /// SIGKILL (`killedAfterGrace`): a stopped or hung daemon must not
    /// outlast the container runtime's own grace period, after which the
    /// runtime kills this process too and nothing is put back. Reaps any
    /// other child (a PID 1 inherits orphans).
    public static func run(path: String, arguments: [String], graceMilliseconds: Int64,
                           started: (Int32) -> Void) throws(SystemError) -> (ending: ChildEnding, killedAfterGrace: Bool) {
        var watched = sigset_t()
        sigemptyset(&watched)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGCHLD] { sigaddset(&watched, signal) }
        var before = sigset_t()
        guard pthread_sigmask(SIG_BLOCK, &watched, &before) == 0 else {
            throw SystemError("block", "SIGTERM/SIGINT/SIGHUP/SIGCHLD", errno: lastErrno())
        }
        defer { pthread_sigmask(SIG_SETMASK, &before, nil) }
        // An inherited SIGCHLD set to SIG_IGN would make the kernel reap
        // the child itself, and its ending would be lost.
        signal(SIGCHLD, SIG_DFL)

        let pid = try spawn(path: path, arguments: arguments, mask: before, defaults: watched)
        started(pid)
        var killAt: Int64?  // ms, monotonic
        var killed = false
        while true {
            if let ending = reap(pid) { return (ending, killed) }
            let now = MonotonicClock.nowMilliseconds()
            if let at = killAt, now >= at {
                kill(pid, SIGKILL)
                killed = true
                killAt = nil
                continue
            }
            // Without a deadline, wake once a minute anyway: a lost
            // SIGCHLD (none should be) costs at most that.
            let wait = max(1, min(60_000, (killAt ?? now + 60_000) - now))
            var timeout = timespec(tv_sec: Int(wait / 1000), tv_nsec: Int(wait % 1000) * 1_000_000)
            var info = siginfo_t()
            let received = sigtimedwait(&watched, &info, &timeout)
            switch received {
            case SIGTERM, SIGINT:
                kill(pid, received)
                if killAt == nil, !killed { killAt = MonotonicClock.nowMilliseconds() + graceMilliseconds }
            case SIGHUP:
                kill(pid, received)
            default:
                break  // SIGCHLD, a timeout or EINTR: reap and look again
            }
        }
    }

    private static func spawn(path: String, arguments: [String], mask: sigset_t,
                              defaults: sigset_t) throws(SystemError) -> Int32 {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = mask
        var defaults = defaults
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        defer { for p in argv { free(p) } }
        var environment: [UnsafeMutablePointer<CChar>?] = [strdup("\(supervisorVariable)=\(getpid())")]
        var entry = environ
        while let variable = entry.pointee {
            if !String(cString: variable).hasPrefix(supervisorVariable + "=") { environment.append(strdup(variable)) }
            entry += 1
        }
        environment.append(nil)
        defer { for p in environment { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, nil, &attributes, argv, environment)
        guard rc == 0 else { throw SystemError("start", path, errno: rc, fix: "the supervisor starts its own executable again; check that it is still there") }
        return pid
    }

    /// The child's ending once it has one; other children are reaped and
    /// forgotten.
    private static func reap(_ pid: Int32) -> ChildEnding? {
        while true {
            var status: Int32 = 0
            let r = waitpid(-1, &status, WNOHANG)
            if r == 0 { return nil }
            if r < 0 {
                if lastErrno() == EINTR { continue }
                return .lost  // ECHILD
            }
            guard r == pid else { continue }
            // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift cannot import (macros).
            let signal = status & 0x7f
            if signal == 0 { return .exited((status >> 8) & 0xff) }
            if signal != 0x7f { return .killed(signal: signal) }
        }
    }
}
