#if canImport(Glibc)
import Glibc
#endif
import MemcgCore

/// The node's memory controller, cgroup v1 or v2, behind one interface:
/// what kubelet sees, the target's usage, its dying cgroups, what wakes
/// `watch`, and the reclaim. A v1/v2 difference lives in a conformer
/// (`CgroupV1Controller`, `CgroupV2Controller`), never in an `if` upstream.
/// Paths are rooted at configurable directories so tests can point a
/// controller at a fixture tree.
public protocol MemoryController: Sendable {
    var hierarchy: CgroupHierarchy { get }
    /// The memory controller's mount (or what `cgroup_root` names).
    var cgroupRoot: String { get }
    var procRoot: String { get }

    /// What kubelet reads: MemTotal, the root cgroup's usage and inactive
    /// file pages, plus the kernel watermark; and `MemAvailable` from the
    /// same read of `/proc/meminfo`, for display only.
    func observe() throws(KernelError) -> (node: NodeObservation, memAvailable: Bytes?)
    /// The target's usage: the original script's "mem usage".
    func targetUsage(at targetPath: String) throws(KernelError) -> Bytes

    /// Measures the dying cgroups below a target.
    var dyingSource: any DyingCgroupsSource { get }
    /// The dying-cgroup count when there is no target to measure below;
    /// nil where the count is per target.
    func dyingCountWithoutTarget() throws(KernelError) -> Int64?

    /// What a reclaim by amount can take from the target now
    /// (`Decision.reclaimable`); nil where the reclaim takes what it can (v1).
    func reclaimable(at targetPath: String) throws(KernelError) -> Bytes?

    /// The file a reclaim of the target writes.
    func reclaimFile(targetPath: String) -> String
    /// How this controller's reclaim asks the kernel; sized by the plan
    /// itself (`plan(for:amount:)`), which reads no file.
    associatedtype Plan: ReclaimPlan
    /// Refuses, before anything is measured or written, a reclaim this
    /// kernel cannot do (v2 without memory.reclaim).
    func checkCanReclaim(targetPath: String) throws(ReclaimError)
    /// Runs the plan until done or `deadlineMilliseconds` (from now) pass;
    /// `step` hears about every write of a plan by amount, its freed bytes
    /// counted from `usageBefore`.
    func reclaim(_ plan: Plan, targetPath: String, usageBefore: Bytes, deadlineMilliseconds: Int64,
                 step: (ReclaimStepReport) -> Void) throws(ReclaimError) -> ReclaimReport<Plan>

    /// The target's lever for a held episode (`Lever`): memory.high on v2,
    /// memory.limit_in_bytes on v1; nil where there is none (test doubles).
    func lever(targetPath: String) -> LeverFile?

    /// Where `watch`'s kernel events come from, for the log.
    var eventSourcePath: String { get }
    /// Registers what wakes `watch` early for the node as observed now;
    /// keeps `current` when it already fits.
    func armWake(replacing current: (any WakeSource)?, node: NodeObservation, policy: Policy,
                 growthSoFar: Bytes) throws(SystemError) -> WakeArming
}

extension MemoryController {
    public var words: HierarchyWords { HierarchyWords(hierarchy) }

    /// This controller's plan for the decision (`Plan(for:amount:)`).
    public func plan(for decision: Decision, amount: ReclaimAmountSetting) -> Plan { Plan(for: decision, amount: amount) }

    public func lever(targetPath: String) -> LeverFile? { nil }

    public func reclaimable(at targetPath: String) throws(KernelError) -> Bytes? { nil }

    /// The target's page cache not on disk yet (`Unwritten`), from its
    /// memory.stat: both hierarchies count it there.
    public func unwritten(at targetPath: String) throws(KernelError) -> Unwritten {
        try readParsed("\(targetPath)/\(KernelFile.stat)") { text throws(ParseError) in
            try Unwritten(stat: MemoryStat(parsing: text), hierarchy: hierarchy)
        }
    }

    public func procPath(_ file: String) -> String { "\(procRoot)/\(file)" }
    public func cgroupPath(_ cgroup: String) -> String { cgroup.isEmpty ? cgroupRoot : "\(cgroupRoot)/\(cgroup)" }

    /// What kubelet reads (see `observe`).
    public func observeNode() throws(KernelError) -> NodeObservation { try observe().node }

    /// The target's directory, checked to exist and to stay inside the mount
    /// once symlinks are resolved.
    public func resolveTarget(_ target: String) throws(KernelError) -> String {
        let path = cgroupPath(target)
        guard FileIO.isDirectory(path) else { throw .targetMissing(path: path) }
        let root: String
        let resolved: String
        do {
            root = try FileIO.realPath(cgroupRoot)
            resolved = try FileIO.realPath(path)
        } catch {
            throw .unreadable(error)
        }
        guard resolved.hasPrefix(root == "/" ? "/" : root + "/"), resolved != root else {
            throw .targetEscapes(path: path, resolved: resolved)
        }
        return path
    }

    func meminfoAndWatermark() throws(KernelError) -> (MemInfo, Bytes) {
        let meminfo = try readParsed(procPath(KernelFile.meminfo)) { text throws(ParseError) in try MemInfo(parsing: text) }
        let watermark = try readParsed(procPath(KernelFile.minFreeKbytes)) { text throws(ParseError) in
            try Watermark.parse(minFreeKbytes: text)
        }
        return (meminfo, watermark)
    }
}

/// Why a reclaim could not run or finish.
public enum ReclaimError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The reclaim file could not be opened or written.
    case write(SystemError)
    /// The target's usage could not be read between or after writes.
    case usage(KernelError)
    /// The target's usage could not be read before the write (to set where
    /// a reclaim by amount stops); nothing was written.
    case usageBefore(KernelError)
    /// The kernel cannot do this reclaim at all; nothing was written.
    case unavailable(String)

    public var description: String {
        switch self {
        case .write(let e): e.description
        case .usage(let e): "after reclaim: \(e)"
        case .usageBefore(let e): "before reclaim: \(e); nothing was written"
        case .unavailable(let why): why
        }
    }
}

/// One write of a reclaim by amount, as it ended.
public struct ReclaimStepReport: Equatable, Sendable {
    /// 1 for the first write.
    public var number: Int
    public var asked: Bytes
    public var outcome: WriteOutcome
    /// The target's usage after the write, and the drop over it.
    public var current: Bytes
    public var freed: Bytes
    /// The plan stopped after this write for want of progress.
    public var stoppedForNoProgress: Bool
}

/// How a whole reclaim ended.
public struct ReclaimReport<Plan: ReclaimPlan>: Sendable {
    /// `.completed` or `.interrupted`, with the milliseconds of the whole reclaim.
    public var outcome: WriteOutcome
    /// The plan as it ended (how much of an amount was done, and why it stopped).
    public var plan: Plan
    /// A force_empty stopped by amount was interrupted because the target's
    /// usage had fallen by the amount (the outcome is then `.completed`).
    public var amountReached = false
}

extension ReclaimReport: Equatable where Plan: Equatable {}

/// What `armWake` registered.
public struct WakeArming {
    public var source: any WakeSource
    /// A new registration (false: `current` was kept as it was).
    public var changed: Bool
    /// Usage had already crossed a level while it was being registered: the
    /// kernel will not report that crossing, so check now.
    public var crossedWhileArming: Bool
    /// For `MON_MEMCG_TRACE=1` (the reaction benchmark reads v1's levels from it).
    public var trace: String
}
