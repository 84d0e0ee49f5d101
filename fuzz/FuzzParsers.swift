// libFuzzer entry point for every text parser in MemcgCore: config,
// /proc/meminfo, memory.stat, counters, sizes, durations, the state file,
// /proc/self/mountinfo, /proc/cgroups and cgroup.stat.
// Built by scripts/fuzz.sh with -sanitize=fuzzer,address; a crash, a trap or
// an out-of-bounds access is a finding. The first byte picks the parser.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data + 1, count: size - 1), as: UTF8.self)
    switch data[0] % 10 {
    case 0:
        var config = Config()
        _ = try? ConfigFile.parse(text, into: &config)
    case 1:
        if let m = try? MemInfo(parsing: text) {
            precondition(m.memTotal > .zero && (m.memAvailable ?? .zero) <= m.memTotal)
        }
    case 2:
        if let s = try? MemoryStat(parsing: text) { _ = try? s.hierarchicalUsage() }
    case 3:
        _ = try? CounterFile.parse(text)
        _ = try? Watermark.parse(minFreeKbytes: text)
    case 4:
        if let b = try? Units.parseSize(text) { precondition(b >= .zero) }
    case 5:
        if let ms = try? Units.parseDurationMilliseconds(text) { precondition(ms >= 0) }
    case 7:
        if let m = try? MountInfo(parsing: text) {
            precondition(!m.mounts.isEmpty)
            _ = m.memoryController()
        }
    case 8:
        if let c = try? ProcCgroups(parsing: text), let n = try? c.memoryCgroups() { precondition(n >= 0) }
    case 9:
        if let c = try? CgroupStat(parsing: text) { precondition(c.dyingMemoryCgroups >= 0) }
    default:
        // Whatever parses must render back to the same state.
        if let state = try? StateFile.parse(text) {
            precondition((try? StateFile.parse(StateFile.render(state))) == state)
        }
    }
    return 0
}
