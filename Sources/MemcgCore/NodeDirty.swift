/// The node's page cache not on disk yet and the kernel's limits on it:
/// writers are made to wait once the node's dirty pages pass
/// `nr_dirty_threshold`, and the flushers start writing at
/// `nr_dirty_background_threshold` (`/proc/vmstat`, in pages). With the
/// kernel's defaults (20 and 10 % of the memory that can hold dirty pages) a
/// node may keep gigabytes dirty, which no reclaim frees before they are
/// written: what the shipped `watch` waited on in the lab's busy-writer
/// scenario (docs/troubleshooting.md, section 8). mon_memcg never sets these
/// limits; `status` shows them beside the target's share (`Unwritten`).
public struct NodeDirty: Equatable, Sendable {
    public var dirty: Bytes
    public var writeback: Bytes
    public var threshold: Bytes
    public var backgroundThreshold: Bytes
    /// The sysctls the two thresholds follow.
    public var sysctls: DirtySysctls

    public init(dirty: Bytes, writeback: Bytes, threshold: Bytes, backgroundThreshold: Bytes, sysctls: DirtySysctls) {
        self.dirty = dirty
        self.writeback = writeback
        self.threshold = threshold
        self.backgroundThreshold = backgroundThreshold
        self.sysctls = sysctls
    }

    /// The four fields read from `/proc/vmstat`.
    static let fields = ["nr_dirty", "nr_writeback", "nr_dirty_threshold", "nr_dirty_background_threshold"]

    /// `/proc/vmstat` counts pages; a missing field is an error that names
    /// it. Only the lines of the four fields are parsed: the file has some
    /// 180, and a first version that parsed them all as a `MemoryStat`
    /// made `status` about 0.4 ms slower (docs/benchmarks.md).
    public init(vmstat text: String, pageSize: Int64, sysctls: DirtySysctls) throws(ParseError) {
        var values: [String: Int64] = [:]
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where line.hasPrefix("nr_dirty") || line.hasPrefix("nr_writeback") {
            let parts = line.split(separator: " ")
            let name = parts.first.map(String.init) ?? ""
            guard Self.fields.contains(name) else { continue }
            guard parts.count == 2, let n = Units.parseCounter(parts[1]) else {
                throw ParseError(line: index + 1, "expected \"\(name) pages\", got \"\(line.prefix(80))\"")
            }
            guard values[name] == nil else { throw ParseError(line: index + 1, "\(name) appears twice") }
            values[name] = n
        }
        func bytes(_ name: String) throws(ParseError) -> Bytes {
            guard let pages = values[name] else { throw ParseError("no \(name) field") }
            let (product, overflow) = pages.multipliedReportingOverflow(by: pageSize)
            guard !overflow else { throw ParseError("\(name) \(pages) pages is too large") }
            return Bytes(product)
        }
        self.init(dirty: try bytes("nr_dirty"), writeback: try bytes("nr_writeback"),
                  threshold: try bytes("nr_dirty_threshold"), backgroundThreshold: try bytes("nr_dirty_background_threshold"),
                  sysctls: sysctls)
    }
}

/// `vm.dirty_ratio`/`vm.dirty_bytes` and their background pair. The kernel
/// keeps one of each pair non-zero (writing one zeroes the other) and uses
/// the bytes when they are set.
public struct DirtySysctls: Equatable, Sendable {
    public var ratio: Int64
    public var bytes: Int64
    public var backgroundRatio: Int64
    public var backgroundBytes: Int64

    public init(ratio: Int64, bytes: Int64, backgroundRatio: Int64, backgroundBytes: Int64) {
        self.ratio = ratio
        self.bytes = bytes
        self.backgroundRatio = backgroundRatio
        self.backgroundBytes = backgroundBytes
    }

    /// The setting `nr_dirty_threshold` follows, as `sysctl` names it.
    public var threshold: String {
        bytes > 0 ? "vm.dirty_bytes \(bytes)" : "vm.dirty_ratio \(ratio) %"
    }

    /// The setting `nr_dirty_background_threshold` follows.
    public var background: String {
        backgroundBytes > 0 ? "vm.dirty_background_bytes \(backgroundBytes)" : "vm.dirty_background_ratio \(backgroundRatio) %"
    }
}
