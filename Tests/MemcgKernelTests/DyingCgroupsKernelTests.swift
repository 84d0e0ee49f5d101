import Foundation
import Testing
@testable import MemcgCore
@testable import MemcgKernel
import TestSupport

/// On the real kernel (root, cgroup v1 memory at /sys/fs/cgroup/memory):
/// dying cgroups are seen, their bytes estimated, and the drop_caches
/// escalation frees them. drop_caches is node-wide: this is the only test
/// that writes it, and only with MON_MEMCG_HOST_TESTS=1.
@Suite(.serialized, .enabled(if: KernelLab.available, "needs root and a cgroup v1 memory controller at /sys/fs/cgroup/memory"))
struct DyingCgroupsKernelTests {
    static let childBytes: Int64 = 32 << 20
    static let children = 4

    @Test("real kernel: rmdir'd children holding page cache are counted and sized; drop_caches frees them",
          .enabled(if: HostTests.enabled, "writes /proc/sys/vm/drop_caches (drops the whole node's page cache): set MON_MEMCG_HOST_TESTS=1"))
    func dyingThenDropCaches() throws {
        // drop_caches is node-wide: never while another lab test needs its page cache busy.
        let lab = KernelLab.exclusive()
        defer { withExtendedLifetime(lab) {} }
        let data = "/var/tmp/mon_memcg-test-dying-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let target = try KernelLab.makeCgroup("dying")
        defer {
            // Files first: their pages go, so nothing we made stays dying.
            try? FileManager.default.removeItem(atPath: data)
            KernelLab.remove(target)
        }
        let targetPath = "\(KernelLab.memoryMount)/\(target)"
        let reader = DyingCgroupsV1(cgroupRoot: KernelLab.memoryMount, procRoot: "/proc")
        let empty = try reader.measure(targetPath: targetPath)
        #expect(empty.bytes.value < 1 << 20, "a new cgroup holds \(empty.bytes)")

        // Children that write page cache (synced: clean, so droppable), then
        // are removed: dying, still charged to the target.
        for i in 0..<Self.children {
            let child = try KernelLab.makeCgroup("dying\(i)", parent: target)
            let status = try KernelLab.runInside(child, "dd if=/dev/zero of=\(data)/f\(i) bs=1M count=\(Self.childBytes >> 20) conv=fsync status=none")
            #expect(status == 0)
            #expect(rmdir("\(KernelLab.memoryMount)/\(child)") == 0, "rmdir \(child): errno \(errno)")
        }
        // A live child with page cache of its own: not dying, not counted.
        let live = try KernelLab.makeCgroup("live", parent: target)
        #expect(try KernelLab.runInside(live, "dd if=/dev/zero of=\(data)/live bs=1M count=16 conv=fsync status=none") == 0)

        let before = try reader.measure(targetPath: targetPath)
        let all = Int64(Self.children) * Self.childBytes
        print("dying before drop_caches: \(before.logText)")
        #expect(before.bytes.value >= all * 9 / 10 && before.bytes.value <= all + (4 << 20), "dying bytes \(before.bytes), expected about \(all)")
        #expect(before.count >= Int64(Self.children), "count \(before.count)")

        let escalation = Escalation(procRoot: "/proc", sysRoot: "/sys")
        let outcome = try escalation.perform(.dropCaches, timeoutMilliseconds: 30_000)
        guard case .completed(let ms) = outcome else {
            Issue.record("drop_caches: \(outcome)")
            return
        }
        Escalation.settle(maxMilliseconds: 1_000)
        let after = try reader.measure(targetPath: targetPath)
        print("dying after drop_caches (\(ms) ms): \(after.logText)")
        #expect(after.bytes.value < before.bytes.value / 10, "dying bytes \(before.bytes) -> \(after.bytes)")
        #expect(after.count < before.count, "dying count \(before.count) -> \(after.count)")
        // The live child is untouched by the estimate (its cache may be
        // dropped too, but it is never counted as dying).
        #expect(FileManager.default.fileExists(atPath: "\(KernelLab.memoryMount)/\(live)"))
    }

    @Test("real kernel: the count never goes below zero and agrees with a shell count")
    func countAgreesWithShell() throws {
        let reader = DyingCgroupsV1(cgroupRoot: KernelLab.memoryMount, procRoot: "/proc")
        let ours = try reader.count()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "n=$(awk '$1==\"memory\"{print $3}' /proc/cgroups); d=$(find \(KernelLab.memoryMount) -type d | wc -l); echo $((n-d))"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let shell = Int64(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        #expect(ours >= 0)
        // Other sessions on this machine create and remove cgroups meanwhile.
        #expect(abs(ours - max(0, shell)) <= 3, "ours \(ours), shell \(shell)")
    }
}
