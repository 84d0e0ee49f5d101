@testable import MemcgCore
import Testing
import TestSupport

// What memory.reclaim can take from a v2 target, and how it bounds the
// request: never asking the kernel for memory no reclaim frees.

struct ReclaimableRow: NamedRow {
    var name: String
    var stat: String
    var swapRoom: Int64
    var expected: Int64
}

@Test("reclaimable = file - shmem + slab_reclaimable + min(anon + shmem, swap room)", arguments: [
    ReclaimableRow(name: "no swap: page cache and reclaimable slab, not anon",
                   stat: "anon 500\nfile 1000\nshmem 0\nslab_reclaimable 30\nslab_unreclaimable 900\n", swapRoom: 0, expected: 1030),
    ReclaimableRow(name: "no swap: tmpfs pages in file stay",
                   stat: "anon 500\nfile 1000\nshmem 400\nslab_reclaimable 30\n", swapRoom: 0, expected: 630),
    ReclaimableRow(name: "free swap: anon and tmpfs can go too",
                   stat: "anon 500\nfile 1000\nshmem 400\nslab_reclaimable 30\n", swapRoom: 4096, expected: 1530),
    // The node-size bench's target: 1,000 empty children, only kernel memory.
    ReclaimableRow(name: "empty children: kernel memory only, nothing to ask for",
                   stat: "anon 0\nfile 0\nkernel 7864320\npercpu 6000000\nshmem 0\nslab_reclaimable 0\nslab_unreclaimable 1800000\n",
                   swapRoom: 0, expected: 0),
    ReclaimableRow(name: "swap room below anon + shmem: only that much of them",
                   stat: "anon 500\nfile 1000\nshmem 400\nslab_reclaimable 30\n", swapRoom: 100, expected: 730),
    ReclaimableRow(name: "hostile: shmem above file (counters read apart) clamps at 0",
                   stat: "anon 0\nfile 100\nshmem 300\nslab_reclaimable 7\n", swapRoom: 0, expected: 7),
])
func reclaimable(row: ReclaimableRow) throws {
    #expect(try ReclaimableMemory.v2(stat: MemoryStat(parsing: row.stat), swapRoom: Bytes(row.swapRoom)) == Bytes(row.expected))
}

@Test("a memory.stat without a field it needs is an error that names the field")
func reclaimableMissingField() throws {
    let stat = try MemoryStat(parsing: "anon 1\nfile 2\nshmem 0\n")
    #expect(throws: ParseError.self) { try ReclaimableMemory.v2(stat: stat, swapRoom: .zero) }
    do {
        _ = try ReclaimableMemory.v2(stat: stat, swapRoom: .zero)
    } catch {
        #expect("\(error)".contains("slab_reclaimable"), "\(error)")
    }
}

struct SwapRoomRow: NamedRow {
    var name: String
    var swapFree: Int64
    /// memory.swap.max ("max" or bytes) and memory.swap.current, target first.
    var limits: [(String, Int64)]
    var expected: Int64
}

@Test("the swap room: SwapFree, no more than what memory.swap.max leaves the target and its ancestors", arguments: [
    SwapRoomRow(name: "no limits read (no swap accounting): the node's SwapFree", swapFree: 4096, limits: [], expected: 4096),
    SwapRoomRow(name: "max everywhere: the node's SwapFree", swapFree: 4096, limits: [("max", 100), ("max", 900)], expected: 4096),
    SwapRoomRow(name: "the target's memory.swap.max 0: nothing to swap", swapFree: 4096, limits: [("0", 0)], expected: 0),
    SwapRoomRow(name: "an ancestor nearly full: its room", swapFree: 4096, limits: [("max", 0), ("1000", 900)], expected: 100),
    SwapRoomRow(name: "over its limit (lowered under the usage): 0, not negative", swapFree: 4096, limits: [("500", 800)], expected: 0),
    SwapRoomRow(name: "SwapFree below every room: SwapFree", swapFree: 50, limits: [("1000", 0)], expected: 50),
])
func swapRoom(row: SwapRoomRow) throws {
    let limits = try row.limits.map { ReclaimableMemory.SwapLimit(max: try CgroupLimit(parsing: $0.0), current: Bytes($0.1)) }
    #expect(ReclaimableMemory.swapRoom(swapFree: Bytes(row.swapFree), limits: limits) == Bytes(row.expected))
}

@Test("SwapFree read from /proc/meminfo; 0 when the kernel has no swap lines; twice is an error")
func swapFree() throws {
    #expect(try MemInfo(parsing: "MemTotal: 1024 kB\nSwapTotal: 2048 kB\nSwapFree: 1000 kB\n").swapFree == .kib(1000))
    #expect(try MemInfo(parsing: "MemTotal: 1024 kB\nMemAvailable: 512 kB\n").swapFree == .zero)
    #expect(throws: ParseError.self) { try MemInfo(parsing: "MemTotal: 1024 kB\nSwapFree: 1 kB\nSwapFree: 1 kB\n") }
}

struct BoundRow: NamedRow {
    var name: String
    var mode: ReclaimAmountMode
    var current: Int64
    var reclaimable: Int64?
    /// The shortfall below global thresh + the margin is 2 GiB in every row.
    var expected: Int64
    var words: String
}

@Test("the request is at most what the target can give back; the line says which bound it met", arguments: [
    BoundRow(name: "v1, or not read: the usage bounds it", mode: .auto, current: 1 << 30, reclaimable: nil,
             expected: 1 << 30, words: "at most current 1073741824)"),
    BoundRow(name: "reclaimable above the usage: the usage bounds it", mode: .auto, current: 1 << 30, reclaimable: 3 << 30,
             expected: 1 << 30, words: "at most current 1073741824)"),
    BoundRow(name: "reclaimable below the usage and the shortfall", mode: .auto, current: 1 << 30, reclaimable: 300 << 20,
             expected: 300 << 20, words: "at most reclaimable 314572800 (memory.stat; current 1073741824))"),
    BoundRow(name: "reclaimable above the shortfall: the shortfall", mode: .deficit, current: 4 << 30, reclaimable: 3 << 30,
             expected: 2 << 30, words: "at most reclaimable 3221225472 (memory.stat; current 4294967296))"),
    BoundRow(name: "all: everything it can give back", mode: .all, current: 1 << 30, reclaimable: 300 << 20,
             expected: 300 << 20, words: "everything the target holds, reclaimable 314572800 (memory.stat; current 1073741824))"),
])
func requestBound(row: BoundRow) {
    // Short by 1 GiB below global thresh; growth_threshold and reclaim_margin 1 GiB each.
    var decision = Decision(action: .reclaim, available: .gib(3), globalThreshold: .gib(4), growthThreshold: .gib(1),
                            current: Bytes(row.current), last: .zero)
    decision.reclaimable = row.reclaimable.map { Bytes($0) }
    let plan = ReclaimAmountPlan(for: decision, amount: ReclaimAmountSetting(mode: row.mode, margin: .gib(1)))
    #expect(plan.request == Bytes(row.expected))
    let line = plan.requestLine(file: "/sys/fs/cgroup/user.slice/memory.reclaim", decision: decision) ?? ""
    #expect(line.contains(row.words), "\(line)")
}

@Test("kernel memory alone, below one write: nothing is written, and the plan says the target ran out")
func nothingReclaimable() {
    var decision = Decision(action: .reclaim, available: .gib(3), globalThreshold: .gib(4), growthThreshold: .gib(1),
                            current: .kib(7_680), last: .zero)
    decision.reclaimable = .kib(12)
    let plan = ReclaimAmountPlan(for: decision, amount: ReclaimAmountSetting(mode: .auto, margin: .mib(256)))
    #expect(plan.request == .kib(12))
    #expect(plan.nextStep == nil)
    #expect(plan.ranOut(.finished))
}
