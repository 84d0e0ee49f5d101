import Foundation
import Testing
@testable import MemcgKernel
import TestSupport

/// PSI triggers on this host's real /proc/pressure/memory: `mon_memcg
/// watch`'s wake-up source on cgroup v2 (PSI is node-wide and works the same
/// under either hierarchy, so a v1 host tests it too).
@Suite(.serialized)
struct PressureTriggerKernelTests {
    static var unavailableReason: String? {
        if geteuid() != 0 { return "needs root (writes to /proc/pressure/memory)" }
        if !FileManager.default.fileExists(atPath: "/proc/\(KernelFile.pressureMemory)") {
            return "no /proc/\(KernelFile.pressureMemory) (kernel without PSI)"
        }
        return nil
    }

    static var available: Bool {
        if let why = unavailableReason {
            print("SKIP PSI test: \(why)")
            return false
        }
        return true
    }

    static let needs: Comment = "needs root and /proc/pressure/memory (a kernel with PSI)"

    /// CAP_SYS_RESOURCE (24) in this process's effective set.
    static var hasSysResource: Bool {
        let status = contents("/proc/self/status")
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
              let mask = UInt64(line.split(separator: "\t").last ?? "", radix: 16) else { return false }
        return mask & (1 << 24) != 0
    }

    /// Descriptors of this process open on the PSI file. Only this suite
    /// (serialized) opens it; counting every descriptor raced with the
    /// other suites, which run in parallel and open files of their own.
    static func openDescriptors() -> Int {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.filter {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == "/proc/pressure/memory"
        }.count
    }

    @Test("real kernel: the default trigger arms, polls for POLLPRI, and closing it releases the file",
          .enabled(if: PressureTriggerKernelTests.available, PressureTriggerKernelTests.needs))
    func armsAndCloses() throws {
        let before = Self.openDescriptors()
        do {
            let trigger = try PressureTrigger(procRoot: "/proc")
            #expect(trigger.fd >= 0)
            #expect(trigger.events == Int16(POLLPRI))
            #expect(trigger.specification == "some 300000 2000000")
            #expect(trigger.description == "PSI trigger \"some 300000 2000000\" on /proc/pressure/memory")
            // Always readable (POLLIN): asking only for POLLPRI must not
            // report it ready just for that.
            var p = pollfd(fd: trigger.fd, events: Int16(POLLIN), revents: 0)
            #expect(poll(&p, 1, 0) == 1, "a PSI file is always readable")
            // A second trigger on the same file is refused by the kernel.
            let again = Array("some 300000 2000000".utf8) + [0]
            let n = again.withUnsafeBytes { write(trigger.fd, $0.baseAddress, $0.count) }
            #expect(n < 0 && errno == EBUSY, "n \(n) errno \(errno)")
        }
        #expect(Self.openDescriptors() == before, "deinit closes the trigger's file")
    }

    @Test("hostile rows: what the kernel refuses comes back as an error with the path and errno",
          .enabled(if: PressureTriggerKernelTests.available, PressureTriggerKernelTests.needs),
          arguments: [
        ("stall longer than the window", Int64(2_000_000), Int64(1_000_000), EINVAL),
        ("window below 500 ms", Int64(10_000), Int64(100_000), EINVAL),
        ("window above 10 s", Int64(10_000), Int64(20_000_000), EINVAL),
        ("zero stall", Int64(0), Int64(1_000_000), EINVAL),
    ])
    func refused(_ name: String, _ stall: Int64, _ window: Int64, _ expected: Int32) throws {
        try expectRefused(name, stall, window, expected)
    }

    // A row of its own: with CAP_SYS_RESOURCE the kernel takes any window,
    // so this one can only be checked (and is otherwise a recorded skip)
    // where the capability is missing, as in mon_memcg-watch.service.
    @Test("hostile row: a window that is not a multiple of 2 s, without CAP_SYS_RESOURCE, is EINVAL",
          .enabled(if: PressureTriggerKernelTests.available, PressureTriggerKernelTests.needs),
          .enabled(if: !PressureTriggerKernelTests.hasSysResource, "this process has CAP_SYS_RESOURCE, which lets the kernel take any window"))
    func refusedWithoutSysResource() throws {
        try expectRefused("window not a multiple of 2 s", 10_000, 3_000_000, EINVAL)
    }

    func expectRefused(_ name: String, _ stall: Int64, _ window: Int64, _ expected: Int32) throws {
        let before = Self.openDescriptors()
        #expect(throws: SystemError("write a PSI trigger to", "/proc/pressure/memory", errno: expected)) {
            _ = try PressureTrigger(procRoot: "/proc", stallMicroseconds: stall, windowMicroseconds: window)
        }
        #expect(Self.openDescriptors() == before, "\(name): the file is closed on failure")
    }

    @Test("no PSI under proc_root: ENOENT with the fix (watch falls back to polling)")
    func missing() {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mon_memcg-no-psi-\(UUID().uuidString)").path
        #expect(throws: SystemError("open", "\(root)/pressure/memory", errno: ENOENT,
                                    fix: "no PSI in this kernel (CONFIG_PSI, 4.20+); watch falls back to polling")) {
            _ = try PressureTrigger(procRoot: root)
        }
    }

    @Test("real kernel: a page-cache thrasher in a small mon_memcg-test-* cgroup makes a sensitive trigger fire",
          .enabled(if: HostTests.enabled, "thrashes page cache for up to 15 s, which the node's PSI counts: set MON_MEMCG_HOST_TESTS=1"),
          .enabled(if: PressureTriggerKernelTests.available, PressureTriggerKernelTests.needs),
          .enabled(if: KernelLab.available, "needs root and a cgroup v1 memory controller at /sys/fs/cgroup/memory"))
    func fires() throws {
        // 1 ms of stall within 2 s: sensitive, and a window the kernel takes
        // without CAP_SYS_RESOURCE (this host's root lacks it).
        let trigger = try PressureTrigger(procRoot: "/proc", stallMicroseconds: 1_000, windowMicroseconds: 2_000_000)
        let data = "/var/tmp/mon_memcg-test-psi-\(UInt32.random(in: 0...UInt32.max))"
        let cgroup = try KernelLab.makeCgroup("psi")
        var hog: Process?
        defer {
            hog.map(KernelLab.killAndReap)
            KernelLab.remove(cgroup)
            try? FileManager.default.removeItem(atPath: data)
        }
        // 16 MiB limit, 48 MiB file read over and over until the trigger
        // fires (a fixed number of passes sometimes ended before any stall
        // was counted): reclaim on every charge and refaults, i.e. memory
        // stalls, in this cgroup only. It stops by itself if we die.
        try "16M".write(toFile: "\(KernelLab.memoryMount)/\(cgroup)/memory.limit_in_bytes", atomically: false, encoding: .utf8)
        hog = try KernelLab.startInside(cgroup,
            "dd if=/dev/zero of=\(data) bs=1M count=48 conv=fsync status=none; while kill -0 \(getpid()) 2>/dev/null; do cat \(data) > /dev/null; done")
        var p = pollfd(fd: trigger.fd, events: trigger.events, revents: 0)
        let start = Date()
        var fired = false
        while !fired, Date().timeIntervalSince(start) < 15, hog?.isRunning == true {
            if poll(&p, 1, 500) == 1, p.revents & Int16(POLLPRI) != 0 { fired = true }
        }
        #expect(fired, "no POLLPRI within \(Date().timeIntervalSince(start)) s; \(contents("/proc/pressure/memory"))")
        #expect(p.revents & Int16(POLLERR) == 0)
    }
}
