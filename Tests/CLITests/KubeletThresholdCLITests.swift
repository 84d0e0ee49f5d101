import Foundation
import MemcgCore
import Testing
import TestSupport

/// `available_threshold` in kubelet's terms, resolved against the node:
/// a share of MemTotal, or kubelet's hard threshold from its file plus a
/// size; a kubelet file that cannot be used is an error naming it, never a
/// silent default.
struct KubeletThresholdCLITests {
    struct Row: NamedRow {
        var name, threshold: String
        /// The kubelet file's text; nil: no file at the configured path.
        var kubelet: String?
        var status: Int32
        /// `available_threshold` in status's JSON (status 0), or words on stderr.
        var bytes: Int64?
        var says = ""
    }

    // The fixture node: MemTotal 24,000,000 kB = 24,576,000,000 bytes.
    static let rows: [Row] = [
        Row(name: "a size reads no kubelet file", threshold: "4G", kubelet: nil, status: 0, bytes: 4 << 30),
        Row(name: "10% of MemTotal", threshold: "10%", kubelet: nil, status: 0, bytes: 2_457_600_000),
        Row(name: "kubelet's evictionHard plus 3G", threshold: "kubelet + 3G",
            kubelet: "evictionHard:\n  memory.available: 500Mi\n", status: 0, bytes: (3 << 30) + (500 << 20)),
        Row(name: "kubelet's percentage plus 1G", threshold: "kubelet + 1G",
            kubelet: "{\"evictionHard\": {\"memory.available\": \"5%\"}}", status: 0, bytes: (1 << 30) + 1_228_800_000),
        Row(name: "no evictionHard: kubelet's default 100Mi", threshold: "kubelet + 1G",
            kubelet: "kind: KubeletConfiguration\n", status: 0, bytes: (1 << 30) + (100 << 20)),
        Row(name: "no kubelet file: an error naming it and the fix", threshold: "kubelet + 1G", kubelet: nil,
            status: 2, bytes: nil, says: "needs kubelet's configuration, and cannot open"),
        Row(name: "a kubelet file mon_memcg cannot read as kubelet does", threshold: "kubelet + 1G",
            kubelet: "evictionHard: *defaults\n", status: 2, bytes: nil, says: "set kubelet_config to the file kubelet's --config names"),
    ]

    @Test("available_threshold resolved on the node", arguments: rows)
    func resolves(row: Row) throws {
        let tree = try FixtureTree()
        let kubelet = tree.path("kubelet/config.yaml")
        if let text = row.kubelet { try tree.write("kubelet/config.yaml", text) }
        let r = try Binary.run(["status", "--json", "--available-threshold", row.threshold, "--kubelet-config", kubelet] + tree.arguments)
        #expect(r.status == row.status, "stderr: \(r.stderr)")
        if let bytes = row.bytes {
            #expect(r.stdout.contains("\"available_threshold_bytes\":\(bytes),"), "stdout: \(r.stdout)")
        } else {
            #expect(r.stderr.contains(row.says), "stderr: \(r.stderr)")
            #expect(r.stderr.contains(kubelet), "the message names the file: \(r.stderr)")
        }
    }

    @Test("status shows kubelet's threshold, where it came from, and the headroom to global thresh")
    func statusShowsKubelet() throws {
        let tree = try FixtureTree()
        try tree.write("kubelet/config.yaml", "evictionHard:\n  memory.available: 500Mi\n")
        let text = try Binary.run(["status"] + tree.arguments).stdout
        // global thresh: 4 GiB + the fixture's 64 MiB watermark.
        let headroom = (4 << 30) + (64 << 20) - (500 << 20)
        func row(_ name: String) -> String { text.split(separator: "\n").first { $0.hasPrefix("  \(name) ") }.map(String.init) ?? "" }
        #expect(row("kubelet evicts below").contains(" 524288000  (500.0 MiB)"), "\(text)")
        #expect(row("kubelet evicts below").hasSuffix("evictionHard memory.available, \(tree.path("kubelet/config.yaml"))"), "\(text)")
        #expect(row("headroom").contains(" \(headroom)  "), "\(text)")
        let json = try Binary.run(["status", "--json"] + tree.arguments).stdout
        #expect(json.contains("\"kubelet_eviction_hard_bytes\":524288000,"), "\(json)")
        #expect(json.contains("\"headroom_bytes\":\(headroom)"), "\(json)")
        #expect(json.contains("\"kubelet_config_problem\":null"), "\(json)")
        let missing = try Binary.run(["status", "--json"] + tree.arguments + ["--kubelet-config", tree.path("nope.yaml")]).stdout
        #expect(missing.contains("\"kubelet_eviction_hard_bytes\":null") && missing.contains("\"headroom_bytes\":null"), "\(missing)")
        #expect(missing.contains("\"kubelet_config_problem\":\"cannot open \(tree.path("nope.yaml"))"), "\(missing)")
    }
}
