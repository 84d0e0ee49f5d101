/// How much a reclaim by amount (cgroup v2's `memory.reclaim`) asks for, and
/// how the ask is split into bounded writes. Pure: the kernel layer does the
/// writes and reports each one's outcome back.
///
/// v1's `force_empty` takes everything; `memory.reclaim` takes an amount, so
/// the tool asks for what the decision says is missing and no more:
///
///     request = (global thresh + growth_threshold) - available
///
/// i.e. enough to lift kubelet's available memory back above the threshold
/// with `growth_threshold` to spare (the same margin that stops the next
/// run from reclaiming again at once), capped at the target's
/// `memory.current` (it cannot give more than it holds) and at what it can
/// give back (`Decision.reclaimable`): asked for kernel memory no reclaim
/// frees, the kernel walks every cgroup below the target in vain.
public struct ReclaimAmountPlan: Equatable, Sendable {
    /// Smallest amount worth a write; the kernel counts whole pages (up to
    /// 64 KiB on some architectures) and ignores a remainder.
    public static let minimumWrite = Bytes.kib(64)
    /// Smallest step; below this splitting only adds system calls.
    public static let minimumStep = Bytes.mib(32)
    /// A request is split into about this many writes, so that progress is
    /// visible (each is logged) and a stuck write is noticed early.
    public static let targetSteps: Int64 = 4
    /// Hard bound on writes per run, whatever the kernel answers.
    public static let maximumSteps = 16

    /// What a write did. `freed` is the drop of the target's
    /// `memory.current` over the write: it can exceed the amount asked (the
    /// kernel scans its lists in batches; on 6.1 a 32 MiB ask freed up to
    /// 52 MB) or be negative (other tasks charged memory meanwhile).
    public enum StepResult: Equatable, Sendable {
        /// The kernel reclaimed at least the whole step. What is left to
        /// ask for shrinks by the larger of the two, so over-reclaim is not
        /// asked for again and new charges are not chased.
        case completed(freed: Bytes)
        /// EAGAIN: the kernel retried and reclaimed less than asked; what
        /// is left shrinks by what `memory.current` shows was freed.
        case partial(freed: Bytes)
    }

    public enum Stop: Equatable, Sendable {
        /// Everything requested was reclaimed.
        case done
        /// A write ended in EAGAIN without `memory.current` dropping:
        /// nothing more is reclaimable now.
        case noProgress
        /// `maximumSteps` writes were made.
        case stepLimit
    }

    public let request: Bytes
    /// How `request` was sized.
    public let basis: RequestBasis
    public let stepSize: Bytes
    public private(set) var remaining: Bytes
    public private(set) var steps = 0
    public private(set) var stop: Stop?

    public init(request: Bytes, basis: RequestBasis = .growthThreshold) {
        self.request = request.clampedAtZero
        self.basis = basis
        let quarter = Bytes((self.request.value + Self.targetSteps - 1) / Self.targetSteps)
        self.stepSize = max(quarter, Self.minimumStep)
        self.remaining = self.request
        if self.request < Self.minimumWrite { stop = .done }
    }

    /// The request for this decision (see the type's comment).
    public static func request(for decision: Decision) -> Bytes {
        request(for: decision, margin: decision.growthThreshold)
    }

    /// The shortfall below global thresh plus `margin`, at most the
    /// target's usage and what it can give back: `reclaim_amount =
    /// deficit` with `reclaim_margin`.
    public static func request(for decision: Decision, margin: Bytes) -> Bytes {
        let wanted = (decision.globalThreshold + margin - decision.available).clampedAtZero
        return min(wanted, cap(decision))
    }

    /// The most a reclaim of the target can take: its usage, or less when
    /// its memory.stat says less is reclaimable.
    public static func cap(_ decision: Decision) -> Bytes {
        min(decision.current.clampedAtZero, decision.reclaimable ?? decision.current.clampedAtZero)
    }

    /// The next write's size, nil when the plan has stopped.
    public var nextStep: Bytes? {
        guard stop == nil else { return nil }
        return min(stepSize, remaining)
    }

    /// Records the outcome of a write of `asked` bytes.
    public mutating func record(asked: Bytes, _ result: StepResult) {
        steps += 1
        switch result {
        case .completed(let freed):
            remaining = (remaining - max(asked, freed)).clampedAtZero
        case .partial(let freed):
            remaining = (remaining - freed.clampedAtZero).clampedAtZero
            if freed <= .zero { stop = .noProgress }
        }
        if stop == nil {
            if remaining < Self.minimumWrite {
                stop = .done
            } else if steps >= Self.maximumSteps {
                stop = .stepLimit
            }
        }
    }
}

/// cgroup v2's reclaim: `memory.reclaim` asked for an amount, in bounded writes.
extension ReclaimAmountPlan: ReclaimPlan {
    /// What the decision says is missing, no more: under `auto` with
    /// growth_threshold to spare (as before reclaim_amount existed), under
    /// `deficit` with reclaim_margin; `all` asks for everything the target
    /// holds.
    public init(for decision: Decision, amount: ReclaimAmountSetting) {
        switch amount.mode {
        case .auto:
            if let held = amount.heldMargin {
                self.init(request: Self.request(for: decision, margin: held), basis: .held(held))
            } else {
                self.init(request: Self.request(for: decision))
            }
        case .deficit:
            self.init(request: Self.request(for: decision, margin: amount.deficitMargin), basis: amount.deficitBasis)
        case .all: self.init(request: Self.cap(decision), basis: .everything)
        }
    }

    public var asked: Bytes? { request }

    /// A write ended in EAGAIN (the kernel retried and gave up) and the
    /// target's usage did not drop over it, or there was nothing to write
    /// (the target holds less than a write). Writes the kernel completed
    /// while the usage rose were outgrown, not empty.
    public func ranOut(_ stop: ReclaimStop) -> Bool { self.stop == .noProgress || steps == 0 }

    public func dryRunLine(file: String, decision: Decision) -> String {
        LogLines.dryRun("would have written \(request) to \(file) (\(LogLines.requestReason(decision, basis: basis))) in steps of at most \(stepSize), then stored the usage after it as last")
    }

    public func requestLine(file: String, decision: Decision) -> String? {
        "\(LogLines.fileName(file)): requesting \(request) bytes (\(LogLines.requestReason(decision, basis: basis))) in steps of at most \(stepSize) bytes"
    }

    public func statusLine(file: String, current: Bytes?, mode: ReclaimAmountMode) -> String {
        "a check would write \(request) to \(file) (\(request.humanReadable))"
    }

    /// How long it took, and what it left undone when it stopped short.
    public func endLines(_ end: ReclaimEnd, file: String) -> [String] {
        if let interruption = end.interruption { return [interruption] }
        return [LogLines.reclaimTook(end.milliseconds, freed: end.freed)] + [LogLines.reclaimStoppedShort(self, file: file)].compactMap { $0 }
    }
}
