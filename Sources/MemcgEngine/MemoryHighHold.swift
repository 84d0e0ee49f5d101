#if canImport(Glibc)
import Glibc
#endif
import MemcgCore
import MemcgKernel

/// The memory.high lever of a held episode (`MemoryHighLever`): engaged at
/// an episode's start on cgroup v2 (memory_high = on), restored on
/// recovery, on a failed check, on stop and reload, and at the next start
/// after a run that could not (crash, kill -9). The state file holds the
/// original value from before the write until after the restore, so every
/// ending has what it needs to undo it.
struct MemoryHighRestore {
    let log: EventLog
    /// The mount the record's target must be under: a state file is not
    /// trusted to name any other path.
    let cgroupRoot: String

    /// Restores `record` when memory.high is still what the lever wrote.
    /// True when the record is done with (restored, already original,
    /// changed by someone else, target gone); false when it must be kept
    /// for a later try (memory.high could not be read or written).
    func restore(_ record: MemoryHighRecord, _ why: LogLines.MemoryHighRestoreReason) -> Bool {
        guard confined(record.target) else {
            log.error("state file names memory_high_target \(record.target), which is not below the cgroup mount \(cgroupRoot): nothing written there, the record dropped")
            return true
        }
        let file = MemoryHighFile(targetPath: record.target)
        let now: CgroupLimit
        do {
            now = try file.read()
        } catch {
            if case .unreadable(let e) = error, e.errno == ENOENT, !FileIO.isDirectory(record.target) {
                log.info(LogLines.memoryHighNotRestored(record.target, "the cgroup is gone (\(why.words))"))
                return true
            }
            log.error("cannot restore memory.high of \(record.target) to \(record.original): \(error); kept in the state file for the next try")
            return false
        }
        switch MemoryHighLever.restore(record, now: now) {
        case .write(let original):
            do {
                // Raising memory.high reclaims nothing: the write returns at once.
                _ = try file.write(original, deadlineMilliseconds: 5_000)
            } catch {
                log.error("cannot restore memory.high of \(record.target) to \(original): \(error); kept in the state file for the next try")
                return false
            }
            log.info(LogLines.memoryHighRestored(record.target, to: original, from: record.written, why.words))
        case .alreadyOriginal:
            log.info(LogLines.memoryHighAlreadyOriginal(record.target, record.original, why.words))
        case .changedByOthers(let value):
            log.info(LogLines.memoryHighLeft(record.target, now: value, written: record.written, original: record.original, why.words))
        }
        return true
    }

    private func confined(_ path: String) -> Bool {
        FileIO.isUnder(path, cgroupRoot) && !path.split(separator: "/").contains("..")
    }

    /// Outside a check (watch's start, stop and reload): under the run
    /// lock, the state file's record restored and cleared. A run holding
    /// the lock is a check, which restores a leftover at its own start.
    static func leftover(config: Config, controller: DetectedController, log: EventLog,
                         _ why: LogLines.MemoryHighRestoreReason) {
        let store = StateStore(path: config.stateFile)
        guard case .valid(var state) = store.load(), let record = state.memoryHigh else { return }
        let lock = RunLock(path: config.lockFile)
        do {
            guard try lock.tryLock() else {
                log.info(LogLines.memoryHighNotRestored(record.target, "another mon_memcg run holds \(config.lockFile); it restores it at its start"))
                return
            }
        } catch {
            log.error("cannot restore memory.high of \(record.target): \(error)")
            return
        }
        // Loaded again under the lock: a check may have changed it since.
        guard case .valid(let locked) = store.load(), let held = locked.memoryHigh else { return }
        state = locked
        let root = (try? controller.get().cgroupRoot) ?? config.cgroupRoot
        guard MemoryHighRestore(log: log, cgroupRoot: root).restore(held, why) else { return }
        state.memoryHigh = nil
        do {
            try store.save(state)
        } catch {
            log.error("memory.high restored, but the state file still records it: \(error) (the next start finds it restored and says so)")
        }
    }
}

extension CheckRun {
    /// A held episode on v2 with memory_high = on.
    var leverOn: Bool { holds && config.memoryHigh == .on }

    /// Under the lock, right after the state is loaded: a record this run
    /// will not hold (the oneshot check, or watch with the lever off) is
    /// restored now: the oneshot check is "the next start" after a watch
    /// that was killed with the lever engaged.
    func restoreUnheldMemoryHigh(store: StateStore, loaded: RunState, _ record: inout CheckRecord) {
        guard !dryRun, !leverOn, record.memoryHigh != nil else { return }
        restoreMemoryHigh(hold == nil ? .leftover : .leverOff, store: store, loaded: loaded, &record)
    }

    /// Restores the lever's record and saves the state without it.
    func restoreMemoryHigh(_ why: LogLines.MemoryHighRestoreReason, store: StateStore, loaded: RunState, _ record: inout CheckRecord) {
        guard let held = record.memoryHigh else { return }
        let root = (try? controller?.get().cgroupRoot) ?? config.cgroupRoot
        guard MemoryHighRestore(log: log, cgroupRoot: root).restore(held, why) else { return }
        record.memoryHigh = nil
        var state = record.saved ?? loaded
        state.counters = record.counters
        state.memoryHigh = nil
        do {
            try store.save(state)
            record.saved = state
        } catch {
            log.error("memory.high restored, but the state file still records it: \(error) (the next start finds it restored and says so)")
        }
    }

    /// After an observation: the lever engaged by an earlier check ends
    /// once available is back above global thresh + hold_hysteresis, or
    /// when the target is another cgroup now (a reload).
    func settleMemoryHigh(available: Bytes, line: Bytes, targetPath: String, store: StateStore, loaded: RunState,
                          _ record: inout CheckRecord) {
        guard let held = record.memoryHigh else { return }
        if held.target != targetPath {
            restoreMemoryHigh(.targetChanged(targetPath), store: store, loaded: loaded, &record)
        } else if available >= line {
            restoreMemoryHigh(.recovered(available: available, line: line), store: store, loaded: loaded, &record)
        }
    }

    /// At a held episode's start (before its first reclaim): memory.high on the target at its usage
    /// minus the shortfall below `line`, never below its floor. The record
    /// is saved before the write, so a run killed during it leaves what the
    /// next start needs. Any failure leaves the lever off for this episode
    /// (logged): the steps run as they would without it.
    func engageMemoryHigh(available: Bytes, line: Bytes, controller: any MemoryController, target: NodeSnapshot.Target,
                          runStarted: Int64, _ record: inout CheckRecord) throws(Failure) {
        guard leverOn, record.memoryHigh == nil, StopRequest.signal == nil, available < line,
              let file = controller.memoryHigh(targetPath: target.path) else { return }
        guard MemoryHighRecord.storable(target.path) else {
            log.info(LogLines.memoryHighNotSet(target.path, "the path has a blank, which the state file cannot hold"))
            return
        }
        let engage: MemoryHighLever.Engage
        let now: CgroupLimit
        let usage: Bytes
        do {
            now = try file.read()
            usage = try controller.targetUsage(at: target.path)
            let stat = try file.stat()
            do {
                engage = try MemoryHighLever.engage(current: usage, stat: stat, shortfall: line - available, now: now)
            } catch {
                throw KernelError.malformed(path: "\(target.path)/\(KernelFile.stat)", error)
            }
        } catch {
            log.error("memory.high not set on \(target.path): \(error)")
            return
        }
        guard case .write(let value, let floor, let atFloor) = engage, let saved = engage.record(target: target.path, original: now) else {
            if case .skip(let why) = engage { log.info(LogLines.memoryHighNotSet(target.path, why)) }
            return
        }
        record.memoryHigh = saved
        var state = record.saved ?? record.loadedState ?? RunState(last: record.last)
        state.memoryHigh = saved
        try save(StateStore(path: config.stateFile), state, &record)
        let budget = max(HoldEpisode.minimumBudgetMilliseconds,
                         config.reclaimTimeoutMilliseconds - (MonotonicClock.nowMilliseconds() - runStarted))
        do {
            _ = try file.write(.bytes(value), deadlineMilliseconds: budget)
        } catch {
            // The value was not written: the record's restore will find the original and say so.
            log.error("memory.high not set on \(target.path): \(error)")
            return
        }
        record.wrote = true
        log.info(LogLines.memoryHighSet(target.path, value: value, was: now, usage: usage, shortfall: line - available,
                                        floor: floor, atFloor: atFloor))
    }
}
