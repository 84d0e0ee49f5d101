/// The numbers that turn an observation into a decision.
public struct Policy: Equatable, Sendable {
    /// `available_threshold`: reclaim when kubelet's available memory falls
    /// below this plus the kernel watermark.
    public var availableThreshold: Bytes
    /// `growth_threshold`: do not reclaim again unless the target grew by at
    /// least this much since the last recorded value.
    public var growthThreshold: Bytes

    public init(availableThreshold: Bytes, growthThreshold: Bytes) {
        (self.availableThreshold, self.growthThreshold) = (availableThreshold, growthThreshold)
    }

    /// The original script's `global thresh`: threshold plus `min_free_kbytes` in bytes.
    public func globalThreshold(watermark: Bytes) -> Bytes { availableThreshold + watermark }
}
