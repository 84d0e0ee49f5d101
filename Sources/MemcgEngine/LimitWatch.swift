import MemcgCore
import MemcgKernel

/// The v1 lever's thread (`MemoryLimitFollow`) as the engine runs it:
/// started only on a limit that is the lever's own, and stopped with what
/// it did logged. Two owners: a reclaim (`CheckReclaim`, mode `follow`,
/// under the run lock), and `watch` between its wake-ups (`letGoOnly`),
/// so that whenever a running daemon has the hard limit engaged something
/// looks at it every 50 ms.
struct LimitWatch {
    let thread: MemoryLimitFollow
    let file: LeverFile
    /// The limit when the thread started.
    let from: Bytes
    /// When the lines say it happened: "during the reclaim", "between wake-ups".
    let when: String
    /// What the let-go's time is counted from: "into it", "after the last
    /// check". A reclaim's line is written when the reclaim ends (up to
    /// reclaim_timeout later), so the line says when the let-go was.
    let since: String

    /// Started on `record`'s target when the lever there is the v1 limit
    /// and the file still holds a value the record says is its own; nil
    /// otherwise (nothing to watch: restored, let go, or someone else's),
    /// or when it cannot start (logged: the lever stays as it is, and the
    /// next wake-up's let-go test still runs).
    static func start(_ record: LeverRecord?, targetPath: String, controller: some MemoryController, mode: MemoryLimitFollow.Mode,
                      when: String, since: String, log: EventLog) -> LimitWatch? {
        guard let record, record.lever.followsDown, record.target == targetPath, case .bytes(let original) = record.original,
              let file = controller.lever(targetPath: targetPath), file.lever == record.lever else { return nil }
        do {
            guard let limit = Lever.own(record, now: try file.read()) else { return nil }
            return LimitWatch(thread: try MemoryLimitFollow(file, limit: limit, original: original, mode: mode), file: file, from: limit,
                              when: when, since: since)
        } catch {
            log.error("\(record.lever.file) not watched on \(targetPath) \(when): \(error)")
            return nil
        }
    }

    /// Readable once the thread has stopped by itself (`MemoryLimitFollow.finished`).
    var finished: Int32 { thread.finished }

    /// Stops the thread and logs what it did.
    func stop(log: EventLog) {
        let result = thread.stop()
        let lever = file.lever
        if let (unreclaimable, limit, after) = result.letGo {
            // The record stays until the episode ends: its restore finds
            // the original and says so; the lever is not engaged again
            // meanwhile (the limit is not its own).
            log.info(LogLines.leverLetGo(lever, file.targetPath, to: result.limit, when: "\(when) (\(seconds(after)) s \(since))",
                                         LogLines.LeverRestoreReason.nearFloor(unreclaimable: unreclaimable, limit: limit).words))
        } else if result.writes > 0 {
            log.info(LogLines.leverFollowed(lever, file.targetPath, to: result.limit, from: from, writes: result.writes, when: when))
        }
        if let failure = result.failure {
            log.error("\(lever.file) no longer watched on \(file.targetPath) \(when): \(failure)")
        }
    }
}
