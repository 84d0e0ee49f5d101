import MemcgCore
import MemcgKernel

/// One wake-up's reading of the node and the target: what kubelet sees, the
/// target's usage (or why it cannot be read), and when. Read once per check
/// (or `status`) by `read` and passed on: the decision, the status report,
/// the dry run's escalation and `watch`'s re-arming all read this value.
public struct NodeSnapshot: Sendable {
    /// The target's directory (resolved inside the mount) and its usage.
    public struct Target: Equatable, Sendable {
        public var path: String
        public var usage: Bytes
    }

    public var node: NodeObservation
    /// `/proc/meminfo` MemAvailable from the same read, for `status` only.
    public var memAvailable: Bytes?
    public var target: Result<Target, KernelError>
    /// Monotonic milliseconds when it was read.
    public var takenAt: Int64

    /// The node first (a failure there ends the check), then the target,
    /// whose failure `status` shows and a check reports.
    public static func read(_ controller: any MemoryController, target: String) throws(KernelError) -> NodeSnapshot {
        let (node, memAvailable) = try controller.observe()
        let reading = Result { () throws(KernelError) -> Target in
            let path = try controller.resolveTarget(target)
            return Target(path: path, usage: try controller.targetUsage(at: path))
        }
        return NodeSnapshot(node: node, memAvailable: memAvailable, target: reading, takenAt: MonotonicClock.nowMilliseconds())
    }
}

/// The controller as this run (or this `watch` start or reload) found it.
public typealias DetectedController = Result<any MemoryController, KernelError>

extension MemoryControllers {
    /// `detect`, as a value to keep.
    public static func detected(config: Config) -> DetectedController {
        Result { () throws(KernelError) in try detect(config: config) }
    }
}

/// The one place the engine asks whether `watch` is stopping (a stop
/// signal arrived): the daemon then stops, and escalation does not run. Why a
/// write ended is its outcome's cause, not this.
enum StopRequest {
    static var signal: Int32? { Interruption.stopRequested?.number }
}
