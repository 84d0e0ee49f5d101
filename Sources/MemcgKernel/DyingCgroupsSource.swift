#if canImport(Glibc)
import Glibc
#endif
import MemcgCore

/// Measures the dying cgroups below a target. One conformer per hierarchy,
/// handed out by the host's `MemoryController`: the escalation policy, logs
/// and status take a `DyingCgroups` either way.
public protocol DyingCgroupsSource: Sendable {
    func measure(targetPath: String) throws(KernelError) -> DyingCgroups
}

/// One value per live child cgroup of `targetPath`, read from `file` in
/// each. A child removed since the listing is skipped: its pages are dying
/// now, which is what the caller is measuring.
func liveChildren(of targetPath: String, file: String,
                  _ parse: (String) throws(ParseError) -> Bytes) throws(KernelError) -> [Bytes] {
    let names: [String]
    do {
        names = try DirectoryWalk.subdirectories(of: targetPath)
    } catch {
        throw .unreadable(error)
    }
    var values: [Bytes] = []
    for name in names {
        let path = "\(targetPath)/\(name)/\(file)"
        let text: String
        do {
            text = try FileIO.read(path)
        } catch where DirectoryWalk.vanished(error.errno) {
            continue
        } catch {
            throw .unreadable(error)
        }
        do {
            values.append(try parse(text))
        } catch {
            throw .malformed(path: path, error)
        }
    }
    return values
}

