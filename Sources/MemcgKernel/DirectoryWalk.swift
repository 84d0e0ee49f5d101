#if canImport(Glibc)
import Glibc
#endif

/// Directory listing over opendir/readdir, never following symlinks, and
/// tolerant of directories removed while they are read (cgroupfs).
enum DirectoryWalk {
    /// A cgroup directory or file removed under us: ENOENT once gone,
    /// ENODEV for a kernfs node removed while open.
    static func vanished(_ errno: Int32) -> Bool { errno == ENOENT || errno == ENODEV || errno == ENOTDIR }

    /// `root` and every directory below it.
    ///
    /// A directory's link count is 2 + its subdirectories on cgroupfs
    /// (kernfs), tmpfs and ext4, so one whose count is exactly 2 is a leaf
    /// and is not opened: a memory cgroup's directory holds about 30 files,
    /// and listing every leaf made this walk cost 20 µs a cgroup (0.2 s at
    /// 10,000 cgroups). A stat is a tenth of that. Any other count (1 on
    /// btrfs or a merged overlayfs directory, which do not keep it) is
    /// listed, so the count is the same as a full listing's wherever it runs.
    static func countDirectories(_ root: String, limit: Int64) throws(SystemError) -> Int64 {
        var rootStat = stat()
        guard lstat(root, &rootStat) == 0 else { throw SystemError("stat", root, errno: lastErrno()) }
        var count: Int64 = 1
        guard rootStat.st_nlink != 2 else { return count }
        var pending = [root]
        while let dir = pending.popLast() {
            do {
                try forEachSubdirectory(of: dir) { name, links in
                    count += 1
                    // A String only for a directory to list: most are leaves.
                    if links != 2 { pending.append("\(dir)/\(String(decoding: name, as: UTF8.self))") }
                }
            } catch where dir != root && vanished(error.errno) {
                continue
            }
            guard count <= limit else {
                throw SystemError("walk", root, errno: E2BIG, fix: "more than \(limit) directories: is cgroup_root the memory controller's mount?")
            }
        }
        return count
    }

    /// Calls `body` with the name (its bytes, without the NUL) and link
    /// count of each directory directly in `dir` (not `.`/`..`, no
    /// symlinks); one removed since the listing is left out.
    static func forEachSubdirectory(of dir: String, _ body: (UnsafeRawBufferPointer, UInt) -> Void) throws(SystemError) {
        try forEachEntry(of: dir) { fd, name, type in
            guard type == Int32(DT_DIR) || type == Int32(DT_UNKNOWN) else { return }
            var st = stat()
            let ok = name.withMemoryRebound(to: CChar.self) { fstatat(fd, $0.baseAddress!, &st, AT_SYMLINK_NOFOLLOW) } == 0
            guard ok, (st.st_mode & S_IFMT) == S_IFDIR else { return }
            body(UnsafeRawBufferPointer(rebasing: name[..<nameLength(name)]), UInt(st.st_nlink))
        }
    }

    private static let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!

    /// The bytes before the NUL that ends a `d_name`.
    private static func nameLength(_ name: UnsafeRawBufferPointer) -> Int {
        guard let base = name.baseAddress else { return 0 }
        return strnlen(base.assumingMemoryBound(to: CChar.self), name.count)
    }

    /// Names of the directories directly in `dir` (not `.`/`..`, no symlinks).
    static func subdirectories(of dir: String) throws(SystemError) -> [String] {
        var names: [String] = []
        try forEachEntry(of: dir) { _, raw, type in
            let name = String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            switch type {
            case Int32(DT_DIR):
                names.append(name)
            case Int32(DT_UNKNOWN):
                var st = stat()
                if lstat("\(dir)/\(name)", &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { names.append(name) }
            default:
                return
            }
        }
        return names.sorted()
    }

    /// The one readdir loop: calls `body` with the directory's fd, each
    /// entry's NUL-terminated name (the whole `d_name` buffer) and its
    /// `d_type`, leaving out `.` and `..`.
    private static func forEachEntry(of dir: String,
                                     _ body: (Int32, UnsafeRawBufferPointer, Int32) -> Void) throws(SystemError) {
        guard let handle = opendir(dir) else { throw SystemError("open directory", dir, errno: lastErrno()) }
        defer { closedir(handle) }
        let fd = dirfd(handle)
        while true {
            errno = 0
            guard let entry = readdir(handle) else {
                let e = lastErrno()
                if e != 0 { throw SystemError("read directory", dir, errno: e) }
                return
            }
            let type = Int32(entry.pointee.d_type)
            // The name in place, not a copy of the 256-byte d_name.
            let raw = UnsafeRawBufferPointer(start: UnsafeRawPointer(entry) + nameOffset, count: MemoryLayout<dirent>.size - nameOffset)
            let dot = UInt8(ascii: ".")
            if raw[0] == dot && (raw[1] == 0 || (raw[1] == dot && raw[2] == 0)) { continue }
            body(fd, raw, type)
        }
    }
}
