import Foundation
import Testing
import TestSupport

/// `reclaim_amount` through the binary: status says how much a reclaim
/// would ask for, a check logs what was asked, freed and why it stopped.
struct ReclaimAmountCLITests {
    /// The default fixture made short: MemTotal 1 GiB against a 3 GB root usage.
    func shortTree() throws -> FixtureTree {
        let tree = try FixtureTree.short()
        try tree.write("cgroup/user.slice/memory.usage_in_bytes", "300000000\n")
        return tree
    }

    @Test("status on v1: auto shows force_empty of all the target holds; deficit shows the amount and the margin")
    func status() throws {
        let tree = try shortTree()
        let auto = try Binary.run(["status", "--growth-threshold", "64M"] + tree.arguments)
        #expect(auto.status == 0, "\(auto.stderr)")
        #expect(auto.stdout.contains("a check would write 1 to \(tree.cgroupRoot)/user.slice/memory.force_empty: all the target holds, 300000000 (reclaim_amount auto)"), "\(auto.stdout)")

        let args = ["status", "--growth-threshold", "64M", "--available-threshold", "100M", "--reclaim-amount", "deficit", "--reclaim-margin", "10M"] + tree.arguments
        let deficit = try Binary.run(args)
        #expect(deficit.status == 0, "\(deficit.stderr)")
        // available = 1 GiB - 3 GB; global thresh = 100 MiB + 64 MiB watermark: capped at current.
        #expect(deficit.stdout.contains("a check would write 1 to \(tree.cgroupRoot)/user.slice/memory.force_empty and stop it once the target's usage had fallen to its working set minus 300000000 (286.1 MiB; reclaim_amount deficit, reclaim_margin 10485760)"), "\(deficit.stdout)")

        let json = try Binary.run(["status", "--json"] + Array(args.dropFirst()))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["reclaim_amount"] as? String == "deficit")
        #expect((object["reclaim_margin_bytes"] as? NSNumber)?.int64Value == 10_485_760)
        #expect((object["reclaim_request_bytes"] as? NSNumber)?.int64Value == 300_000_000)
    }

    @Test("status on v1 when nothing is due: the request is null, the golden text has no request line")
    func statusNothingDue() throws {
        let tree = try FixtureTree()
        let json = try Binary.run(["status", "--json", "--reclaim-amount", "deficit"] + tree.arguments)
        #expect(json.stdout.contains("\"reclaim_request_bytes\":null"), "\(json.stdout)")
        let text = try Binary.run(["status", "--reclaim-amount", "deficit"] + tree.arguments)
        #expect(!text.stdout.contains("a check would write"), "\(text.stdout)")
    }

    @Test("check on v1 with deficit: the original lines, then what was asked, freed and why it stopped; last is the usage after")
    func checkDeficitFixture() throws {
        let tree = try shortTree()
        let r = try Binary.run(["check", "--growth-threshold", "64M", "--available-threshold", "100M",
                                "--reclaim-amount", "deficit", "--reclaim-margin", "10M"] + tree.arguments)
        #expect(r.status == 0, "\(r.stderr)")
        let log = tree.read("mon_memcg.log") ?? ""
        let lines = log.split(separator: "\n").map { String($0.split(separator: "     ", maxSplits: 1).last ?? "") }
        let after = try #require(lines.firstIndex(of: "After reclaim:"), "\(log)")
        #expect(lines[after + 1] == "mem usage total_rss+total_cache 300000000")
        #expect(lines[after + 2].hasPrefix("reclaim asked 300000000 bytes, freed 0 bytes in "), "\(lines[after + 2])")
        #expect(lines[after + 2].hasSuffix(" s, stopped: finished"), "a fixture's force_empty returns at once: \(lines[after + 2])")
        #expect(lines.contains { $0.hasPrefix("memory.force_empty: requesting 300000000 bytes (global thresh ") }, "\(log)")
        #expect(!log.contains("reclaim took"), "\(log)")
        #expect(tree.read("cgroup/user.slice/memory.force_empty") == "1\n")
        #expect(tree.read("state/state") == "mon_memcg-state 1\nlast 300000000\n")
    }

    @Test("check on v1 with auto and all: the same lines as before reclaim_amount existed")
    func checkAllUnchanged() throws {
        var logs: [String] = []
        for mode in [nil, "auto", "all"] {
            let tree = try shortTree()
            let extra = mode.map { ["--reclaim-amount", $0] } ?? []
            let r = try Binary.run(["check", "--growth-threshold", "64M"] + extra + tree.arguments)
            #expect(r.status == 0, "\(r.stderr)")
            let log = tree.read("mon_memcg.log") ?? ""
            // Timestamps and timings aside.
            logs.append(log.split(separator: "\n").map { line in
                let text = String(line.split(separator: "     ", maxSplits: 1).last ?? "")
                return text.hasPrefix("reclaim took ") ? "reclaim took" : text
            }.joined(separator: "\n").replacingOccurrences(of: tree.root.path, with: "ROOT"))
            #expect(!log.contains("requesting") && !log.contains("reclaim asked"), "\(log)")
        }
        #expect(logs[0] == logs[1] && logs[1] == logs[2], "\(logs)")
    }

    @Test("dry run on v1 with deficit says how much and writes nothing")
    func dryRun() throws {
        let tree = try shortTree()
        let r = try Binary.run(["check", "--dry-run", "--growth-threshold", "64M", "--reclaim-amount", "deficit"] + tree.arguments)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("dry-run: would have written 1 to \(tree.cgroupRoot)/user.slice/memory.force_empty and interrupted it once the target's usage had fallen to its working set minus 300000000 bytes"), "\(r.stdout)")
        #expect(tree.read("cgroup/user.slice/memory.force_empty") == "")
    }

    @Test("a bad reclaim_amount is refused with the modes, nothing written", arguments: ["DEFICIT", "some", ""])
    func refused(value: String) throws {
        let tree = try shortTree()
        let r = try Binary.run(["check", "--reclaim-amount", value] + tree.arguments)
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("is not one of auto, all, deficit"), "\(r.stderr)")
        #expect(tree.read("cgroup/user.slice/memory.force_empty") == "")
    }
}

/// The must-show through the binary on the real kernel: thresholds set from
/// the node's numbers now, so the shortfall is 256 MiB without any real
/// memory pressure (only the test's own cgroup is written).
@Suite(.serialized, .enabled(if: KernelLab.available, "needs root and a cgroup v1 memory controller at /sys/fs/cgroup/memory"))
struct RealKernelDeficitTests {
    static let margin: Int64 = 32 << 20
    /// See ReclaimAmountKernelTests.tolerance; plus what other work on the
    /// node moves available by between the status and the check.
    static let tolerance: Int64 = 48 << 20

    @Test("check with deficit on 1 GiB of active page cache, 256 MiB short: frees the shortfall, stops by amount, keeps the rest")
    func deficit() throws {
        // The shortfall is set from the node's available a moment before the
        // check: no other heavy real-kernel test (writers growing by 768 MiB,
        // drop_caches) may move it meanwhile. Landing CI saw 92 MB of drift
        // without this lock.
        let exclusive = KernelLab.exclusive()
        defer { withExtendedLifetime(exclusive) {} }
        let lab = try ScratchCgroup("deficit-cli")
        defer { lab.remove() }
        let (target, scratch) = (lab.cgroup, lab.scratch)
        #expect(try KernelLab.runInside(target, "dd if=/dev/zero of=\(scratch)/a bs=1M count=1024 conv=fsync status=none && cat \(scratch)/a > /dev/null && cat \(scratch)/a > /dev/null") == 0)
        let before = KernelLab.usage(target)
        #expect(before >= 1000 << 20, "page cache was not charged: \(before)")

        let status = try Binary.run(["status", "--json", "--target", target])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let available = try #require((object["available_bytes"] as? NSNumber)?.int64Value)
        let watermark = try #require((object["watermark_bytes"] as? NSNumber)?.int64Value)
        let threshold = available - watermark + (256 << 20)
        let log = "\(scratch)/log"
        let r = try Binary.run(["check", "--target", target, "--available-threshold", "\(threshold)", "--growth-threshold", "1M",
                                "--reclaim-amount", "deficit", "--reclaim-margin", "\(Self.margin)",
                                // Never the node's drop_caches, whatever the reclaim leaves.
                                "--dying-reclaim", "off",
                                "--state-file", "\(scratch)/state", "--log-file", log])
        #expect(r.status == 0, "\(r.stderr)")
        let after = KernelLab.usage(target)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        func number(after prefix: String, in line: Substring) -> Int64? {
            guard let range = line.range(of: prefix) else { return nil }
            return Int64(line[range.upperBound...].prefix { $0.isNumber || $0 == "-" })
        }
        let lines = text.split(separator: "\n")
        let availableSeen = try #require(lines.lazy.compactMap { number(after: "avalible_mem ", in: $0) }.first, "\(text)")
        let thresh = try #require(lines.lazy.compactMap { number(after: "is less global thresh ", in: $0) }.first, "\(text)")
        let asked = try #require(lines.lazy.compactMap { number(after: "requesting ", in: $0) }.first, "\(text)")
        let shortfall = thresh - availableSeen
        print("real kernel check deficit: shortfall \(shortfall), asked \(asked), usage \(before) -> \(after), freed \(before - after)")
        // The test aims at 256 MiB; the rest of the node (outside this test's
        // cgroup) may still move available between status and check. What is
        // judged is the reclaim against the shortfall the check itself saw,
        // so the aim only has to leave a shortfall the target can cover.
        #expect(shortfall > 64 << 20 && shortfall + Self.margin + Self.tolerance < before,
                "the shortfall the check saw, \(shortfall), is not one 1 GiB of page cache can cover (aimed at \(256 << 20))")
        #expect(asked == shortfall + Self.margin)
        #expect(before - after >= shortfall, "freed \(before - after) < shortfall \(shortfall)")
        #expect(before - after <= shortfall + Self.margin + Self.tolerance, "freed \(before - after)")
        #expect(text.contains("stopped: amount reached"), "\(text)")
        #expect(text.contains("After reclaim:\n") || text.contains("After reclaim:"), "\(text)")
        let stored = try String(contentsOfFile: "\(scratch)/state", encoding: .utf8)
        let recorded = try #require(lines.lazy.compactMap { number(after: "mem usage total_rss+total_cache ", in: $0) }.first)
        #expect(stored == "mon_memcg-state 1\nlast \(recorded)\n", "last is the usage after the reclaim")
    }
}
