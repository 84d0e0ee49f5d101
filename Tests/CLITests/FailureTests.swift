import Foundation
import Testing
import TestSupport

/// Every failure path through the built binary: its exit status, its
/// one-line reason, and that nothing was reclaimed.
@Suite(.serialized)
struct FailureTests {
    struct Row: NamedRow {
        var name: String
        /// Prepares the tree and returns extra arguments.
        var setup: @Sendable (FixtureTree) throws -> [String]
        var status: Int32
        var stderr: String
    }

    static let rows: [Row] = [
        Row(name: "target cgroup missing", setup: { _ in ["--target", "no.such.slice"] }, status: 4,
            stderr: "target cgroup"),
        Row(name: "target symlink escaping cgroup_root", setup: { t in
            try FileManager.default.createDirectory(atPath: t.path("outside"), withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: t.path("cgroup/evil.slice"), withDestinationPath: t.path("outside"))
            return ["--target", "evil.slice"]
        }, status: 4, stderr: "outside cgroup_root"),
        Row(name: "target with ..", setup: { _ in ["--target", "../proc"] }, status: 2, stderr: "--target: target \"../proc\" must stay inside cgroup_root"),
        Row(name: "absolute target", setup: { _ in ["--target", "/etc"] }, status: 2, stderr: "must be relative"),
        Row(name: "no memory controller at cgroup_root", setup: { t in ["--cgroup-root", t.path("proc")] }, status: 3,
            stderr: "no cgroup v1 memory controller at"),
        Row(name: "meminfo missing", setup: { t in try t.remove("proc/meminfo"); return [] }, status: 3,
            stderr: "meminfo: No such file or directory"),
        Row(name: "meminfo truncated", setup: { t in try t.write("proc/meminfo", "MemTotal:   1234"); return [] }, status: 3,
            stderr: "MemTotal should be a number of kB"),
        Row(name: "root memory.stat without total_inactive_file", setup: { t in try t.write("cgroup/memory.stat", "total_cache 1\n"); return [] },
            status: 3, stderr: "no total_inactive_file field"),
        Row(name: "target memory.stat garbage", setup: { t in try t.write("cgroup/user.slice/memory.stat", "garbage\n"); return [] },
            status: 3, stderr: "user.slice/memory.stat"),
        Row(name: "min_free_kbytes missing", setup: { t in try t.remove("proc/sys/vm/min_free_kbytes"); return [] }, status: 3,
            stderr: "min_free_kbytes"),
        Row(name: "bad size option", setup: { _ in ["--available-threshold", "4X"] }, status: 2, stderr: "--available-threshold: size \"4X\" has an unknown unit"),
        Row(name: "negative size option", setup: { _ in ["--growth-threshold=-1"] }, status: 2, stderr: "--growth-threshold"),
        Row(name: "relative state file", setup: { _ in ["--state-file", "state"] }, status: 2, stderr: "must be an absolute path"),
        Row(name: "config file missing", setup: { t in ["--config", t.path("nope.conf")] }, status: 2, stderr: "nope.conf: No such file or directory"),
        Row(name: "config unknown key", setup: { t in try t.write("mon_memcg.conf", "# c\ntarget = user.slice\nthreshold = 4G\n"); return ["--config", t.configFile] },
            status: 2, stderr: "mon_memcg.conf: line 3: unknown key \"threshold\""),
        Row(name: "config duplicate key", setup: { t in try t.write("mon_memcg.conf", "target = a\ntarget = b\n"); return ["--config", t.configFile] },
            status: 2, stderr: "line 2: target is already set on line 1"),
        Row(name: "config bad size", setup: { t in try t.write("mon_memcg.conf", "available_threshold = 99999999999T\n"); return ["--config", t.configFile] },
            status: 2, stderr: "line 1: size \"99999999999T\" is too large"),
        Row(name: "config writable by others", setup: { t in
            try t.write("mon_memcg.conf", "target = user.slice\n")
            chmod(t.configFile, 0o666)
            return ["--config", t.configFile]
        }, status: 2, stderr: "writable by group or others"),
        Row(name: "config is a directory", setup: { t in ["--config", t.path("state")] }, status: 2, stderr: "not a regular file"),
        Row(name: "unknown option", setup: { _ in ["--no-such-option"] }, status: 64, stderr: "Unknown option"),
        Row(name: "cgroup_root is a cgroup v2 mount without the memory controller", setup: { t in
            try t.write("v2/cgroup.controllers", "cpu io pids\n")
            return ["--cgroup-root", t.path("v2")]
        }, status: 3, stderr: "and no cgroup v2 one either"),
        Row(name: "kernel file unreadable (a directory in its place)", setup: { t in
            try t.remove("cgroup/user.slice/memory.stat")
            try FileManager.default.createDirectory(atPath: t.path("cgroup/user.slice/memory.stat"), withIntermediateDirectories: true)
            return []
        }, status: 3, stderr: "user.slice/memory.stat: Is a directory"),
        Row(name: "cgroup_root missing", setup: { t in ["--cgroup-root", t.path("nowhere")] }, status: 3, stderr: "no cgroup v1 memory controller at"),
        Row(name: "reclaim_timeout above the service timeout", setup: { _ in ["--reclaim-timeout", "90s"] }, status: 2,
            stderr: "must be between 100ms and 59s"),
        Row(name: "config file with NUL bytes", setup: { t in
            try t.write("mon_memcg.conf", "target\u{0} = user.slice\n")
            return ["--config", t.configFile]
        }, status: 2, stderr: "unknown key"),
    ]

    /// force_empty never written, no state file.
    func expectNothingReclaimed(_ tree: FixtureTree, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(tree.read("cgroup/user.slice/memory.force_empty") ?? "" == "", sourceLocation: sourceLocation)
        #expect(tree.read("state/state") == nil, sourceLocation: sourceLocation)
    }

    @Test("refused with its exit status and reason, nothing reclaimed", arguments: rows)
    func refused(row: Row) throws {
        // Memory short, so only the failure can stop a reclaim.
        let tree = try FixtureTree.short()
        let extra = try row.setup(tree)
        let r = try Binary.run(["check"] + tree.arguments + extra)
        #expect(r.status == row.status, "stderr: \(r.stderr)")
        #expect(r.stderr.contains(row.stderr), "stderr: \(r.stderr)")
        #expect(!r.stderr.contains("Fatal error"), "a Swift runtime trap: \(r.stderr)")
        expectNothingReclaimed(tree)
    }

    @Test("config owned by another user: refused with status 2, nothing reclaimed",
          .enabled(if: geteuid() == 0, "needs root to give the config file to uid 65534"))
    func configOwnedByAnotherUser() throws {
        let tree = try FixtureTree.short()
        try tree.write("mon_memcg.conf", "target = user.slice\n")
        chown(tree.configFile, 65534, 65534)
        let r = try Binary.run(["check", "--config", tree.configFile] + tree.arguments)
        #expect(r.status == 2, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("owned by uid 65534, not root"), "stderr: \(r.stderr)")
        expectNothingReclaimed(tree)
    }

    @Test("not root: refused up front with status 8, nothing touched",
          .enabled(if: geteuid() == 0, "needs root to switch to uid 65534"))
    func notRoot() throws {
        let tree = try FixtureTree.short()
        chmod(tree.root.path, 0o755)
        let r = try Binary.run(["--reuid=65534", "--regid=65534", "--clear-groups", Binary.path, "check"] + tree.arguments,
                               executable: "/usr/bin/setpriv")
        #expect(r.status == 8, "\(r.stderr)")
        #expect(r.stderr.contains("must run as root"))
        #expect(tree.read("cgroup/user.slice/memory.force_empty") == "")
        #expect(tree.read("state/state.lock") == nil)
        // status and dry-run work for any user.
        let s = try Binary.run(["--reuid=65534", "--regid=65534", "--clear-groups", Binary.path, "status"] + tree.arguments,
                               executable: "/usr/bin/setpriv")
        #expect(s.status == 0, "\(s.stderr)")
    }

    @Test("not root: watch refused up front with status 8 on a node's files, started on a tree the user owns (v2, found in mountinfo)",
          .enabled(if: geteuid() == 0, "needs root to switch to uid 65534"))
    func watchNotRoot() throws {
        let asNobody = ["--reuid=65534", "--regid=65534", "--clear-groups", Binary.path, "watch", "--poll-interval", "500ms"]
        let tree = try FixtureTreeV2()
        chmod(tree.root.path, 0o755)
        let refused = try Binary.run(asNobody + tree.argumentsDetecting, executable: "/usr/bin/setpriv")
        #expect(refused.status == 8, "\(refused.stderr)")
        #expect(refused.stderr.contains("mon_memcg watch must run as root (it writes \(tree.cgroupRoot)/user.slice/memory.reclaim"),
                "the refusal names the reclaim file of the controller found in mountinfo: \(refused.stderr)")
        #expect(tree.read("state/state.lock") == nil)
        // The same tree given to uid 65534: the root check passes with the
        // controller the start found, and the daemon runs with it.
        #expect(chownTree(tree.root.path, to: 65534) == 0)
        let daemon = try Daemon(asNobody + tree.argumentsDetecting, executable: "/usr/bin/setpriv")
        #expect(eventually(timeout: 10) { tree.read("state/state") != nil }, "no check ran: \(daemon.stderr)")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 10) == 0, "\(daemon.stderr)")
        #expect(tree.logLines.contains("watch stopped on SIGTERM"), "\(tree.logLines)")
    }

    /// `chown -R`: the tree's files belong to root, who made them.
    private func chownTree(_ path: String, to uid: UInt32) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/chown")
        p.arguments = ["-R", "\(uid):\(uid)", path]
        guard (try? p.run()) != nil else { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }

    @Test("a failure is one line on stderr and an error line in the log")
    func oneLine() throws {
        let tree = try FixtureTree(target: nil)
        let r = try Binary.run(["check"] + tree.arguments)
        #expect(r.status == 4)
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(tree.read("mon_memcg.log")?.contains("     error: target cgroup \(tree.cgroupRoot)/user.slice does not exist") == true)
    }
}
