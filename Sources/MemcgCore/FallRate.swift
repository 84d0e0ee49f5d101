/// How fast kubelet's available memory falls, measured between `watch`'s
/// wake-ups and smoothed. Pure: each reading comes with its monotonic time.
///
/// The near-threshold poll and a held episode's step size need a growth
/// rate. A fixed guess (1 GiB/s before this type existed) wakes a node
/// that grows at 50 MiB/s twenty times too often and one that bursts at
/// 2.5 GB/s too late, so the rate is what the node did:
///
///     sample = (available before - available now) / interval
///     rate   = (weight * sample + (100 - weight) * rate) / 100
///
/// A rise counts as a fall of 0 (the rate decays towards the floor, it
/// never goes negative). The rate used is kept within `floor` and `cap`:
/// the floor so a quiet node still polls before a sudden burst can use up
/// the headroom between two polls, the cap so one garbled reading cannot
/// turn every poll into the shortest one.
public struct FallRate: Equatable, Sendable {
    /// The lowest rate used, per second.
    public static let floor: Bytes = .mib(64)
    /// The highest rate used, per second: above what this machine's fastest
    /// writer measured (about 2.5 GB/s of page cache, issue 23).
    public static let cap: Bytes = .gib(8)
    /// The newest sample's weight, in percent: half, so a burst shows after
    /// one wake-up and is forgotten after a few quiet ones.
    public static let weightPercent: Int64 = 50
    /// Readings closer than this are not a sample: over a few milliseconds
    /// the reads themselves (not the node) decide the difference. The
    /// older reading is kept, so the next one measures the longer interval.
    public static let minimumIntervalMilliseconds: Int64 = 50
    /// The rate assumed before the first sample: the fixed guess used
    /// before this type existed, so a fresh daemon behaves as it did.
    public static let initial: Bytes = .gib(1)

    /// The smoothed rate in bytes per second, not yet bounded.
    public private(set) var smoothed: Int64
    private var reference: (available: Bytes, at: Int64)?
    /// Samples taken since the start (0: `initial` is in force).
    public private(set) var samples = 0

    public init(initial: Bytes = Self.initial) {
        smoothed = initial.value
    }

    public static func == (a: FallRate, b: FallRate) -> Bool {
        a.smoothed == b.smoothed && a.samples == b.samples
            && a.reference?.available == b.reference?.available && a.reference?.at == b.reference?.at
    }

    /// The rate to plan with, per second: the smoothed rate within
    /// `floor`...`cap`.
    public var perSecond: Bytes { Bytes(min(Self.cap.value, max(Self.floor.value, smoothed))) }

    /// A reading of available at `milliseconds` (monotonic). Measures the
    /// fall since the previous reading, unless it is too close to it.
    public mutating func observe(available: Bytes, atMilliseconds milliseconds: Int64) {
        guard let previous = reference else {
            reference = (available, milliseconds)
            return
        }
        let interval = milliseconds - previous.at
        guard interval >= Self.minimumIntervalMilliseconds else { return }
        let fell = (previous.available - available).clampedAtZero.value
        // bytes per second without overflow: a fall near Int64.max is hostile, capped anyway.
        let sample = fell > Int64.max / 1000 ? Self.cap.value : fell * 1000 / interval
        let weighted = Self.weightPercent * min(sample, Self.cap.value) + (100 - Self.weightPercent) * min(smoothed, Self.cap.value)
        smoothed = weighted / 100
        samples += 1
        reference = (available, milliseconds)
    }

    /// A reading taken after this daemon reclaimed: the rise is its own
    /// doing, not the node's, so it becomes the new reference and measures
    /// nothing.
    public mutating func restart(available: Bytes, atMilliseconds milliseconds: Int64) {
        reference = (available, milliseconds)
    }

    /// How far available falls in `milliseconds` at `perSecond`.
    public func fall(inMilliseconds milliseconds: Int64) -> Bytes {
        let ms = max(0, milliseconds)
        let rate = perSecond.value
        if ms > 0, rate > Int64.max / ms { return Bytes(Int64.max) }
        return Bytes(rate * ms / 1000)
    }
}
