/// Which cgroup hierarchy holds the memory controller on this node.
public enum CgroupHierarchy: String, Equatable, Sendable {
    /// The legacy memory controller, mounted on its own (`/sys/fs/cgroup/memory`).
    case v1
    /// The unified hierarchy (`cgroup2`, usually at `/sys/fs/cgroup`).
    case v2
}

/// `/proc/self/mountinfo`, reduced to what finding the memory controller
/// needs. Each line is
///
///     36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
///
/// mount point in field 5, then optional fields up to a lone `-`, then the
/// file system type, the source and the super-block options. Blanks and
/// backslashes in paths are escaped as octal (`\040`).
public struct MountInfo: Equatable, Sendable {
    public struct Mount: Equatable, Sendable {
        public var mountPoint: String
        public var fsType: String
        public var superOptions: [String]

        public init(mountPoint: String, fsType: String, superOptions: [String]) {
            self.mountPoint = mountPoint
            self.fsType = fsType
            self.superOptions = superOptions
        }
    }

    public var mounts: [Mount]

    public init(mounts: [Mount]) { self.mounts = mounts }

    /// A line without the ` - ` separator or with too few fields is an
    /// error: a file we cannot read whole must not decide the hierarchy.
    public init(parsing text: String) throws(ParseError) {
        var mounts: [Mount] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.trimmingBlanks().isEmpty { continue }
            // Empty fields are kept: a mount whose source is "" must not
            // shift the options of its line.
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count > 6, let dash = fields[6...].firstIndex(of: "-"), fields.count >= dash + 4 else {
                throw ParseError(line: index + 1, "expected a mountinfo line (… mount-point … - fstype source options), got \"\(line.prefix(80))\"")
            }
            mounts.append(Mount(
                mountPoint: Self.unescape(fields[4]),
                fsType: String(fields[dash + 1]),
                superOptions: fields[dash + 3].split(separator: ",").map(String.init)))
        }
        guard !mounts.isEmpty else { throw ParseError("empty mountinfo (truncated read?)") }
        self.mounts = mounts
    }

    /// Where the memory controller is mounted, or nil.
    ///
    /// A v1 `cgroup` mount with the `memory` option wins: systemd's hybrid
    /// layout mounts the memory controller on v1 and an empty cgroup2 at
    /// `/sys/fs/cgroup/unified` beside it. Otherwise the cgroup2 mount, the
    /// one at `/sys/fs/cgroup` when there are several; whether its
    /// `cgroup.controllers` lists `memory` is for the kernel layer to check.
    public func memoryController() -> (hierarchy: CgroupHierarchy, mountPoint: String)? {
        if let v1 = mounts.first(where: { $0.fsType == "cgroup" && $0.superOptions.contains("memory") }) {
            return (.v1, v1.mountPoint)
        }
        let unified = mounts.filter { $0.fsType == "cgroup2" }
        if let v2 = unified.first(where: { $0.mountPoint == "/sys/fs/cgroup" }) ?? unified.first {
            return (.v2, v2.mountPoint)
        }
        return nil
    }

    /// `\040` → space, `\011` → tab, `\012` → newline, `\134` → backslash.
    static func unescape(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var bytes: [UInt8] = []
        let utf8 = Array(field.utf8)
        var i = 0
        while i < utf8.count {
            if utf8[i] == UInt8(ascii: "\\"), i + 3 < utf8.count {
                let digits = utf8[(i + 1)...(i + 3)]
                if digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "7") }) {
                    let value = digits.reduce(0) { $0 * 8 + Int($1 - UInt8(ascii: "0")) }
                    if value <= 0xff {
                        bytes.append(UInt8(value))
                        i += 4
                        continue
                    }
                }
            }
            bytes.append(utf8[i])
            i += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
