import Testing
import TestSupport
@testable import MemcgCore

// MARK: - count and bytes

struct CountRow: NamedRow {
    var name: String
    var numCgroups, live, dying: Int64
}

@Test("v1 dying count = num_cgroups - live directories, never negative", arguments: [
    CountRow(name: "none dying", numCgroups: 6, live: 6, dying: 0),
    CountRow(name: "six dying", numCgroups: 12, live: 6, dying: 6),
    CountRow(name: "cgroup created during the walk (more live than counted)", numCgroups: 6, live: 7, dying: 0),
    CountRow(name: "hostile: negative live count", numCgroups: 3, live: -5, dying: 3),
    CountRow(name: "hostile: zero everything", numCgroups: 0, live: 0, dying: 0),
    CountRow(name: "huge", numCgroups: Int64.max, live: 1, dying: Int64.max - 1),
])
func dyingCountV1(row: CountRow) {
    #expect(DyingCgroups.countV1(numCgroups: row.numCgroups, liveDirectories: row.live) == row.dying)
}

struct BytesRow: NamedRow {
    var name: String
    var total, own: Int64
    var children: [Int64]
    var dying: Int64
}

@Test("dying bytes = target total - own - live children, never negative", arguments: [
    BytesRow(name: "after rmdir: parent keeps the pages, own cache 0", total: 209_833_984, own: 0, children: [], dying: 209_833_984),
    BytesRow(name: "live children account for everything", total: 300, own: 100, children: [150, 50], dying: 0),
    BytesRow(name: "some dying", total: 1000, own: 100, children: [300, 200], dying: 400),
    BytesRow(name: "child grew after the target was read", total: 1000, own: 0, children: [1200], dying: 0),
    BytesRow(name: "hostile: own larger than total", total: 10, own: 20, children: [], dying: 0),
    BytesRow(name: "hostile: negative child", total: 10, own: 0, children: [-50], dying: 10),
    BytesRow(name: "hostile: Int64.max total and children", total: Int64.max, own: 0, children: [Int64.max, Int64.max], dying: 0),
])
func dyingBytes(row: BytesRow) {
    let got = DyingCgroups.bytes(targetTotal: Bytes(row.total), targetOwn: Bytes(row.own), liveChildren: row.children.map { Bytes($0) })
    #expect(got == Bytes(row.dying))
}

// MARK: - /proc/cgroups

struct ProcCgroupsRow: NamedRow {
    var name: String
    var text: String
    /// nil: parsing or memoryCgroups() must fail.
    var memory: Int64?
}

let procCgroupsHere = """
    #subsys_name\thierarchy\tnum_cgroups\tenabled
    cpuset\t3\t1\t1
    cpu\t1\t1\t1
    memory\t4\t12\t1
    net_cls\t0\t1\t1

    """

@Test("/proc/cgroups parser fails closed", arguments: [
    ProcCgroupsRow(name: "this machine", text: procCgroupsHere, memory: 12),
    ProcCgroupsRow(name: "spaces instead of tabs", text: "#h\nmemory 4 7 1\n", memory: 7),
    ProcCgroupsRow(name: "no trailing newline", text: "memory\t4\t7\t1", memory: 7),
    ProcCgroupsRow(name: "hostile: empty", text: "", memory: nil),
    ProcCgroupsRow(name: "hostile: header only", text: "#subsys_name\thierarchy\tnum_cgroups\tenabled\n", memory: nil),
    ProcCgroupsRow(name: "hostile: no memory row", text: "cpu\t1\t1\t1\n", memory: nil),
    ProcCgroupsRow(name: "hostile: memory disabled", text: "memory\t4\t12\t0\n", memory: nil),
    ProcCgroupsRow(name: "hostile: three fields", text: "memory\t4\t12\n", memory: nil),
    ProcCgroupsRow(name: "hostile: five fields", text: "memory\t4\t12\t1\t9\n", memory: nil),
    ProcCgroupsRow(name: "hostile: negative count", text: "memory\t4\t-12\t1\n", memory: nil),
    ProcCgroupsRow(name: "hostile: not a number", text: "memory\t4\ttwelve\t1\n", memory: nil),
    ProcCgroupsRow(name: "hostile: enabled 2", text: "memory\t4\t12\t2\n", memory: nil),
    ProcCgroupsRow(name: "hostile: memory twice", text: "memory\t4\t12\t1\nmemory\t4\t13\t1\n", memory: nil),
    ProcCgroupsRow(name: "hostile: overflowing count", text: "memory\t4\t99999999999999999999\t1\n", memory: nil),
])
func procCgroups(row: ProcCgroupsRow) {
    let got = try? ProcCgroups(parsing: row.text).memoryCgroups()
    #expect(got == row.memory)
}

// MARK: - cgroup.stat (v2 seam)

struct CgroupStatRow: NamedRow {
    var name: String
    var text: String
    var dying: Int64?
}

@Test("cgroup.stat: nr_dying_subsys_memory when present, else nr_dying_descendants", arguments: [
    CgroupStatRow(name: "6.x kernel", text: "nr_descendants 3\nnr_dying_descendants 9\nnr_subsys_memory 4\nnr_dying_subsys_memory 5\n", dying: 5),
    CgroupStatRow(name: "6.1 kernel", text: "nr_descendants 3\nnr_dying_descendants 9\n", dying: 9),
    CgroupStatRow(name: "hostile: empty", text: "", dying: nil),
    CgroupStatRow(name: "hostile: no nr_dying_descendants", text: "nr_descendants 3\n", dying: nil),
    CgroupStatRow(name: "hostile: garbage value", text: "nr_dying_descendants x\n", dying: nil),
    CgroupStatRow(name: "hostile: duplicate", text: "nr_dying_descendants 1\nnr_dying_descendants 2\n", dying: nil),
])
func cgroupStat(row: CgroupStatRow) {
    #expect((try? CgroupStat(parsing: row.text).dyingMemoryCgroups) == row.dying)
}

// MARK: - state file: last_drop_caches

struct StateRow: NamedRow {
    var name: String
    var text: String
    var state: RunState?
}

@Test("state file carries last_drop_caches, additively", arguments: [
    StateRow(name: "file from before the counters without the key", text: "mon_memcg-state 1\nlast 915800064\n", state: RunState(last: 915_800_064)),
    StateRow(name: "both keys", text: "mon_memcg-state 1\nlast 5\nlast_drop_caches 1726282125\n", state: RunState(last: 5, lastDropCaches: ClockStamp(epochSeconds: 1_726_282_125))),
    StateRow(name: "stamp only", text: "mon_memcg-state 1\nlast_drop_caches 7\n", state: RunState(lastDropCaches: ClockStamp(epochSeconds: 7))),
    StateRow(name: "keys in the other order", text: "mon_memcg-state 1\nlast_drop_caches 7\nlast 5\n", state: RunState(last: 5, lastDropCaches: ClockStamp(epochSeconds: 7))),
    StateRow(name: "hostile: stamp twice", text: "mon_memcg-state 1\nlast_drop_caches 7\nlast_drop_caches 8\n", state: nil),
    StateRow(name: "hostile: negative stamp", text: "mon_memcg-state 1\nlast_drop_caches -7\n", state: nil),
    StateRow(name: "hostile: stamp not a number", text: "mon_memcg-state 1\nlast_drop_caches yesterday\n", state: nil),
    StateRow(name: "hostile: stamp without value", text: "mon_memcg-state 1\nlast_drop_caches\n", state: nil),
    StateRow(name: "hostile: similar unknown key", text: "mon_memcg-state 1\nlast_drop_cache 7\n", state: nil),
    StateRow(name: "hostile: truncated line", text: "mon_memcg-state 1\nlast_drop_caches 17262", state: nil),
])
func stateWithStamp(row: StateRow) {
    #expect((try? StateFile.parse(row.text)) == row.state)
}

let stateBoot = try! BootID(parsing: "6f1c2b9e-3d4a-4f5b-8c7d-0e1f2a3b4c5d")
let bootLines = "last_drop_caches_boot_id 6f1c2b9e-3d4a-4f5b-8c7d-0e1f2a3b4c5d\nlast_drop_caches_boottime_ms 8123456\n"
let bootStamp = ClockStamp(epochSeconds: 1_726_282_125, boot: BootTime(bootID: stateBoot, milliseconds: 8_123_456))

@Test("state file carries the boot-clock stamp beside last_drop_caches, both keys or neither", arguments: [
    StateRow(name: "wall and boot stamps", text: "mon_memcg-state 1\nlast 5\nlast_drop_caches 1726282125\n" + bootLines,
             state: RunState(last: 5, lastDropCaches: bootStamp)),
    StateRow(name: "boot keys first, in the other order", text: "mon_memcg-state 1\nlast_drop_caches_boottime_ms 8123456\nlast_drop_caches_boot_id 6f1c2b9e-3d4a-4f5b-8c7d-0e1f2a3b4c5d\nlast_drop_caches 1726282125\n",
             state: RunState(lastDropCaches: bootStamp)),
    StateRow(name: "with the counters after them", text: "mon_memcg-state 1\nlast_drop_caches 1726282125\n" + bootLines + "reclaims 2\n",
             state: { var s = RunState(lastDropCaches: bootStamp); s.counters.reclaims = 2; return s }()),
    StateRow(name: "boot time 0 (the first millisecond of the boot)", text: "mon_memcg-state 1\nlast_drop_caches 7\nlast_drop_caches_boot_id 6f1c2b9e-3d4a-4f5b-8c7d-0e1f2a3b4c5d\nlast_drop_caches_boottime_ms 0\n",
             state: RunState(lastDropCaches: ClockStamp(epochSeconds: 7, boot: BootTime(bootID: stateBoot, milliseconds: 0)))),
    StateRow(name: "hostile: boot id without boot time", text: "mon_memcg-state 1\nlast_drop_caches 7\nlast_drop_caches_boot_id 6f1c2b9e-3d4a-4f5b-8c7d-0e1f2a3b4c5d\n", state: nil),
    StateRow(name: "hostile: boot time without boot id", text: "mon_memcg-state 1\nlast_drop_caches 7\nlast_drop_caches_boottime_ms 8123456\n", state: nil),
    StateRow(name: "hostile: boot stamp without last_drop_caches", text: "mon_memcg-state 1\nlast 5\n" + bootLines, state: nil),
    StateRow(name: "hostile: boot id twice", text: "mon_memcg-state 1\nlast_drop_caches 7\n" + bootLines + "last_drop_caches_boot_id 6f1c2b9e-3d4a-4f5b-8c7d-0e1f2a3b4c5d\n", state: nil),
    StateRow(name: "hostile: boot time twice", text: "mon_memcg-state 1\nlast_drop_caches 7\n" + bootLines + "last_drop_caches_boottime_ms 1\n", state: nil),
    StateRow(name: "hostile: boot id not a UUID", text: "mon_memcg-state 1\nlast_drop_caches 7\nlast_drop_caches_boot_id yesterday\nlast_drop_caches_boottime_ms 1\n", state: nil),
    StateRow(name: "hostile: boot id uppercase", text: "mon_memcg-state 1\nlast_drop_caches 7\nlast_drop_caches_boot_id 6F1C2B9E-3D4A-4F5B-8C7D-0E1F2A3B4C5D\nlast_drop_caches_boottime_ms 1\n", state: nil),
    StateRow(name: "hostile: boot id empty", text: "mon_memcg-state 1\nlast_drop_caches 7\nlast_drop_caches_boot_id \nlast_drop_caches_boottime_ms 1\n", state: nil),
    StateRow(name: "hostile: negative boot time", text: "mon_memcg-state 1\nlast_drop_caches 7\nlast_drop_caches_boot_id 6f1c2b9e-3d4a-4f5b-8c7d-0e1f2a3b4c5d\nlast_drop_caches_boottime_ms -1\n", state: nil),
    StateRow(name: "hostile: boot time in seconds with a unit", text: "mon_memcg-state 1\nlast_drop_caches 7\nlast_drop_caches_boot_id 6f1c2b9e-3d4a-4f5b-8c7d-0e1f2a3b4c5d\nlast_drop_caches_boottime_ms 8123s\n", state: nil),
    StateRow(name: "hostile: boot time past Int64", text: "mon_memcg-state 1\nlast_drop_caches 7\nlast_drop_caches_boot_id 6f1c2b9e-3d4a-4f5b-8c7d-0e1f2a3b4c5d\nlast_drop_caches_boottime_ms 99999999999999999999\n", state: nil),
    StateRow(name: "hostile: a similar unknown key", text: "mon_memcg-state 1\nlast_drop_caches 7\nlast_drop_caches_boottime 1\n", state: nil),
])
func stateWithBootStamp(row: StateRow) {
    #expect((try? StateFile.parse(row.text)) == row.state)
}

@Test("the boot-clock keys are written after last_drop_caches, only with a boot stamp")
func stateRendersBootStamp() {
    #expect(StateFile.render(RunState(last: 5, lastDropCaches: bootStamp)) == "mon_memcg-state 1\nlast 5\nlast_drop_caches 1726282125\n" + bootLines)
    #expect(StateFile.render(RunState(lastDropCaches: ClockStamp(epochSeconds: 7))) == "mon_memcg-state 1\nlast_drop_caches 7\n")
}

@Test("state round-trips with and without last_drop_caches")
func stateRoundTrip() throws {
    for state in [RunState(), RunState(last: 1), RunState(lastDropCaches: ClockStamp(epochSeconds: 2)),
                  RunState(last: 3, lastDropCaches: ClockStamp(epochSeconds: 4)),
                  RunState(last: 3, lastDropCaches: ClockStamp(epochSeconds: 4, boot: BootTime(bootID: stateBoot, milliseconds: 0))),
                  RunState(lastDropCaches: ClockStamp(epochSeconds: 4, boot: BootTime(bootID: stateBoot, milliseconds: 8_123_456)))] {
        #expect(try StateFile.parse(StateFile.render(state)) == state)
    }
}

// MARK: - config keys

@Test("defaults: auto, 10m, /sys; the shipped config file documents the new keys")
func dyingDefaults() throws {
    let config = Config()
    #expect(config.dyingReclaim == .auto)
    #expect(config.dropCachesIntervalSeconds == 600)
    #expect(config.sysRoot == "/sys")
    var parsed = Config()
    try ConfigFile.parse(ConfigFile.defaultText(), into: &parsed)
    #expect(parsed == config)
    // That each default text is itself valid: ConfigTests, for every key.
    for key in ["#dying_reclaim = auto", "#drop_caches_interval = 10m", "#sys_root = /sys"] {
        #expect(ConfigFile.defaultText().contains(key))
    }
}
