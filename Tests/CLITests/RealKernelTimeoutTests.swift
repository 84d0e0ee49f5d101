import Foundation
import Testing
import TestSupport

/// The seed's timeout case on the real kernel: busy writers in a session
/// cgroup keep memory.force_empty on its parent from ever returning. The run
/// must end itself at reclaim_timeout, say so, and keep a correct state.
@Suite(.serialized,
       .enabled(if: HostTests.enabled, "32 page-cache writers load the node for seconds (the timeout case): set MON_MEMCG_HOST_TESTS=1"),
       .enabled(if: KernelLab.available, "needs root and a cgroup v1 memory controller at /sys/fs/cgroup/memory"))
struct RealKernelTimeoutTests {
    @Test("force_empty under 32 busy writers is interrupted at the deadline with status 6")
    func interruptedAtDeadline() throws {
        let lab = KernelLab.exclusive()  // no drop_caches meanwhile: it empties the writers' cache
        defer { withExtendedLifetime(lab) {} }
        let parent = try KernelLab.makeCgroup("timeout")
        defer { KernelLab.remove(parent) }
        let session = try KernelLab.makeCgroup("writers", parent: parent)
        let scratch = URL(fileURLWithPath: "/var/tmp/mon_memcg-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        // Like the seed's cat.sh/loop_cat.sh: many processes turning over
        // page cache as fast as they can, and stopping by themselves if this
        // test process dies before its cleanup runs. Each writes its file
        // once (synced) and then reads it over and over: every page
        // force_empty frees is faulted back in, so the reclaim always makes
        // progress, and there is no dirty data to slow down the state's
        // fsync afterwards (with writers, ext4's ordered journal made that
        // fsync wait for their data, past deadline + 2 s).
        let writer = scratch.appendingPathComponent("writer.sh").path
        try """
            dd if=/dev/zero of=\(scratch.path)/f$1 bs=1M count=32 conv=fsync status=none
            while kill -0 \(getpid()) 2>/dev/null; do
                cat \(scratch.path)/f$1 > /dev/null
            done

            """.write(toFile: writer, atomically: true, encoding: .utf8)
        var writers: [Process] = []
        defer {
            for w in writers { w.terminate() }
            KernelLab.remove(parent)  // kills what is left inside, then rmdir
        }
        for n in 1...32 { writers.append(try KernelLab.startInside(session, "sh \(writer) \(n)")) }
        usleep(1_500_000)
        let before = KernelLab.usage(parent)
        #expect(before > 256 << 20, "writers did not fill page cache: \(before)")

        // The kernel's force_empty loop also ends by itself after 16 reclaim
        // passes that free nothing, which busy writers make rare but not
        // impossible; a run the kernel finished first proves nothing about
        // the deadline, so it is retried (up to 3 attempts) and reported.
        var ended: (RunResult, Double, String, String)?
        for attempt in 1...3 {
            let state = scratch.appendingPathComponent("state-\(attempt)").path
            let log = scratch.appendingPathComponent("log-\(attempt)").path
            // The deadline alone is under test: busy writers make the dying-byte
            // estimate noisy, and an escalation would change what is stored.
            let start = Date()
            let r = try Binary.run(["check", "--target", parent, "--available-threshold", "1T", "--growth-threshold", "1M",
                                    "--reclaim-timeout", "2s", "--dying-reclaim", "off", "--state-file", state, "--log-file", log])
            let took = Date().timeIntervalSince(start)
            if r.status == 0 {
                print("real kernel timeout case, attempt \(attempt): force_empty returned by itself after \(Int(took * 1000)) ms; retrying")
                continue
            }
            ended = (r, took, state, log)
            break
        }
        let (r, took, state, log) = try #require(ended, "force_empty returned by itself in 3 attempts: the deadline was never exercised")
        #expect(r.status == 6, "\(r.stderr)")
        #expect(took < 4.0, "the run took \(took) s for a 2 s reclaim_timeout")
        #expect(r.stderr.contains("interrupted after"))

        let text = try String(contentsOfFile: log, encoding: .utf8)
        let interrupted = text.split(separator: "\n").first { $0.contains("reclaim interrupted after ") }
        #expect(interrupted != nil, "\(text)")
        let recorded = text.split(separator: "\n").compactMap { line -> Int64? in
            guard let r = line.range(of: "mem usage total_rss+total_cache ") else { return nil }
            return Int64(line[r.upperBound...])
        }
        let last = try #require(recorded.first)
        #expect(try String(contentsOfFile: state, encoding: .utf8) == "mon_memcg-state 1\nlast \(last)\n")
        print("real kernel timeout case: run ended after \(String(Int(took * 1000))) ms with status \(r.status); \(interrupted.map(String.init) ?? "")")
    }
}
