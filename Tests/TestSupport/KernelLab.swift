import Foundation

/// Real-kernel test support: cgroups named `mon_memcg-test-*` under the v1
/// memory mount, processes we start inside them, and removal of everything
/// afterwards, also on failure.
public enum KernelLab {
    public static let memoryMount = "/sys/fs/cgroup/memory"

    /// nil when the lab can run; otherwise why not, for the skip message.
    public static var unavailableReason: String? {
        if geteuid() != 0 { return "needs root (writes cgroupfs)" }
        if !FileManager.default.fileExists(atPath: "\(memoryMount)/memory.force_empty") {
            return "needs a cgroup v1 memory controller at \(memoryMount)"
        }
        return nil
    }

    public static var available: Bool {
        if let why = unavailableReason {
            print("SKIP real-kernel test: \(why)")
            return false
        }
        return true
    }

    /// A new `mon_memcg-test-<tag>-<random>` cgroup; returns its name
    /// relative to the memory mount.
    public static func makeCgroup(_ tag: String, parent: String? = nil) throws -> String {
        let leaf = "mon_memcg-test-\(tag)-\(UInt32.random(in: 0...UInt32.max))"
        let name = parent.map { "\($0)/\(leaf)" } ?? leaf
        try FileManager.default.createDirectory(atPath: "\(memoryMount)/\(name)", withIntermediateDirectories: false)
        return name
    }

    /// Runs a shell command inside the cgroup: the shell moves itself in
    /// (it is our own process) before doing anything.
    @discardableResult
    public static func runInside(_ cgroup: String, _ script: String) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "echo $$ > \(memoryMount)/\(cgroup)/cgroup.procs && \(script)"]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    /// Starts a background shell inside the cgroup; the caller must kill it.
    public static func startInside(_ cgroup: String, _ script: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "echo $$ > \(memoryMount)/\(cgroup)/cgroup.procs && exec sh -c '\(script)'"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// SIGKILL for a process started with `startInside` (a shell waiting
    /// on a foreground child may sit on SIGTERM), then reaps it. What it
    /// left running in the cgroup is killed by `remove`.
    public static func killAndReap(_ p: Process) {
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
    }

    public static func stat(_ cgroup: String) -> [String: Int64] {
        guard let text = try? String(contentsOfFile: "\(memoryMount)/\(cgroup)/memory.stat", encoding: .utf8) else { return [:] }
        var out: [String: Int64] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 2, let v = Int64(f[1]) { out[String(f[0])] = v }
        }
        return out
    }

    public static func usage(_ cgroup: String) -> Int64 {
        let s = stat(cgroup)
        return (s["total_rss"] ?? 0) + (s["total_cache"] ?? 0)
    }

    /// Kills every process left in the cgroup (ours: only we put any there),
    /// then removes it and its children, deepest first. Retries briefly
    /// because a cgroup with tasks cannot be removed until they are gone.
    public static func remove(_ cgroup: String) {
        let path = "\(memoryMount)/\(cgroup)"
        guard FileManager.default.fileExists(atPath: path) else { return }
        let children = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for child in children where child.hasPrefix("mon_memcg-test-") {
            remove("\(cgroup)/\(child)")
        }
        for _ in 0..<50 {
            if let procs = try? String(contentsOfFile: "\(path)/cgroup.procs", encoding: .utf8) {
                for pid in procs.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
            }
            if rmdir(path) == 0 || errno == ENOENT { return }
            usleep(100_000)
        }
        print("WARNING: could not remove test cgroup \(path): errno \(errno)")
    }

    /// Serializes the real-kernel tests that must not overlap: the one that
    /// drops the node's page cache, those that need page cache to stay
    /// busy (the timeout case), those that set a line from the node's
    /// available memory, and those that move it by hundreds of MiB (a fill
    /// and its reclaim: run beside them, a 1 GiB reclaim made a held
    /// check's line, 16 MiB above available, find the node not short). A file lock, so it holds across test
    /// processes on one machine too. Keep the returned value alive for the
    /// test's duration.
    public static func exclusive() -> ExclusiveLab { ExclusiveLab() }
}

public final class ExclusiveLab {
    private let fd: Int32

    init() {
        fd = open("/tmp/mon_memcg-test-kernel-lab.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd >= 0 { flock(fd, LOCK_EX) }
    }

    deinit {
        if fd >= 0 { close(fd) }
    }
}

/// A `mon_memcg-test-<tag>-*` cgroup and a scratch directory under /var/tmp
/// (disk-backed: its page cache is the reclaimable kind a node's is) for one
/// real-kernel test; `defer { lab.remove() }`.
public struct ScratchCgroup: Sendable {
    /// The cgroup's name relative to the memory mount.
    public let cgroup: String
    public let scratch: TempDirectory

    public init(_ tag: String) throws {
        scratch = try TempDirectory("mon_memcg-test-\(tag)", under: "/var/tmp")
        do { cgroup = try KernelLab.makeCgroup(tag) } catch { scratch.remove(); throw error }
    }

    /// The files first, so their pages go with them and the cgroup does not
    /// stay dying; then the cgroup and what is left in it.
    public func remove() {
        scratch.remove()
        KernelLab.remove(cgroup)
    }
}
