import MemcgCore

/// The cgroup v2 memory controller: kubelet's v2 signal from the root's
/// `memory.stat` (`NodeSignalV2`), the target's `memory.current`, reclaim by
/// `memory.reclaim` asked for the shortfall, and watch woken by a PSI
/// trigger (v2 has no usage thresholds).
public struct CgroupV2Controller: MemoryController {
    public let hierarchy = CgroupHierarchy.v2
    public var cgroupRoot: String
    public var procRoot: String

    /// MemTotal and the root's `memory.stat` (`anon`, `file`,
    /// `inactive_file`; the root has no `memory.current`).
    public func observe() throws(KernelError) -> (node: NodeObservation, memAvailable: Bytes?) {
        let (meminfo, watermark) = try meminfoAndWatermark()
        let node = try readParsed("\(cgroupRoot)/\(KernelFile.stat)") { text throws(ParseError) in
            try NodeSignalV2.observation(memTotal: meminfo.memTotal, rootStat: MemoryStat(parsing: text), watermark: watermark)
        }
        return (node, meminfo.memAvailable)
    }

    public func targetUsage(at targetPath: String) throws(KernelError) -> Bytes {
        try readParsed("\(targetPath)/\(KernelFile.memoryCurrent)") { text throws(ParseError) in try CounterFile.parse(text) }
    }

    /// The target's memory.stat, and the swap room (`ReclaimableMemory`):
    /// the node's SwapFree, and the target's and its ancestors' swap limits
    /// only when the node has free swap (no reads on a node without).
    public func reclaimable(at targetPath: String) throws(KernelError) -> Bytes? {
        let swapFree = try readParsed(procPath(KernelFile.meminfo)) { text throws(ParseError) in try MemInfo(parsing: text).swapFree }
        let room = swapFree > .zero ? ReclaimableMemory.swapRoom(swapFree: swapFree, limits: try swapLimits(from: targetPath)) : .zero
        return try readParsed("\(targetPath)/\(KernelFile.stat)") { text throws(ParseError) in
            try ReclaimableMemory.v2(stat: MemoryStat(parsing: text), swapRoom: room)
        }
    }

    /// memory.swap.max and memory.swap.current of the target and of each
    /// cgroup above it, up to the root (which has neither). A cgroup
    /// without them (the kernel does not account swap per cgroup:
    /// swapaccount=0) limits nothing.
    func swapLimits(from targetPath: String) throws(KernelError) -> [ReclaimableMemory.SwapLimit] {
        var limits: [ReclaimableMemory.SwapLimit] = []
        var dir = targetPath
        while FileIO.isUnder(dir, cgroupRoot) {
            let maxPath = "\(dir)/\(KernelFile.swapMax)"
            if FileIO.exists(maxPath) {
                let max = try readParsed(maxPath) { text throws(ParseError) in try CgroupLimit(parsing: text) }
                let current = try readParsed("\(dir)/\(KernelFile.swapCurrent)") { text throws(ParseError) in try CounterFile.parse(text) }
                limits.append(ReclaimableMemory.SwapLimit(max: max, current: current))
            }
            dir = FileIO.directoryName(of: dir)
        }
        return limits
    }

    public var dyingSource: any DyingCgroupsSource { DyingCgroupsV2() }

    /// v2 counts per target (`cgroup.stat`).
    public func dyingCountWithoutTarget() throws(KernelError) -> Int64? { nil }

    public func reclaimFile(targetPath: String) -> String { "\(targetPath)/\(KernelFile.reclaim)" }

    /// Never a silent no-op: a kernel without memory.reclaim is a failure.
    public func checkCanReclaim(targetPath: String) throws(ReclaimError) {
        let file = reclaimFile(targetPath: targetPath)
        guard FileIO.exists(file) else {
            throw .unavailable("\(file) does not exist: this kernel has no memory.reclaim (Linux 5.19 or later is needed to reclaim on cgroup v2); nothing was reclaimed")
        }
    }

    /// Bounded writes of the plan's steps. The kernel reclaims until it has
    /// the amount written and returns EAGAIN when it gave up with less;
    /// like force_empty's loop it checks `signal_pending()`, so the same
    /// deadline bounds it.
    public func reclaim(_ plan: ReclaimAmountPlan, targetPath: String, usageBefore: Bytes, deadlineMilliseconds: Int64,
                        step: (ReclaimStepReport) -> Void) throws(ReclaimError) -> ReclaimReport<ReclaimAmountPlan> {
        var amount = plan
        let file = reclaimFile(targetPath: targetPath)
        let start = MonotonicClock.nowMilliseconds()
        var before = usageBefore
        var interruption: Interruption.Cause?
        while let ask = amount.nextStep {
            let outcome: WriteOutcome
            do {
                outcome = try DeadlineWrite.write("\(ask.value)\n", to: file,
                                                  deadlineMilliseconds: start + deadlineMilliseconds - MonotonicClock.nowMilliseconds(),
                                                  missingFix: "this kernel has no memory.reclaim: Linux 5.19 or later is needed; nothing was reclaimed")
            } catch {
                throw .write(error)
            }
            let now = try usageAfterWrite(targetPath)
            let freed = before - now
            before = now
            let number = amount.steps + 1
            switch outcome {
            case .completed: amount.record(asked: ask, .completed(freed: freed))
            case .partial: amount.record(asked: ask, .partial(freed: freed))
            case .interrupted(_, let cause): interruption = cause
            }
            step(ReclaimStepReport(number: number, asked: ask, outcome: outcome, current: now, freed: freed,
                                   stoppedForNoProgress: amount.stop == .noProgress))
            if interruption != nil { break }
        }
        let ms = MonotonicClock.nowMilliseconds() - start
        return ReclaimReport(outcome: interruption.map { .interrupted(milliseconds: ms, cause: $0) } ?? .completed(milliseconds: ms), plan: amount)
    }

    private func usageAfterWrite(_ targetPath: String) throws(ReclaimError) -> Bytes {
        do {
            return try targetUsage(at: targetPath)
        } catch {
            throw .usage(error)
        }
    }

    public func lever(targetPath: String) -> LeverFile? { LeverFile(.memoryHigh, targetPath: targetPath) }

    public var eventSourcePath: String { procPath(KernelFile.pressureMemory) }

    /// A PSI trigger on the node's memory pressure (`PressureTrigger` says
    /// why not memory.events). It does not depend on the observation, so
    /// it is armed once and kept.
    public func armWake(replacing current: (any WakeSource)?, node: NodeObservation, policy: Policy,
                        growthSoFar: Bytes) throws(SystemError) -> WakeArming {
        if let current = current as? PressureTrigger, current.path == eventSourcePath {
            return WakeArming(source: current, changed: false, crossedWhileArming: false, trace: "")
        }
        let trigger = try PressureTrigger(procRoot: procRoot)
        return WakeArming(source: trigger, changed: true, crossedWhileArming: false,
                          trace: "\(trigger.specification) available \(node.available)")
    }
}
