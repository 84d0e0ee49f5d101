import Testing
import TestSupport
@testable import MemcgCore

/// Every reader of what the tool is given (kernel files, its state file,
/// kubelet's configuration) refuses what it cannot read whole, with words
/// that say why, and never guesses a number. One rule, so one table: a new
/// reader adds its rows here, not another copy of the test.
enum Reader: String, Sendable {
    case memInfo = "/proc/meminfo"
    case memoryStat = "memory.stat"
    case mountInfo = "/proc/self/mountinfo"
    case stateFile = "the state file"
    case kubeletConfig = "kubelet's configuration"

    func read(_ text: String) throws {
        switch self {
        case .memInfo: _ = try MemInfo(parsing: text)
        case .memoryStat: _ = try MemoryStat(parsing: text)
        case .mountInfo: _ = try MountInfo(parsing: text)
        case .stateFile: _ = try StateFile.parse(text)
        case .kubeletConfig: _ = try KubeletEviction(parsing: text)
        }
    }
}

/// A text `reader` must refuse, and words its error must contain.
struct Refusal: NamedRow {
    var reader: Reader
    var refused: RefusedText
    var name: String { "\(reader.rawValue): \(refused.name)" }

    init(_ reader: Reader, _ name: String, _ text: String, _ message: String) {
        self.reader = reader
        refused = RefusedText(name, text, message)
    }
}

@Test("every reader fails closed", arguments: [
    Refusal(.memInfo, "empty", "", "no MemTotal"),
    Refusal(.memInfo, "truncated before MemTotal's unit", "MemTotal:       2468", "MemTotal should be a number of kB"),
    Refusal(.memInfo, "truncated after the header", "MemFree: 1 kB\n", "no MemTotal"),
    Refusal(.memInfo, "MemTotal zero", "MemTotal: 0 kB\n", "MemTotal is 0"),
    Refusal(.memInfo, "negative", "MemTotal: -5 kB\n", "number of kB"),
    Refusal(.memInfo, "wrong unit", "MemTotal: 5 MB\n", "number of kB"),
    Refusal(.memInfo, "not a number", "MemTotal: lots kB\n", "number of kB"),
    Refusal(.memInfo, "duplicate MemTotal", "MemTotal: 5 kB\nMemTotal: 6 kB\n", "appears twice"),
    Refusal(.memInfo, "MemAvailable above MemTotal", "MemTotal: 5 kB\nMemAvailable: 6 kB\n", "larger than MemTotal"),
    Refusal(.memInfo, "overflowing", "MemTotal: 99999999999999999999 kB\n", "number of kB"),
    Refusal(.memInfo, "overflow after kB scaling", "MemTotal: 9223372036854775 kB\n", "too large"),
    Refusal(.memInfo, "garbage line", "MemTotal: 5 kB\n\u{0}\u{1}garbage\n", "expected"),

    Refusal(.memoryStat, "empty", "", "no \"name value\" lines"),
    Refusal(.memoryStat, "missing value", "total_cache\n", "expected"),
    Refusal(.memoryStat, "negative", "total_cache -1\n", "expected"),
    Refusal(.memoryStat, "three fields", "total_cache 1 2\n", "expected"),
    Refusal(.memoryStat, "tab separated", "total_cache\t1\n", "expected"),
    Refusal(.memoryStat, "duplicate", "total_cache 1\ntotal_cache 2\n", "appears twice"),
    Refusal(.memoryStat, "overflow", "total_cache 99999999999999999999\n", "expected"),
    Refusal(.memoryStat, "truncated mid-number keeps going: partial line", "total_cache 1\ntotal_r", "expected"),

    Refusal(.mountInfo, "empty", "", "empty mountinfo"),
    Refusal(.mountInfo, "blank lines only", "\n\n", "empty mountinfo"),
    Refusal(.mountInfo, "no separator", "25 22 0:22 / /sys/fs/cgroup rw,relatime cgroup2 cgroup2 rw\n", "line 1: expected a mountinfo line"),
    Refusal(.mountInfo, "truncated after the separator", "25 22 0:22 / /sys/fs/cgroup rw - cgroup2\n", "line 1"),
    Refusal(.mountInfo, "garbage on a later line", MountInfoTests.unifiedVM + "garbage\n", "line 5"),
    Refusal(.mountInfo, "separator inside the fixed fields", "25 - 0:22 / /sys\n", "line 1"),

    Refusal(.stateFile, "empty", "", "newline"),
    Refusal(.stateFile, "only newline", "\n", "not a mon_memcg state"),
    Refusal(.stateFile, "truncated", "mon_memcg-state 1\nlast 91", "newline"),
    Refusal(.stateFile, "garbage", "\u{7f}ELF\u{2}\u{1}\n", "not a mon_memcg state"),
    Refusal(.stateFile, "old unversioned shell value", "915800064\n", "not a mon_memcg state"),
    Refusal(.stateFile, "future version", "mon_memcg-state 2\nlast 5\n", "not the supported version"),
    Refusal(.stateFile, "huge number", "mon_memcg-state 1\nlast 99999999999999999999999\n", "not a byte count"),
    Refusal(.stateFile, "negative", "mon_memcg-state 1\nlast -5\n", "not a byte count"),
    Refusal(.stateFile, "unknown key", "mon_memcg-state 1\nlats 5\n", "unknown key"),
    Refusal(.stateFile, "duplicate", "mon_memcg-state 1\nlast 5\nlast 6\n", "twice"),
    Refusal(.stateFile, "extra field", "mon_memcg-state 1\nlast 5 6\n", "expected"),

    Refusal(.kubeletConfig, "a quantity kubelet would refuse", "evictionHard:\n  memory.available: 100MB\n", "evictionHard memory.available"),
    Refusal(.kubeletConfig, "over 100%", "evictionHard:\n  memory.available: 101%\n", "percentage"),
    Refusal(.kubeletConfig, "evictionHard as a scalar", "evictionHard: 100Mi\n", "not a mapping"),
    Refusal(.kubeletConfig, "an alias", "evictionHard: *defaults\n", "does not read"),
    Refusal(.kubeletConfig, "nested deeper", "evictionHard:\n  memory.available:\n    value: 1Gi\n", "does not read"),
    Refusal(.kubeletConfig, "unclosed flow mapping", "{\"evictionHard\": {\"memory.available\": \"1Gi\"", "ends inside"),
    Refusal(.kubeletConfig, "unclosed quote", "{\"evictionHard\": {\"memory.available\": \"1Gi}}", "not closed"),
])
func failsClosed(_ row: Refusal) {
    row.refused.expectRefused(by: row.reader.read)
}
