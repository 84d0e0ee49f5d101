import Foundation
import MemcgCore
import Testing
import TestSupport

/// `watch` measures the fall of kubelet's available memory between its
/// wake-ups (`FallRate`), on a v1 fixture tree it polls every 200 ms: read
/// from its trace lines (`MON_MEMCG_TRACE=1`: `fall N bytes/s`).
@Suite(.serialized)
struct WatchFallRateTests {
    /// The rate in the daemon's last trace line, bytes per second.
    func lastRate(_ stderr: String) -> Int64? {
        stderr.split(separator: "\n").last { $0.contains(" fall ") }
            .flatMap { line in line.split(separator: " ").firstIndex(of: "fall").flatMap { Int64(line.split(separator: " ")[$0 + 1]) } }
    }

    @Test("a quiet node decays the rate to the floor; a fall of 2 GB between polls raises it")
    func measured() throws {
        let tree = try FixtureTree()
        try tree.write("mon_memcg.conf", tree.pathsConfig + "poll_interval = 200ms\n")
        let daemon = try Daemon(["watch", "--config", tree.configFile], environment: ["MON_MEMCG_TRACE": "1"])
        defer { daemon.signal(SIGTERM); _ = daemon.waitForExit(timeout: 5) }
        // Nothing changes: each poll halves the rate, from 1 GiB/s to the floor.
        #expect(eventually(timeout: 10) { lastRate(daemon.stderr) == FallRate.floor.value }, "\(daemon.stderr)")
        // The working set grows by 2 GB at once: the next poll measures it.
        try tree.setRoot(usage: 4_000_000_000, inactiveFile: 500_000_000)
        #expect(eventually(timeout: 5) { (lastRate(daemon.stderr) ?? 0) > 1_000_000_000 }, "\(daemon.stderr)")
    }
}
