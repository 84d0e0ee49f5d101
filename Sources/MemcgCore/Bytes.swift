/// An amount of memory in bytes, signed on purpose: the original script's available
/// memory goes negative (`avalible_mem -300967919616` in its logs) and that
/// number is what operators grep for. Arithmetic saturates instead of
/// trapping, so a hostile kernel value can never crash a run.
public struct Bytes: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    public var value: Int64

    public init(_ value: Int64) { self.value = value }
    public init(integerLiteral value: Int64) { self.value = value }

    public static let zero = Bytes(0)
    public static let kibibyte: Int64 = 1 << 10
    public static let mebibyte: Int64 = 1 << 20
    public static let gibibyte: Int64 = 1 << 30
    public static let tebibyte: Int64 = 1 << 40

    public static func kib(_ n: Int64) -> Bytes { Bytes(n).scaled(by: kibibyte) }
    public static func mib(_ n: Int64) -> Bytes { Bytes(n).scaled(by: mebibyte) }
    public static func gib(_ n: Int64) -> Bytes { Bytes(n).scaled(by: gibibyte) }

    /// Plain decimal, exactly as the original script printed it.
    public var description: String { String(value) }

    public static func < (a: Bytes, b: Bytes) -> Bool { a.value < b.value }

    public static func + (a: Bytes, b: Bytes) -> Bytes {
        let (r, overflow) = a.value.addingReportingOverflow(b.value)
        return overflow ? Bytes(b.value > 0 ? .max : .min) : Bytes(r)
    }

    public static func - (a: Bytes, b: Bytes) -> Bytes {
        let (r, overflow) = a.value.subtractingReportingOverflow(b.value)
        return overflow ? Bytes(b.value < 0 ? .max : .min) : Bytes(r)
    }

    public func scaled(by factor: Int64) -> Bytes {
        let (r, overflow) = value.multipliedReportingOverflow(by: factor)
        return overflow ? Bytes((value < 0) != (factor < 0) ? .min : .max) : Bytes(r)
    }

    /// kubelet's workingSet saturates at zero; so does anything called "size".
    public var clampedAtZero: Bytes { value < 0 ? .zero : self }

    /// Human-friendly form for `status` only; logs always print plain bytes.
    public var humanReadable: String {
        let units: [(Int64, String)] = [(Bytes.tebibyte, "TiB"), (Bytes.gibibyte, "GiB"), (Bytes.mebibyte, "MiB"), (Bytes.kibibyte, "KiB")]
        let magnitude = value.magnitude
        for (size, name) in units where magnitude >= UInt64(size) {
            // One decimal without Foundation's formatters (they pull in ICU).
            let tenths = (magnitude * 10 + UInt64(size) / 2) / UInt64(size)
            return "\(value < 0 ? "-" : "")\(tenths / 10).\(tenths % 10) \(name)"
        }
        return "\(value) B"
    }
}
