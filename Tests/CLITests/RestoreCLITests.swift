import Foundation
import Testing
import TestSupport

/// `mon_memcg restore` (mon_memcg-watch.service's ExecStopPost=) on fixture
/// trees, through the built binary: a watch killed with the lever engaged
/// leaves the limit on the target, and restore puts it back at once, as the
/// next start would; and what it does when it cannot (another run holds the
/// lock, the file cannot be written, the state file is unusable). The unit
/// running it after a real kill -9 is shown in the systemd VM (CI step 50).
@Suite(.serialized)
struct RestoreCLITests {
    let v1 = MemoryLimitFixtureTests()
    let v2 = MemoryHighFixtureTests()
    static let why = "mon_memcg restore, after the run that set it ended (the unit's ExecStopPost=, or by hand)"

    func restore(_ conf: String) throws -> RunResult { try Binary.run(["restore", "--config", conf]) }

    /// v1: watch clamped the limit, then was killed (SIGKILL: nothing of its own runs).
    func killedV1() throws -> FixtureTree {
        let tree = try v1.tree()
        let daemon = try v1.engagedWatch(tree)
        daemon.signal(SIGKILL)
        _ = daemon.waitForExit(timeout: 5)
        #expect(v1.limit(tree) == MemoryLimitFixtureTests.clamp, "\(v1.log(tree))")
        #expect(v1.state(tree).contains("memory_limit_written"), "\(v1.state(tree))")
        return tree
    }

    @Test("v1: after kill -9 the limit is put back at once, said on stdout and in the log; a second restore finds nothing")
    func v1AfterKill() throws {
        let tree = try killedV1()
        let conf = tree.path("mon_memcg.conf")
        let r = try restore(conf)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(v1.limit(tree) == MemoryLimitFixtureTests.unlimited)
        #expect(!v1.state(tree).contains("memory_limit"), "the record cleared: \(v1.state(tree))")
        let line = "memory.limit_in_bytes restored to 9223372036854771712 on \(tree.cgroupRoot)/user.slice (was 3016818688, set by a held episode): \(Self.why)"
        #expect(r.stdout.contains(line), "\(r.stdout)")
        #expect(v1.log(tree).contains(line), "\(v1.log(tree))")
        let again = try restore(conf)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("records no memory.high or memory.limit_in_bytes set by a held episode: nothing to restore"), "\(again.stdout)")
        #expect(v1.limit(tree) == MemoryLimitFixtureTests.unlimited)
    }

    @Test("v2: after kill -9 memory.high is put back to max at once")
    func v2AfterKill() throws {
        let tree = try v2.tree()
        let daemon = try v2.engagedWatch(tree)
        daemon.signal(SIGKILL)
        _ = daemon.waitForExit(timeout: 5)
        #expect(v2.high(tree) == MemoryHighFixtureTests.floor, "\(v2.log(tree))")
        let r = try restore(tree.path("mon_memcg.conf"))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(v2.high(tree) == "max\n")
        #expect(!v2.state(tree).contains("memory_high"), "\(v2.state(tree))")
        #expect(v2.log(tree).contains("memory.high restored to max on \(tree.cgroupRoot)/user.slice (was 434241536, set by a held episode): \(Self.why)"),
                "\(v2.log(tree))")
    }

    @Test("a value someone set after the lever stands, and the record is cleared")
    func changedByOthers() throws {
        let tree = try killedV1()
        try tree.write("cgroup/user.slice/memory.limit_in_bytes", "5000000000\n")
        let r = try restore(tree.path("mon_memcg.conf"))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(v1.limit(tree) == "5000000000\n")
        #expect(!v1.state(tree).contains("memory_limit"), "\(v1.state(tree))")
        #expect(r.stdout.contains("memory.limit_in_bytes left at 5000000000 on \(tree.cgroupRoot)/user.slice"), "\(r.stdout)")
    }

    @Test("another run holds the lock: left to it (exit 0, record kept); restored once the lock is free")
    func lockHeld() throws {
        let tree = try killedV1()
        let conf = tree.path("mon_memcg.conf")
        let hold = holdRunLock(tree.stateFile + ".lock", skipped: false) { "" }
        let r = try restore(conf)
        hold.release()
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("not restored here: another mon_memcg run holds \(tree.stateFile).lock; it restores it at its start"), "\(r.stdout)")
        #expect(v1.limit(tree) == MemoryLimitFixtureTests.clamp)
        #expect(v1.state(tree).contains("memory_limit_written"), "the record kept for that run: \(v1.state(tree))")
        let after = try restore(conf)
        #expect(after.status == 0, "\(after.stderr)")
        #expect(v1.limit(tree) == MemoryLimitFixtureTests.unlimited)
    }

    @Test("the file cannot be read back: exit 5, the path and the reason on stderr, the record kept for the next try")
    func unreadable() throws {
        let tree = try killedV1()
        let file = tree.path("cgroup/user.slice/memory.limit_in_bytes")
        try FileManager.default.removeItem(atPath: file)
        try FileManager.default.createDirectory(atPath: file, withIntermediateDirectories: false)
        let r = try restore(tree.path("mon_memcg.conf"))
        #expect(r.status == 5, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("cannot restore memory.limit_in_bytes of \(tree.cgroupRoot)/user.slice to 9223372036854771712"), "\(r.stderr)")
        #expect(r.stderr.contains(file) && r.stderr.contains("kept in the state file for the next try"), "\(r.stderr)")
        #expect(v1.state(tree).contains("memory_limit_written"), "\(v1.state(tree))")
    }

    @Test("an unusable state file: exit 7, said with its path, nothing written")
    func unusableState() throws {
        let tree = try v1.tree()
        try tree.write("state/state", "not a state file\n")
        let r = try restore(tree.path("mon_memcg.conf"))
        #expect(r.status == 7, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("restore: the state file \(tree.stateFile) cannot be used"), "\(r.stderr)")
        #expect(v1.limit(tree) == MemoryLimitFixtureTests.unlimited)
    }
}

extension RestoreCLITests {
    @Test("a configuration file that cannot be read: the limit is put back all the same (the defaults and the options), then exit 2 with the file's error")
    func brokenConfiguration() throws {
        let tree = try killedV1()
        let conf = tree.path("mon_memcg.conf")
        try tree.write("mon_memcg.conf", (tree.read("mon_memcg.conf") ?? "") + "bogus_key = 1\n")
        let r = try Binary.run(["restore", "--config", conf, "--cgroup-root", tree.cgroupRoot, "--proc-root", tree.procRoot,
                                "--state-file", tree.stateFile, "--log-file", tree.logFile])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("unknown key \"bogus_key\""), "\(r.stderr)")
        #expect(r.stderr.contains("restore goes on without the configuration file: the defaults and the options, so the state file \(tree.stateFile)"), "\(r.stderr)")
        #expect(v1.limit(tree) == MemoryLimitFixtureTests.unlimited)
        #expect(!v1.state(tree).contains("memory_limit"), "\(v1.state(tree))")
    }

    @Test("a bad option is the user's to fix: exit 2, nothing restored")
    func badOption() throws {
        let tree = try killedV1()
        let r = try Binary.run(["restore", "--config", tree.path("mon_memcg.conf"), "--poll-interval", "soon"])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("--poll-interval"), "\(r.stderr)")
        #expect(!r.stderr.contains("restore goes on"), "\(r.stderr)")
        #expect(v1.limit(tree) == MemoryLimitFixtureTests.clamp)
    }
}

extension RestoreCLITests {
    @Test("available_threshold that needs kubelet's file, which is missing: the restore reads only paths, so it goes on with the file's state_file (exit 0)")
    func thresholdNotResolved() throws {
        let tree = try killedV1()
        try tree.write("mon_memcg.conf", (tree.read("mon_memcg.conf") ?? "") + "available_threshold = kubelet + 1G\n")
        #expect(tree.read("kubelet/config.yaml") == nil, "the test needs kubelet's file missing")
        let check = try Binary.run(["check", "--dry-run", "--config", tree.path("mon_memcg.conf")])
        #expect(check.status == 2 && check.stderr.contains("needs kubelet's configuration"), "a check cannot resolve it: \(check.stderr)")
        let r = try restore(tree.path("mon_memcg.conf"))
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(!r.stderr.contains("restore goes on without the configuration file"), "\(r.stderr)")
        #expect(v1.limit(tree) == MemoryLimitFixtureTests.unlimited)
        #expect(!v1.state(tree).contains("memory_limit"), "\(v1.state(tree))")
    }
}

extension RestoreCLITests {
    @Test("log_file = - (the DaemonSet's): the restore line is on stdout once, as the log, not echoed a second time")
    func logOnStdout() throws {
        let tree = try killedV1()
        let r = try Binary.run(["restore", "--config", tree.path("mon_memcg.conf"), "--log-file", "-"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(v1.limit(tree) == MemoryLimitFixtureTests.unlimited)
        let line = "memory.limit_in_bytes restored to 9223372036854771712 on \(tree.cgroupRoot)/user.slice (was 3016818688, set by a held episode): \(Self.why)"
        #expect(r.stdout.components(separatedBy: line).count - 1 == 1, "\(r.stdout)")
    }
}
