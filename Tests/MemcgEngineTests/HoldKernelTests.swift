import Foundation
@testable import MemcgEngine
import MemcgCore
@testable import MemcgKernel
import Testing
import TestSupport

/// A held episode on the real cgroup v1 kernel: a `mon_memcg-test-*`
/// target whose writer keeps filling and re-reading page cache (active, so
/// kubelet's formula counts it), a line set just above what the node shows
/// now, and watch's check run in-process with and without holding. Only the
/// test's own cgroup is written (force_empty); the root cgroup is only read.
/// The writer's ring is 768 MiB, about 3 % of this machine's 24 GiB: no
/// node-wide pressure.
@Suite(.serialized, .enabled(if: KernelLab.available, "needs root and a cgroup v1 memory controller at /sys/fs/cgroup/memory"))
struct HoldKernelTests {
    static let mib = Int64(1) << 20

    /// The round's numbers: the line, and available right after the check.
    struct Round {
        var held: Bool
        var globalThresh: Int64
        var hysteresis: Int64
        var availableAfter: Int64
        var episode: HeldEpisode?
        var log: String

        var aboveLine: Bool { availableAfter >= globalThresh }
        var text: String {
            "\(held ? "hold on " : "hold off") after the check: available - global thresh = \((availableAfter - globalThresh) / HoldKernelTests.mib) MiB"
                + (episode.map { ", \($0.steps) steps, \($0.stop)" } ?? "")
        }
    }

    /// One check with the line `short` below what the node shows now.
    func round(_ lab: ScratchCgroup, held: Bool, short: Int64, amount: String) throws -> Round {
        let controller = try MemoryControllers.detect(config: Config())
        var config = Config()
        let node = try controller.observeNode()
        let watermark = node.watermark.value
        try config.set(.target, to: lab.cgroup)
        try config.set(.stateFile, to: lab.scratch.path("state-\(held)"))
        try config.set(.logFile, to: lab.scratch.path("log-\(held)"))
        try config.set(.growthThreshold, to: "1M")
        try config.set(.dyingReclaim, to: "off")
        try config.set(.reclaimTimeout, to: "10s")
        try config.set(.reclaimAmount, to: amount)
        try config.set(.holdHysteresis, to: "16M")
        try config.set(.availableThreshold, to: "\(node.available.value + short - watermark)")
        let globalThresh = node.available.value + short
        let log = EventLog(path: lab.scratch.path("log-\(held)"), console: CapturedConsole())
        let run = CheckRun(config: config, dryRun: false, log: log, controller: .success(controller),
                           hold: held ? HoldContext(fall: FallRate(), leadMilliseconds: 100) : nil)
        let (record, failure) = run.runAndPublish()
        let after = try controller.observeNode().available.value
        #expect(failure == nil, "\(failure?.message ?? "")")
        #expect(record.decision?.action == .reclaim, "the line was set above available: \(lab.scratch.read("log-\(held)") ?? "")")
        return Round(held: held, globalThresh: globalThresh, hysteresis: 16 * Self.mib, availableAfter: after,
                     episode: record.held, log: lab.scratch.read("log-\(held)") ?? "")
    }

    /// Rounds alternating hold off and on against `writers` shells, each
    /// rewriting its own ring of files of 32 MiB (8 per writer, written
    /// then read twice: active file pages); the line asks for all the
    /// target holds but 32 MiB, so what the writers put back during the
    /// reclaim decides whether one reclaim is enough.
    func rounds(writers: Int, count: Int, amount: String = "auto") throws -> [Round] {
        let exclusive = KernelLab.exclusive()
        defer { withExtendedLifetime(exclusive) {} }
        let lab = try ScratchCgroup("hold")
        defer { lab.remove() }
        let dir = lab.scratch.path
        let shells = try (0..<writers).map { w in
            try KernelLab.startInside(lab.cgroup, """
                i=0; while :; do f=\(dir)/w\(w)-$((i % 8)); dd if=/dev/zero of=$f bs=1M count=32 status=none; cat $f $f > /dev/null; i=$((i+1)); done
                """)
        }
        defer { shells.forEach(KernelLab.killAndReap) }
        let full = Int64(writers) * 128 * Self.mib
        #expect(eventually(timeout: 30) { KernelLab.usage(lab.cgroup) >= full }, "the writers did not reach \(full) bytes")

        var rounds: [Round] = []
        for index in 0..<count {
            // Refilled between rounds, so each starts from a full target.
            _ = eventually(timeout: 10) { KernelLab.usage(lab.cgroup) >= full }
            let short = KernelLab.usage(lab.cgroup) - 32 * Self.mib
            rounds.append(try round(lab, held: index % 2 == 1, short: short, amount: amount))
            print("hold kernel, \(writers) writers, reclaim_amount \(amount), round \(index + 1): \(rounds.last!.text)")
        }
        return rounds
    }

    /// Every held round ended recovered, and so above global thresh.
    func expectHeld(_ rounds: [Round]) throws {
        for round in rounds where round.held {
            let episode = try #require(round.episode, "\(round.log)")
            // Recovered means above the line + hysteresis when the loop last
            // read the node; the writers may take some back before the test
            // reads it again, not the whole hysteresis in that moment.
            if episode.stop == .recovered {
                #expect(round.aboveLine, "\(round.text)\n\(round.log)")
            } else {
                Issue.record("a held episode stopped short: \(round.text)\n\(round.log)")
            }
        }
    }

    @Test("one writer refilling its page cache: held checks end above global thresh (single shots printed beside them)")
    func oneWriter() throws {
        try expectHeld(rounds(writers: 1, count: 6))
    }

    @Test(.enabled(if: HostTests.enabled, "runs 8 page-cache writers for about 20 s: set MON_MEMCG_HOST_TESTS=1"))
    func busyWriters() throws {
        let rounds = try rounds(writers: 8, count: 10, amount: ProcessInfo.processInfo.environment["HOLD_AMOUNT"] ?? "deficit")
        try expectHeld(rounds)
        let short = rounds.filter { !$0.held && !$0.aboveLine }
        print("hold kernel, 8 writers: \(short.count) of \(rounds.count / 2) single shots ended below global thresh")
        #expect(!short.isEmpty, "no single shot fell short: the writers did not outrun force_empty on this machine")
    }
}
