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
    static func countDirectories(_ root: String, limit: Int64) throws(SystemError) -> Int64 {
        var count: Int64 = 0
        var pending = [root]
        while let dir = pending.popLast() {
            let names: [String]
            do {
                names = try subdirectories(of: dir)
            } catch where dir != root && vanished(error.errno) {
                continue
            }
            count += 1
            guard count <= limit else {
                throw SystemError("walk", root, errno: E2BIG, fix: "more than \(limit) directories: is cgroup_root the memory controller's mount?")
            }
            pending.append(contentsOf: names.map { "\(dir)/\($0)" })
        }
        return count
    }

    /// Names of the directories directly in `dir` (not `.`/`..`, no symlinks).
    static func subdirectories(of dir: String) throws(SystemError) -> [String] {
        guard let handle = opendir(dir) else { throw SystemError("open directory", dir, errno: lastErrno()) }
        defer { closedir(handle) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(handle) else {
                let e = lastErrno()
                if e != 0 { throw SystemError("read directory", dir, errno: e) }
                break
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_DIR):
                names.append(name)
            case Int32(DT_UNKNOWN):
                var st = stat()
                if lstat("\(dir)/\(name)", &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { names.append(name) }
            default:
                continue
            }
        }
        return names.sorted()
    }
}
