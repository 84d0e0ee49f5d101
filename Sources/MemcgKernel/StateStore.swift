#if canImport(Glibc)
import Glibc
#endif
import MemcgCore

/// What was found at the state path.
public enum LoadedState: Equatable, Sendable {
    /// No file: the first run on this node; the original script starts with last = 0.
    case missing
    case valid(RunState)
    /// Something is there but cannot be trusted; the reason says what.
    case unusable(String)

    public var state: RunState {
        if case .valid(let s) = self { return s }
        return RunState()
    }
}

/// The state file on disk: read without following symlinks, replaced
/// atomically.
public struct StateStore: Sendable {
    public var path: String

    public init(path: String) { self.path = path }

    public func load() -> LoadedState {
        let text: String
        do {
            text = try FileIO.read(path, limit: 4096, followSymlinks: false)
        } catch {
            if error.errno == ENOENT { return .missing }
            if error.errno == ELOOP { return .unusable("\(path) is a symlink; refusing to follow it") }
            return .unusable(error.description)
        }
        do {
            return .valid(try StateFile.parse(text))
        } catch {
            return .unusable("\(path): \(error)")
        }
    }

    /// Temp files of runs killed between a save's create and its rename
    /// (kill -9), which the next save also removes: called by a run that
    /// holds the lock, so they are gone after the next run even when that
    /// run saves nothing. A live process's temp file is never touched.
    public func removeLeftovers() {
        // The state's and the heartbeat's (`Config.heartbeatFile`): a kill
        // between either one's create and rename leaves a temp file.
        let base = FileIO.baseName(of: path)
        AtomicFile.removeLeftovers(in: FileIO.directoryName(of: path),
                                   prefixes: [base + ".tmp.", base + Config.heartbeatSuffix + ".tmp."])
    }

    public func save(_ state: RunState) throws(SystemError) {
        try FileIO.ensureDirectory(FileIO.directoryName(of: path))
        try moveAsideIfDirectory()
        try AtomicFile.replace(path, with: StateFile.render(state), options: .state)
    }

    /// rename(2) cannot replace a directory with a file. One found in the
    /// state's place is kept for inspection under a new name, never deleted.
    private func moveAsideIfDirectory() throws(SystemError) {
        var st = stat()
        guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { return }
        let aside = "\(path).unusable.\(WallClock.nowSeconds())"
        guard rename(path, aside) == 0 else {
            throw SystemError("move aside the directory at", path, errno: lastErrno(), fix: "remove the directory \(path)")
        }
    }
}
