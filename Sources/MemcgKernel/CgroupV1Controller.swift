import MemcgCore

/// The cgroup v1 memory controller: kubelet's signal from the root's
/// `memory.usage_in_bytes` and `total_inactive_file`, the target's
/// `total_rss + total_cache`, reclaim by `memory.force_empty`, and watch
/// woken by usage thresholds on `cgroup.event_control`.
public struct CgroupV1Controller: MemoryController {
    public let hierarchy = CgroupHierarchy.v1
    public var cgroupRoot: String
    public var procRoot: String

    public func observe() throws(KernelError) -> (node: NodeObservation, memAvailable: Bytes?) {
        let usagePath = "\(cgroupRoot)/\(KernelFile.usageInBytes)"
        guard FileIO.exists(usagePath) else { throw .noMemoryController(path: cgroupRoot) }
        let (meminfo, watermark) = try meminfoAndWatermark()
        let usage = try readParsed(usagePath) { text throws(ParseError) in try CounterFile.parse(text) }
        let inactive = try readParsed("\(cgroupRoot)/\(KernelFile.stat)") { text throws(ParseError) in
            try MemoryStat(parsing: text).bytes(StatField.totalInactiveFile)
        }
        return (NodeObservation(memTotal: meminfo.memTotal, rootUsage: usage, rootInactiveFile: inactive, watermark: watermark), meminfo.memAvailable)
    }

    /// `total_rss + total_cache` from the target's `memory.stat`.
    public func targetUsage(at targetPath: String) throws(KernelError) -> Bytes {
        try readParsed("\(targetPath)/\(KernelFile.stat)") { text throws(ParseError) in
            try MemoryStat(parsing: text).hierarchicalUsage()
        }
    }

    public var dyingSource: any DyingCgroupsSource { DyingCgroupsV1(cgroupRoot: cgroupRoot, procRoot: procRoot) }

    /// v1 counts dying cgroups for the whole hierarchy, target or not.
    public func dyingCountWithoutTarget() throws(KernelError) -> Int64? {
        try DyingCgroupsV1(cgroupRoot: cgroupRoot, procRoot: procRoot).count()
    }

    public func reclaimFile(targetPath: String) -> String { "\(targetPath)/\(KernelFile.forceEmpty)" }

    public func checkCanReclaim(targetPath: String) throws(ReclaimError) {}

    /// `echo 1 > memory.force_empty`. The kernel's loop checks
    /// `signal_pending()` and returns EINTR, so the deadline's SIGALRM (or
    /// watch's stop signal) ends a write that would otherwise run until
    /// systemd kills the whole run: the original design's timeout case.
    public func reclaim(_ plan: ForceEmptyPlan, targetPath: String, usageBefore: Bytes, deadlineMilliseconds: Int64,
                        step: (ReclaimStepReport) -> Void) throws(ReclaimError) -> ReclaimReport<ForceEmptyPlan> {
        let stop: UsageFallStop?
        switch plan {
        case .emptyTarget:
            stop = nil
        case .emptyUntilFreed(let deficit):
            stop = try usageFallStop(targetPath: targetPath, freeing: deficit.request)
        }
        let outcome: WriteOutcome
        do {
            outcome = try DeadlineWrite.write("1\n", to: reclaimFile(targetPath: targetPath), deadlineMilliseconds: deadlineMilliseconds,
                                              usageStop: stop)
        } catch {
            throw .write(error)
        }
        // EINTR after the level was reached is the stop asked for, not a deadline.
        if case .interrupted(let ms, .usageReached) = outcome {
            return ReclaimReport(outcome: .completed(milliseconds: ms), plan: plan, amountReached: true)
        }
        return ReclaimReport(outcome: outcome, plan: plan)
    }

    /// The stop once `memory.usage_in_bytes` has fallen to the target's
    /// working set now (usage - total_inactive_file) minus `amount` (see
    /// `UsageFallStop` for why); nil when that asks for all the target
    /// holds (force_empty then runs to the end).
    private func usageFallStop(targetPath: String, freeing amount: Bytes) throws(ReclaimError) -> UsageFallStop? {
        let usage: Bytes
        let inactive: Bytes
        do {
            usage = try readParsed("\(targetPath)/\(KernelFile.usageInBytes)") { text throws(ParseError) in try CounterFile.parse(text) }
            inactive = try readParsed("\(targetPath)/\(KernelFile.stat)") { text throws(ParseError) in
                try MemoryStat(parsing: text).bytes(StatField.totalInactiveFile)
            }
        } catch {
            throw .usageBefore(error)
        }
        let level = usage - inactive.clampedAtZero - amount
        guard amount > .zero, level > .zero else { return nil }
        return UsageFallStop(cgroupPath: targetPath, level: level)
    }

    public func lever(targetPath: String) -> LeverFile? { LeverFile(.memoryLimit, targetPath: targetPath) }

    public var eventSourcePath: String { "\(cgroupRoot)/\(KernelFile.eventControl)" }

    /// Usage thresholds at the levels `WatchArming` computes for the node
    /// now; re-registered when they move (inactive file pages and the
    /// watermark change between checks).
    public func armWake(replacing current: (any WakeSource)?, node: NodeObservation, policy: Policy,
                        growthSoFar: Bytes) throws(SystemError) -> WakeArming {
        let levels = WatchArming.thresholds(node: node, policy: policy, growthSoFar: growthSoFar)
        let trace = "\(levels.map { String($0.value) }.joined(separator: ",")) usage \(node.rootUsage) available \(node.available)"
        if let current = current as? UsageThresholdEvent, current.thresholds == levels, current.cgroupPath == cgroupRoot {
            return WakeArming(source: current, changed: false, crossedWhileArming: false, trace: trace)
        }
        // The new registration first: the old one still watches until it is replaced.
        let event = try UsageThresholdEvent(cgroupPath: cgroupRoot, thresholds: levels)
        let usage = try? readParsed("\(cgroupRoot)/\(KernelFile.usageInBytes)") { text throws(ParseError) in try CounterFile.parse(text) }
        let crossed = usage.map { WatchArming.crossedWhileArming(usage: $0, thresholds: levels) } ?? false
        return WakeArming(source: event, changed: true, crossedWhileArming: crossed, trace: trace)
    }
}
