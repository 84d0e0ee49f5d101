import Testing
import TestSupport
@testable import MemcgCore

/// Finding the memory controller in /proc/self/mountinfo.
struct MountInfoTests {
    /// This project's machine: v1 controllers, systemd's hybrid layout.
    static let hybridHost = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw

        """
    /// Debian 6.1 in the test VM (scripts/vm): cgroup2 only.
    static let unifiedVM = """
        1 1 0:2 / / rw - rootfs rootfs rw,size=218124k,nr_inodes=54531,inode64
        21 1 0:19 / /proc rw,relatime - proc proc rw
        25 22 0:22 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw
        26 1 1:0 / /mnt rw,relatime - ext2 /dev/ram0 rw

        """

    struct Row: NamedRow {
        var name: String
        var text: String
        var hierarchy: CgroupHierarchy?
        var mountPoint: String?
    }

    static let rows: [Row] = [
        Row(name: "hybrid host: the v1 memory mount wins over the empty cgroup2", text: hybridHost,
            hierarchy: .v1, mountPoint: "/sys/fs/cgroup/memory"),
        Row(name: "unified VM: cgroup2 at /sys/fs/cgroup", text: unifiedVM, hierarchy: .v2, mountPoint: "/sys/fs/cgroup"),
        Row(name: "v1 memory co-mounted with cpu", text: "35 31 0:32 / /sys/fs/cgroup/cpu,memory rw - cgroup cgroup rw,cpu,memory\n",
            hierarchy: .v1, mountPoint: "/sys/fs/cgroup/cpu,memory"),
        Row(name: "memory only as a name= option is not the controller",
            text: "40 31 0:37 / /x rw - cgroup cgroup rw,name=memory\n41 31 0:38 / /y rw - cgroup2 cgroup2 rw\n",
            hierarchy: .v2, mountPoint: "/y"),
        Row(name: "two cgroup2 mounts: /sys/fs/cgroup preferred",
            text: "50 1 0:40 / /run/other rw - cgroup2 cgroup2 rw\n51 1 0:40 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n",
            hierarchy: .v2, mountPoint: "/sys/fs/cgroup"),
        Row(name: "cgroup2 elsewhere only", text: "50 1 0:40 / /run/cg rw - cgroup2 none rw\n", hierarchy: .v2, mountPoint: "/run/cg"),
        Row(name: "optional fields before the separator",
            text: "29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 master:1 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n",
            hierarchy: .v2, mountPoint: "/sys/fs/cgroup"),
        Row(name: "escaped blank in the mount point", text: "60 1 0:41 / /mnt/my\\040cgroup rw - cgroup2 cgroup2 rw\n",
            hierarchy: .v2, mountPoint: "/mnt/my cgroup"),
        Row(name: "an empty source field does not shift the options",
            text: "70 1 0:50 / /t rw - tmpfs  rw\n71 1 0:51 / /m rw - cgroup  rw,memory\n", hierarchy: .v1, mountPoint: "/m"),
        Row(name: "v1 without memory and no cgroup2: none", text: "32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n",
            hierarchy: nil, mountPoint: nil),
    ]

    @Test("memory controller found", arguments: rows)
    func found(row: Row) throws {
        let found = try MountInfo(parsing: row.text).memoryController()
        #expect(found?.hierarchy == row.hierarchy)
        #expect(found?.mountPoint == row.mountPoint)
    }
}

/// kubelet's memory.available on cgroup v2: MemTotal - max(0, anon + file - inactive_file).
struct NodeSignalV2Tests {
    struct Row: NamedRow {
        var name: String
        var memTotal, anon, file, inactiveFile, workingSet, available: Int64
    }

    static let rows: [Row] = [
        // scripts/vm after writing 150 MB in user.slice (root memory.stat of Linux 6.1).
        Row(name: "VM: page cache mostly inactive", memTotal: 479_657_984, anon: 212_992, file: 182_337_536,
            inactiveFile: 157_360_128, workingSet: 25_190_400, available: 454_467_584),
        Row(name: "inactive_file above anon + file saturates at 0", memTotal: 1000, anon: 10, file: 20, inactiveFile: 50,
            workingSet: 0, available: 1000),
        Row(name: "charged beyond MemTotal: available negative, as in the original script's logs",
            memTotal: 510_000_000_000, anon: 300_000_000_000, file: 520_000_000_000, inactiveFile: 10_000_000_000,
            workingSet: 810_000_000_000, available: -300_000_000_000),
        Row(name: "nothing charged", memTotal: 4096, anon: 0, file: 0, inactiveFile: 0, workingSet: 0, available: 4096),
    ]

    @Test("working set and available", arguments: rows)
    func signal(row: Row) throws {
        let stat = MemoryStat(values: ["anon": row.anon, "file": row.file, "inactive_file": row.inactiveFile, "shmem": 7])
        let node = try NodeSignalV2.observation(memTotal: Bytes(row.memTotal), rootStat: stat, watermark: .mib(64))
        #expect(node.rootUsage == Bytes(row.anon + row.file))
        #expect(node.rootInactiveFile == Bytes(row.inactiveFile))
        #expect(node.workingSet == Bytes(row.workingSet))
        #expect(node.available == Bytes(row.available))
        #expect(node.watermark == .mib(64))
    }

    @Test("a v1 memory.stat (total_* fields) is refused, naming the missing field")
    func v1StatRefused() throws {
        let v1 = try MemoryStat(parsing: "total_rss 1\ntotal_cache 2\ntotal_inactive_file 1\n")
        #expect(throws: ParseError("no anon field")) {
            _ = try NodeSignalV2.observation(memTotal: 1, rootStat: v1, watermark: 0)
        }
        let noInactive = MemoryStat(values: ["anon": 1, "file": 2])
        #expect(throws: ParseError("no inactive_file field")) {
            _ = try NodeSignalV2.observation(memTotal: 1, rootStat: noInactive, watermark: 0)
        }
    }
}

/// What a v2 reclaim asks memory.reclaim for, and how it splits the ask.
struct ReclaimAmountPlanTests {
    struct RequestRow: NamedRow {
        var name: String
        var available, globalThreshold, growth, current, request: Int64
    }

    static let requests: [RequestRow] = [
        Row(name: "the VM's check: 100 MiB short of threshold + growth", available: 453_627_904, globalThreshold: 541_708_288,
            growth: 16_777_216, current: 162_328_576, request: 104_857_600),
        Row(name: "the original script's first logged reclaim: the shortfall, below current", available: -300_967_919_616, globalThreshold: 4_362_076_160,
            growth: 1_073_741_824, current: 526_179_893_248, request: 306_403_737_600),
        Row(name: "more than the target holds: all of it", available: 0, globalThreshold: 4_362_076_160,
            growth: 1_073_741_824, current: 2_000_000_000, request: 2_000_000_000),
        Row(name: "growth 0: exactly the shortfall", available: 4_000_000_000, globalThreshold: 4_362_076_160,
            growth: 0, current: 10_000_000_000, request: 362_076_160),
        Row(name: "not short: nothing", available: 9_000_000_000, globalThreshold: 4_362_076_160,
            growth: 1_073_741_824, current: 10_000_000_000, request: 0),
        Row(name: "negative current (hostile input): nothing", available: 0, globalThreshold: 10,
            growth: 0, current: -5, request: 0),
    ]
    typealias Row = RequestRow

    @Test("request = global thresh + growth_threshold - available, at most current", arguments: requests)
    func request(row: RequestRow) {
        let d = Decision(action: .reclaim, available: Bytes(row.available), globalThreshold: Bytes(row.globalThreshold),
                         growthThreshold: Bytes(row.growth), current: Bytes(row.current), last: 0)
        #expect(ReclaimAmountPlan.request(for: d) == Bytes(row.request))
    }

    /// A kernel's answer to one write, and what the plan should ask next.
    struct Exchange: Sendable {
        var asked: Int64
        var result: ReclaimAmountPlan.StepResult
    }

    struct StepRow: NamedRow {
        var name: String
        var request: Int64
        var exchanges: [Exchange]
        var stop: ReclaimAmountPlan.Stop
    }

    static let mib: Int64 = 1 << 20

    static let stepRows: [StepRow] = [
        StepRow(name: "VM check 1: the kernel over-reclaims, later asks shrink", request: 100 * mib, exchanges: [
            Exchange(asked: 32 * mib, result: .completed(freed: Bytes(37_175_296))),
            Exchange(asked: 32 * mib, result: .completed(freed: Bytes(52_490_240))),
            Exchange(asked: 100 * mib - 37_175_296 - 52_490_240, result: .completed(freed: Bytes(16_334_848))),
        ], stop: .done),
        StepRow(name: "new charges during a write are not chased", request: 64 * mib, exchanges: [
            Exchange(asked: 32 * mib, result: .completed(freed: Bytes(-5 * mib))),
            Exchange(asked: 32 * mib, result: .completed(freed: 0)),
        ], stop: .done),
        StepRow(name: "EAGAIN with progress goes on, EAGAIN without stops", request: 96 * mib, exchanges: [
            Exchange(asked: 32 * mib, result: .completed(freed: Bytes(39 * mib))),
            Exchange(asked: 32 * mib, result: .partial(freed: Bytes(16 * mib))),
            Exchange(asked: 32 * mib, result: .partial(freed: 0)),
        ], stop: .noProgress),
        StepRow(name: "EAGAIN while memory.current grew: stops", request: 64 * mib, exchanges: [
            Exchange(asked: 32 * mib, result: .partial(freed: Bytes(-1))),
        ], stop: .noProgress),
        StepRow(name: "a large request is split in four", request: 4_000_000_000, exchanges: [
            Exchange(asked: 1_000_000_000, result: .completed(freed: 0)),
            Exchange(asked: 1_000_000_000, result: .completed(freed: 0)),
            Exchange(asked: 1_000_000_000, result: .completed(freed: 0)),
            Exchange(asked: 1_000_000_000, result: .completed(freed: 0)),
        ], stop: .done),
        StepRow(name: "a small request is one write", request: 5 * mib, exchanges: [
            Exchange(asked: 5 * mib, result: .completed(freed: Bytes(5 * mib))),
        ], stop: .done),
        StepRow(name: "under 64 KiB: no write at all", request: 65535, exchanges: [], stop: .done),
        StepRow(name: "at most 16 writes however the kernel answers", request: 1 << 40,
                exchanges: (0..<16).map { _ in Exchange(asked: 1 << 38, result: .partial(freed: 1)) }, stop: .stepLimit),
    ]

    @Test("steps asked for, and why the plan stops", arguments: stepRows)
    func steps(row: StepRow) {
        var plan = ReclaimAmountPlan(request: Bytes(row.request))
        for (i, exchange) in row.exchanges.enumerated() {
            #expect(plan.nextStep == Bytes(exchange.asked), "write \(i + 1)")
            guard let step = plan.nextStep else { return }
            plan.record(asked: step, exchange.result)
        }
        #expect(plan.nextStep == nil)
        #expect(plan.stop == row.stop)
        #expect(plan.steps == row.exchanges.count)
    }
}
