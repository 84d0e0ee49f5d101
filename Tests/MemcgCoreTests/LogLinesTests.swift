import Testing
@testable import MemcgCore

/// The original script's log lines, byte for byte, built from the original script's own numbers.
struct LogLinesTests {
    @Test("reclaim preamble matches the original script's lines")
    func reclaimLines() {
        let node = NodeObservation(memTotal: Bytes(-300_967_919_616), rootUsage: 0, rootInactiveFile: 0, watermark: .kib(65536))
        let d = decide(node: node, current: 526_179_893_248, last: 915_800_064, policy: Policy(availableThreshold: .gib(4), growthThreshold: .gib(1)))
        let lines = LogLines.preamble(for: d, targetPath: LogLines.targetPath(cgroupRoot: "/sys/fs/cgroup/memory", target: "user.slice"))
        #expect(lines == [
            "avalible_mem -300967919616 is less global thresh 4362076160, need reclaim /sys/fs/cgroup/memory//user.slice !!",
            "Before reclaim:",
            "mem usage: CURRENT 526179893248 LAST 915800064 CHANGE 525264093184",
        ])
        #expect(LogLines.afterReclaim == "After reclaim:")
        #expect(LogLines.usageAfter(2_005_598_208, words: HierarchyWords(.v1)) == "mem usage total_rss+total_cache 2005598208")
    }

    @Test("skip preamble ends with the original script's 'change is too small' line")
    func skipLines() {
        let node = NodeObservation(memTotal: 8_249_278_464, rootUsage: 0, rootInactiveFile: 0, watermark: .kib(65536))
        let d = decide(node: node, current: 216_604_540_928, last: 216_604_540_928, policy: Policy(availableThreshold: .gib(10), growthThreshold: .gib(1)))
        let lines = LogLines.preamble(for: d, targetPath: "/sys/fs/cgroup/memory//user.slice")
        #expect(lines == [
            "avalible_mem 8249278464 is less global thresh 10804527104, need reclaim /sys/fs/cgroup/memory//user.slice !!",
            "Before reclaim:",
            "mem usage: CURRENT 216604540928 LAST 216604540928 CHANGE 0",
            "change is too small (less than 1073741824 ), so skip reclaim",
        ])
    }

    @Test("decline line")
    func decline() {
        #expect(LogLines.decline(from: 2_689_925_120, to: 932_184_064) == "mem usage decline, change last usage mem 2689925120 -> 932184064")
    }

    @Test("no preamble when memory is fine")
    func quiet() {
        let node = NodeObservation(memTotal: .gib(100), rootUsage: 0, rootInactiveFile: 0, watermark: 0)
        for last: Bytes in [0, 5, .gib(1)] {
            let d = decide(node: node, current: 5, last: last, policy: Policy(availableThreshold: .gib(4), growthThreshold: .gib(1)))
            #expect(LogLines.preamble(for: d, targetPath: "x").isEmpty)
        }
    }
}
