#if canImport(Glibc)
import Glibc
#endif
import MemcgCore
import MemcgKernel

/// The lever of a held episode (`Lever`: memory.high on v2 with
/// memory_high = on, memory.limit_in_bytes on v1 with memory_limit = on):
/// engaged at an episode's start, restored on recovery, on a failed check,
/// on stop and reload, and at the next start after a run that could not
/// (crash, kill -9). The state file holds the original value from before
/// the write until after the restore, so every ending has what it needs to
/// undo it.
struct LeverRestore {
    let log: EventLog
    /// The mount the record's target must be under: a state file is not
    /// trusted to name any other path.
    let cgroupRoot: String
    /// `mon_memcg restore` at a terminal: what it logs is printed too, so
    /// the person who ran it reads what happened (under systemd the log's
    /// lines reach the journal anyway).
    var echo = false

    /// A line for the log, and for stdout when `echo` asks.
    private func say(_ line: String) {
        log.info(line)
        // Not when the log is stdout itself (log_file = -, the DaemonSet):
        // the line is there already.
        if echo && !log.console.outIsJournal && !log.isStandardOutput { log.console.out(line + "\n") }
    }

    /// Restores `record` when the file still holds what the lever wrote.
    /// True when the record is done with (restored, already original,
    /// changed by someone else, target gone); false when it must be kept
    /// for a later try (the file could not be read or written).
    func restore(_ record: LeverRecord, _ why: LogLines.LeverRestoreReason) -> Bool {
        let lever = record.lever
        guard confined(record.target) else {
            log.error("state file names \(lever.stateKeyPrefix)_target \(record.target), which is not below the cgroup mount \(cgroupRoot): nothing written there, the record dropped")
            return true
        }
        let file = LeverFile(lever, targetPath: record.target)
        let now: CgroupLimit
        do {
            now = try file.read()
        } catch {
            if case .unreadable(let e) = error, e.errno == ENOENT, !FileIO.isDirectory(record.target) {
                say(LogLines.leverNotRestored(lever, record.target, "the cgroup is gone (\(why.words))"))
                return true
            }
            log.error("cannot restore \(lever.file) of \(record.target) to \(record.original): \(error); kept in the state file for the next try")
            return false
        }
        switch Lever.restore(record, now: now) {
        case .write(let original):
            do {
                // Raising either limit reclaims nothing: the write returns at once.
                _ = try file.write(original, deadlineMilliseconds: 5_000)
            } catch {
                log.error("cannot restore \(lever.file) of \(record.target) to \(original): \(error); kept in the state file for the next try")
                return false
            }
            say(LogLines.leverRestored(lever, record.target, to: original, from: now, why.words))
        case .alreadyOriginal:
            say(LogLines.leverAlreadyOriginal(lever, record.target, record.original, why.words))
        case .changedByOthers(let value):
            say(LogLines.leverLeft(lever, record.target, now: value, written: record.written, original: record.original, why.words))
        }
        return true
    }

    private func confined(_ path: String) -> Bool {
        FileIO.isUnder(path, cgroupRoot) && !path.split(separator: "/").contains("..")
    }

    /// What `leftover` found and did.
    enum Leftover: Equatable {
        /// No state file, or one without a lever record.
        case nothingRecorded
        /// The state file cannot be trusted (`StateStore.load`'s reason);
        /// the next check reports and replaces it.
        case unusableState(String)
        /// Restored, or found original, someone else's or gone (logged),
        /// and the record cleared.
        case done
        /// Done with, but the state file could not be saved without the
        /// record (logged); the next start finds it done and says so.
        case doneNotSaved
        /// Another run holds the lock: it restores the record at its start.
        case lockHeld
        /// The lever's file or the lock could not be read or written
        /// (logged); the record is kept for the next try.
        case kept
    }

    /// Outside a check (watch's start, stop and reload; `mon_memcg
    /// restore`): under the run lock, the state file's record restored and
    /// cleared. A run holding the lock is a check, which restores a
    /// leftover at its own start.
    @discardableResult
    static func leftover(config: Config, controller: DetectedController, log: EventLog,
                         _ why: LogLines.LeverRestoreReason, echo: Bool = false) -> Leftover {
        let store = StateStore(path: config.stateFile)
        let record: LeverRecord
        switch store.load() {
        case .missing: return .nothingRecorded
        case .unusable(let why): return .unusableState(why)
        case .valid(let state):
            guard let lever = state.lever else { return .nothingRecorded }
            record = lever
        }
        let root = (try? controller.get().cgroupRoot) ?? config.cgroupRoot
        let restorer = LeverRestore(log: log, cgroupRoot: root, echo: echo)
        let lock = RunLock(path: config.lockFile)
        do {
            guard try lock.tryLock() else {
                restorer.say(LogLines.leverNotRestored(record.lever, record.target, "another mon_memcg run holds \(config.lockFile); it restores it at its start"))
                return .lockHeld
            }
        } catch {
            log.error("cannot restore \(record.lever.file) of \(record.target): \(error)")
            return .kept
        }
        // Loaded again under the lock: a check may have changed it since.
        guard case .valid(var state) = store.load(), let held = state.lever else { return .nothingRecorded }
        guard restorer.restore(held, why) else { return .kept }
        state.lever = nil
        do {
            try store.save(state)
        } catch {
            log.error("\(held.lever.file) restored, but the state file still records it: \(error) (the next start finds it restored and says so)")
            return .doneNotSaved
        }
        return .done
    }
}

extension CheckRun {
    /// A held episode with `lever`'s setting on.
    func leverOn(_ lever: Lever) -> Bool { holds && config.leverMode(lever) == .on }

    /// Under the lock, right after the state is loaded: a record this run
    /// will not hold (the oneshot check, or watch with the lever off) is
    /// restored now: the oneshot check is "the next start" after a watch
    /// that was killed with the lever engaged.
    func restoreUnheldLever(store: StateStore, loaded: RunState, _ record: inout CheckRecord) {
        guard !dryRun, let held = record.lever, !leverOn(held.lever) else { return }
        restoreLever(hold == nil ? .leftover : .leverOff(held.lever), store: store, loaded: loaded, &record)
    }

    /// Restores the lever's record and saves the state without it.
    func restoreLever(_ why: LogLines.LeverRestoreReason, store: StateStore, loaded: RunState, _ record: inout CheckRecord) {
        guard let held = record.lever else { return }
        let root = (try? controller?.get().cgroupRoot) ?? config.cgroupRoot
        guard LeverRestore(log: log, cgroupRoot: root).restore(held, why) else { return }
        record.lever = nil
        var state = record.saved ?? loaded
        state.counters = record.counters
        state.lever = nil
        do {
            try store.save(state)
            record.saved = state
        } catch {
            log.error("\(held.lever.file) restored, but the state file still records it: \(error) (the next start finds it restored and says so)")
        }
    }

    /// After an observation: the lever engaged by an earlier check ends
    /// once available is back above global thresh + hold_hysteresis, or
    /// when the target is another cgroup now (a reload); the v1 lever also
    /// when what its target cannot give back nears the limit
    /// (`MemoryLimitLever.letsGo`).
    func settleLever(available: Bytes, line: Bytes, targetPath: String, store: StateStore, loaded: RunState,
                     _ record: inout CheckRecord) {
        guard let held = record.lever else { return }
        if held.target != targetPath {
            restoreLever(.targetChanged(targetPath), store: store, loaded: loaded, &record)
        } else if available >= line {
            restoreLever(.recovered(available: available, line: line), store: store, loaded: loaded, &record)
        } else if held.lever == .memoryLimit, let near = nearFloor(held) {
            restoreLever(near, store: store, loaded: loaded, &record)
        }
    }

    /// The v1 lever's let-go test on the file as it is now; nil to keep it
    /// (or when it cannot be read: the restore at recovery reads it again).
    private func nearFloor(_ held: LeverRecord) -> LogLines.LeverRestoreReason? {
        let file = LeverFile(held.lever, targetPath: held.target)
        guard case .bytes(let limit)? = try? file.read(), let (_, unreclaimable) = try? file.unreclaimable(),
              MemoryLimitLever.letsGo(unreclaimable: unreclaimable, limit: limit) else { return nil }
        return .nearFloor(unreclaimable: unreclaimable, limit: limit)
    }

    /// At a held episode's start (before its first reclaim): the lever on
    /// the target, sized by `MemoryHighLever` (usage minus the shortfall
    /// below `line`) or `MemoryLimitLever` (usage + slack), never below its
    /// floor. The record is saved before the write, so a run killed during
    /// it leaves what the next start needs. Any failure leaves the lever
    /// off for this episode (logged): the steps run as they would without
    /// it. A v1 lever engaged at an earlier wake-up is followed down instead.
    func engageLever(available: Bytes, line: Bytes, controller: any MemoryController, target: NodeSnapshot.Target,
                     runStarted: Int64, _ record: inout CheckRecord) throws(Failure) {
        guard let file = controller.lever(targetPath: target.path), leverOn(file.lever), StopRequest.signal == nil,
              available < line else { return }
        let lever = file.lever
        if let held = record.lever {
            if held.lever.followsDown, held.target == target.path { followNow(file, held) }
            return
        }
        guard LeverRecord.storable(target.path) else {
            log.info(LogLines.leverNotSet(lever, target.path, "the path has a blank, which the state file cannot hold"))
            return
        }
        let engage: LeverEngage
        let now: CgroupLimit
        let usage: Bytes
        do {
            now = try file.read()
            // What the limit is compared with. On v2 that is the
            // controller's own usage (memory.current); v1's limit is on
            // memory.usage_in_bytes, not the original's total_rss + total_cache.
            usage = try lever == .memoryHigh ? controller.targetUsage(at: target.path) : file.usage()
            let stat = try file.stat()
            do {
                switch lever {
                case .memoryHigh: engage = try MemoryHighLever.engage(current: usage, stat: stat, shortfall: line - available, now: now)
                case .memoryLimit: engage = try MemoryLimitLever.engage(usage: usage, stat: stat, now: now)
                }
            } catch {
                throw KernelError.malformed(path: "\(target.path)/\(KernelFile.stat)", error)
            }
        } catch {
            log.error("\(lever.file) not set on \(target.path): \(error)")
            return
        }
        guard case .write(var value, let floor, var atFloor) = engage, var saved = engage.record(lever, target: target.path, original: now) else {
            if case .skip(let why) = engage { log.info(LogLines.leverNotSet(lever, target.path, why)) }
            return
        }
        if lever.followsDown { saved.written = MemoryLimitLever.ceiling(value: value, now: now) }
        record.lever = saved
        var state = record.saved ?? record.loadedState ?? RunState(last: record.last)
        state.lever = saved
        try save(StateStore(path: config.stateFile), state, &record)
        // v1: the writers grew the target while the record was saved; a
        // limit below its usage now would make the write itself reclaim.
        // A failed read leaves the clamp sized from the first one.
        var sizedFrom = usage
        if lever.followsDown, let again = try? file.usage() {
            sizedFrom = again
            value = MemoryLimitLever.clamp(usage: again, floor: floor, ceiling: saved.written)
            atFloor = again + MemoryLimitLever.slack <= floor
        }
        let budget = max(HoldEpisode.minimumBudgetMilliseconds,
                         config.reclaimTimeoutMilliseconds - (MonotonicClock.nowMilliseconds() - runStarted))
        do {
            _ = try file.write(.bytes(value), deadlineMilliseconds: budget)
        } catch {
            // The value was not written: the record's restore will find the original and say so.
            log.error("\(lever.file) not set on \(target.path): \(error)")
            return
        }
        record.wrote = true
        log.info(LogLines.leverSet(lever, target.path, value: value, was: now, usage: sizedFrom, shortfall: line - available,
                                   floor: floor, atFloor: atFloor))
        if lever.followsDown, value < MemoryLimitLever.sized(usage: sizedFrom, floor: floor) {
            log.info(LogLines.leverOutgrewHeadroom(lever, target.path, usage: sizedFrom, firstUsage: usage, ceiling: saved.written))
        }
    }

    /// The v1 lever lowered once behind the usage, between reclaims.
    private func followNow(_ file: LeverFile, _ held: LeverRecord) {
        do {
            // Only a limit that is the lever's own: after a let-go it is
            // the original again, and the episode does not clamp it anew.
            guard let limit = Lever.own(held, now: try file.read()) else { return }
            let (usage, unreclaimable) = try file.unreclaimable()
            guard let value = MemoryLimitLever.follow(usage: usage, floor: MemoryLimitLever.floor(unreclaimable: unreclaimable),
                                                      limit: limit) else { return }
            _ = try file.write(.bytes(value), deadlineMilliseconds: 5_000)
            log.info(LogLines.leverFollowed(file.lever, file.targetPath, to: value, from: limit, writes: 1, when: "at this wake-up"))
        } catch {
            log.error("\(file.lever.file) not followed down on \(file.targetPath): \(error)")
        }
    }
}
