/// The fields of `/proc/meminfo` that the tool uses, in bytes.
public struct MemInfo: Equatable, Sendable {
    /// `MemTotal`: kubelet's node capacity.
    public var memTotal: Bytes
    /// `MemAvailable`, when the kernel reports it; shown by `status` only.
    public var memAvailable: Bytes?
    /// `SwapFree`: 0 when the line is missing (a kernel built without swap).
    public var swapFree: Bytes = .zero

    public init(memTotal: Bytes, memAvailable: Bytes? = nil, swapFree: Bytes = .zero) {
        self.memTotal = memTotal
        self.memAvailable = memAvailable
        self.swapFree = swapFree
    }

    /// Parses the whole file. Fails closed: a missing or zero `MemTotal`, a
    /// value that is not a kB count, or `MemAvailable > MemTotal` is an error,
    /// because a decision made on such numbers would be wrong.
    public init(parsing text: String) throws(ParseError) {
        var total: Bytes?
        var available: Bytes?
        var swapFree: Bytes?
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard let colon = line.firstIndex(of: ":") else {
                if line.trimmingBlanks().isEmpty { continue }
                throw ParseError(line: index + 1, "expected \"Name: value kB\", got \"\(line.prefix(80))\"")
            }
            let key = line[..<colon]
            guard key == "MemTotal" || key == "MemAvailable" || key == "SwapFree" else { continue }
            let fields = line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count == 2, fields[1] == "kB", let kb = Units.parseCounter(fields[0]) else {
                throw ParseError(line: index + 1, "\(key) should be a number of kB, got \"\(line.prefix(80))\"")
            }
            let bytes = Bytes.kib(kb)
            guard bytes.value < Int64.max else { throw ParseError(line: index + 1, "\(key) is too large") }
            if key == "MemTotal" {
                guard total == nil else { throw ParseError(line: index + 1, "MemTotal appears twice") }
                total = bytes
            } else if key == "MemAvailable" {
                guard available == nil else { throw ParseError(line: index + 1, "MemAvailable appears twice") }
                available = bytes
            } else {
                guard swapFree == nil else { throw ParseError(line: index + 1, "SwapFree appears twice") }
                swapFree = bytes
            }
        }
        guard let total else { throw ParseError("no MemTotal line (truncated file?)") }
        guard total > .zero else { throw ParseError("MemTotal is 0") }
        if let available, available > total {
            throw ParseError("MemAvailable \(available) is larger than MemTotal \(total)")
        }
        self.memTotal = total
        self.memAvailable = available
        self.swapFree = swapFree ?? .zero
    }
}
