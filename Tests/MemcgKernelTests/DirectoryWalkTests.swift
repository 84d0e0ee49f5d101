import Foundation
import Testing
@testable import MemcgCore
@testable import MemcgKernel
import TestSupport

/// The walk that counts v1's live cgroups skips listing a directory whose
/// link count says it has no subdirectories: its count must be the full
/// listing's, on cgroupfs and on an ordinary file system.
struct DirectoryWalkTests {
    /// a, b, c; a/x, a/y (x holds files, no directories); a/y/z; and a
    /// symlink to a directory, which is not a directory of the tree.
    static let shape = ["a", "b", "c", "a/x", "a/y", "a/y/z"]

    @Test("a tree on disk: every directory counted once, files and symlinks not, leaves with files too")
    func diskTree() throws {
        let dir = try TempDirectory("mon_memcg-test-walk")
        defer { dir.remove() }
        for d in Self.shape { try FileManager.default.createDirectory(atPath: dir.path(d), withIntermediateDirectories: false) }
        for f in ["a/x/memory.stat", "b/file", "top"] { #expect(FileManager.default.createFile(atPath: dir.path(f), contents: Data("1".utf8))) }
        try FileManager.default.createSymbolicLink(atPath: dir.path("c/link"), withDestinationPath: dir.path("a"))
        #expect(try DirectoryWalk.countDirectories(dir.path, limit: 100) == 7)
        #expect(try DirectoryWalk.countDirectories(dir.path("a/y/z"), limit: 100) == 1)
        #expect(try DirectoryWalk.countDirectories(dir.path("a"), limit: 100) == 4)
    }

    @Test("the limit stops the walk with the path and the fix")
    func limit() throws {
        let dir = try TempDirectory("mon_memcg-test-walk")
        defer { dir.remove() }
        for d in Self.shape { try FileManager.default.createDirectory(atPath: dir.path(d), withIntermediateDirectories: false) }
        #expect {
            _ = try DirectoryWalk.countDirectories(dir.path, limit: 3)
        } throws: { error in
            "\(error)".contains(dir.path) && "\(error)".contains("cgroup_root")
        }
    }

    @Test("a missing root is an error that says the path")
    func missingRoot() throws {
        let dir = try TempDirectory("mon_memcg-test-walk")
        defer { dir.remove() }
        #expect {
            _ = try DirectoryWalk.countDirectories(dir.path("gone"), limit: 10)
        } throws: { error in "\(error)".contains(dir.path("gone")) }
    }

    @Test("real kernel: a cgroup tree counts as find counts it",
          .enabled(if: KernelLab.available, "needs root and a cgroup v1 memory controller at /sys/fs/cgroup/memory"))
    func cgroupTree() throws {
        let top = try KernelLab.makeCgroup("walk")
        defer { KernelLab.remove(top) }
        let a = try KernelLab.makeCgroup("a", parent: top)
        _ = try KernelLab.makeCgroup("b", parent: top)
        _ = try KernelLab.makeCgroup("c", parent: top)
        _ = try KernelLab.makeCgroup("x", parent: a)
        let y = try KernelLab.makeCgroup("y", parent: a)
        _ = try KernelLab.makeCgroup("z", parent: y)
        let path = "\(KernelLab.memoryMount)/\(top)"
        #expect(try DirectoryWalk.countDirectories(path, limit: 100) == 7)
        #expect(try DirectoryWalk.countDirectories("\(KernelLab.memoryMount)/\(a)", limit: 100) == 4)
    }

    @Test("real kernel: a reading completed after the fact counts and sizes as one measurement",
          .enabled(if: KernelLab.available, "needs root and a cgroup v1 memory controller at /sys/fs/cgroup/memory"))
    func readThenComplete() throws {
        let target = try KernelLab.makeCgroup("read")
        defer { KernelLab.remove(target) }
        _ = try KernelLab.makeCgroup("child", parent: target)
        let reader = DyingCgroupsV1(cgroupRoot: KernelLab.memoryMount, procRoot: "/proc")
        let path = "\(KernelLab.memoryMount)/\(target)"
        let reading = try reader.read(targetPath: path)
        let whole = try reader.measure(targetPath: path)
        let completed = try reader.complete([reading, reading])
        #expect(completed.count == 2)
        #expect(completed[0] == completed[1])
        #expect(completed[0].bytes == whole.bytes)
        #expect(completed[0].scope == .hierarchy)
        // Other tests create and remove cgroups meanwhile, so the count is
        // bounded, not compared: never above the reading's num_cgroups less
        // the root, which is live; a reading of 0 cgroups completes to 0.
        let num = try #require(reading.numCgroups)
        #expect(completed[0].count >= 0 && completed[0].count <= num - 1, "count \(completed[0].count), num_cgroups \(num)")
        var none = reading
        none.numCgroups = 0
        #expect(try reader.complete([none])[0].count == 0)
        #expect(try reader.complete([]) == [])
    }
}
