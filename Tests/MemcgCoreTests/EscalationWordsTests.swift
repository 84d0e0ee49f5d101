import Testing
@testable import MemcgCore

/// The escalation's stop reasons say what is true: with growth_threshold 0
/// and nothing held, "0 bytes, less than growth_threshold 0" would not be.
struct EscalationWordsTests {
    @Test("dying bytes below growth_threshold, and none at all")
    func belowThreshold() {
        #expect(EscalationStop.dyingBelowThreshold(bytes: 5, growthThreshold: 10).reason == "dying cgroups hold 5 bytes, less than growth_threshold 10")
        #expect(EscalationStop.dyingBelowThreshold(bytes: 0, growthThreshold: 0).reason == "dying cgroups hold 0 bytes: nothing to free")
        #expect(EscalationStop.dyingBelowThreshold(bytes: 0, growthThreshold: 10).reason == "dying cgroups hold 0 bytes, less than growth_threshold 10")
    }
}
