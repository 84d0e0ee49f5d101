/// The lines of a held episode (`HoldEpisode`, `watch` with hold = on).
/// mon_memcg's own lines, beside the original script's: an episode starts
/// with the original's `avalible_mem ... need reclaim` lines and reclaim
/// (or with `holdAhead`), each further step says why it runs, and one line
/// says why the episode ended. docs/log-format.md shows an episode.
extension LogLines {
    /// Available is still above global thresh, but at the measured fall
    /// rate it will be below before a step could end.
    public static func holdAhead(available: Bytes, globalThreshold: Bytes, fallPerSecond: Bytes, leadMilliseconds: Int64) -> String {
        "hold: available \(available) falls at \(fallPerSecond) bytes/s and will be below global thresh \(globalThreshold) within \(seconds(leadMilliseconds)) s (one reclaim step): reclaiming ahead"
    }

    /// The node is short again after an episode that left the target
    /// giving (`HoldEpisode.continues`): this wake-up reclaims although
    /// the original's growth rule would skip.
    public static func holdContinues(after previous: HoldMemory, decision: Decision, hysteresis: Bytes) -> String {
        let tail = "the change \(decision.change) is below growth threshold \(decision.growthThreshold), reclaiming anyway while the node stays short"
        if previous.leftTargetOnPurpose {
            return "hold continues: the last episode stopped its reclaim by amount once available was back above global thresh + hold_hysteresis \(hysteresis), leaving the target's page cache; it has refilled since last \(decision.last): \(tail)"
        }
        let bound = previous.stop == .stepLimit ? "\(HoldEpisode.maximumSteps) steps" : "reclaim_timeout"
        return "hold continues: the last episode ended on its bound (\(bound)) with available still below global thresh + hold_hysteresis \(hysteresis); \(tail)"
    }

    /// Step `number` (the check's own reclaim was step 1).
    public static func holdStep(_ number: Int, available: Bytes, episode: HoldEpisode, margin: Bytes, growth: Bytes) -> String {
        "hold step \(number): available \(available) < global thresh \(episode.globalThreshold) + hold_hysteresis \(episode.setting.hysteresis), reclaiming the shortfall + \(margin) bytes (hysteresis + growth \(growth) in \(seconds(episode.stepMilliseconds)) s + extra \(episode.extra) not lifted by earlier steps)"
    }

    /// Why the episode ended, after how many steps and how long.
    public static func holdEnded(_ stop: HoldStop, steps: Int, milliseconds: Int64, available: Bytes, episode: HoldEpisode) -> String {
        let head = "hold ended after \(steps) step\(steps == 1 ? "" : "s") in \(seconds(milliseconds)) s, available \(available)"
        switch stop {
        case .recovered:
            return "\(head) >= global thresh \(episode.globalThreshold) + hold_hysteresis \(episode.setting.hysteresis)"
        case .noGain(let gained):
            return "\(head): step \(steps) took all it could and lifted available by \(gained) bytes; no further step would do better"
        case .nothingFreed(let freed):
            return "\(head): the target's usage fell by \(freed) bytes in step \(steps); it has nothing reclaimable left now"
        case .timeLimit:
            return "\(head): reclaim_timeout \(seconds(episode.setting.budgetMilliseconds)) s used up, still below global thresh + hold_hysteresis"
        case .stepLimit:
            return "\(head): \(HoldEpisode.maximumSteps) steps is the most an episode takes, still below global thresh + hold_hysteresis"
        }
    }
}
