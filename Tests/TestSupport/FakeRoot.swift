import Foundation

/// A fake host rooted in a fresh directory (`fixtureParent`): the file helpers both fixture
/// trees (v1 and v2) use to build and read back their files.
public protocol FakeRoot {
    var root: URL { get }
}

extension FakeRoot {
    public var procRoot: String { path("proc") }
    public var cgroupRoot: String { path("cgroup") }
    public var stateFile: String { path("state/state") }
    public var logFile: String { path("mon_memcg.log") }
    public var configFile: String { path("mon_memcg.conf") }

    /// Where fixture trees (and the real-kernel tests' daemon scratch)
    /// live: /dev/shm (tmpfs) where it is a writable directory, the temp
    /// directory otherwise. The daemons under test replace their state,
    /// log and heartbeat files there; on a disk-backed /tmp each create and
    /// rename can wait on the journal, which the real-kernel suites running
    /// beside them fill with gigabytes of new page cache (CI step 25: a
    /// `watch` on a fixture tree logged nothing after its start line for
    /// over 15 s, when the state file was still fsynced). tmpfs has no
    /// journal, so a fixture test times the daemon, not the disk.
    public static var fixtureParent: URL {
        access("/dev/shm", W_OK | X_OK) == 0
            ? URL(fileURLWithPath: "/dev/shm", isDirectory: true)
            : FileManager.default.temporaryDirectory
    }

    /// A new empty directory under `fixtureParent` for a tree's root.
    public static func makeRoot(prefix: String) throws -> URL {
        let root = fixtureParent.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        return root
    }

    public func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// Sets one field of `cgroup/TARGET/memory.stat`, which both fixture
    /// trees write with that field at 0; throws when it is not there.
    public func setTargetStat(_ field: String, _ value: Int64, target: String = "user.slice") throws {
        let file = "cgroup/\(target)/memory.stat"
        guard let stat = read(file), stat.contains("\n\(field) 0\n") else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path(file), "field": field])
        }
        try write(file, stat.replacingOccurrences(of: "\n\(field) 0\n", with: "\n\(field) \(value)\n"))
    }

    /// The node's dirty pages and the kernel's limits on them, as
    /// `status` reads them: `proc/vmstat` (pages, with fields around them
    /// as a real one has) and `proc/sys/vm/dirty_*`. The defaults are
    /// the kernel's ratios, with thresholds of 1 GiB and 512 MiB in pages.
    public func writeNodeDirty(dirtyPages: Int64 = 2560, writebackPages: Int64 = 0,
                               thresholdPages: Int64 = 262_144, backgroundPages: Int64 = 131_072,
                               ratio: Int64 = 20, bytes: Int64 = 0, backgroundRatio: Int64 = 10, backgroundBytes: Int64 = 0) throws {
        try write("proc/vmstat", """
            nr_free_pages 3000000
            nr_inactive_file 120000
            nr_dirty \(dirtyPages)
            nr_writeback \(writebackPages)
            nr_dirty_threshold \(thresholdPages)
            nr_dirty_background_threshold \(backgroundPages)
            workingset_refault_file 0

            """)
        try write("proc/sys/vm/dirty_ratio", "\(ratio)\n")
        try write("proc/sys/vm/dirty_bytes", "\(bytes)\n")
        try write("proc/sys/vm/dirty_background_ratio", "\(backgroundRatio)\n")
        try write("proc/sys/vm/dirty_background_bytes", "\(backgroundBytes)\n")
    }

    public func write(_ relative: String, _ text: String) throws {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: false, encoding: .utf8)
    }

    public func read(_ relative: String) -> String? {
        readFile(path(relative))
    }

    public func remove(_ relative: String) throws {
        try FileManager.default.removeItem(atPath: path(relative))
    }

    /// Replaces a file with a FIFO nobody reads: opening it for writing
    /// blocks, as a stuck force_empty or memory.reclaim does. Its path.
    @discardableResult
    public func replaceWithFIFO(_ relative: String) throws -> String {
        let fifo = path(relative)
        try remove(relative)
        guard mkfifo(fifo, 0o600) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        return fifo
    }

    /// The lines of a configuration file that point a run at this tree
    /// (cgroup_root, proc_root, state_file, log_file), each ending in a newline.
    public var pathsConfig: String {
        "cgroup_root = \(cgroupRoot)\nproc_root = \(procRoot)\nstate_file = \(stateFile)\nlog_file = \(logFile)\n"
    }

    /// The log's lines without the date(1) timestamp and the five spaces after it.
    public var logLines: [String] {
        (read("mon_memcg.log") ?? "").split(separator: "\n").map { line in
            guard let r = line.range(of: "     ") else { return String(line) }
            return String(line[r.upperBound...])
        }
    }

    /// A valid state file with this `last`.
    public func writeState(last: Int64) throws {
        try write("state/state", "mon_memcg-state 1\nlast \(last)\n")
    }
}
