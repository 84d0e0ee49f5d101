import MemcgCore
import MemcgKernel

/// `status`'s page cache not on disk yet: the target's (what a reclaim of
/// it waits on) and the node's, with the kernel's limits that decide how
/// much of it there may be (docs/troubleshooting.md, section 8).
extension StatusReport {
    /// One figure: its name, its bytes or nil, and where it came from or
    /// why it is unknown.
    struct UnwrittenFigure {
        var name: String
        var value: Bytes?
        var note: String
    }

    var unwrittenTitle: String { "Page cache not on disk yet (no reclaim frees it before it is written)" }

    var unwrittenAfter: String {
        "  gigabytes in the target make a reclaim wait for the disk: docs/troubleshooting.md, section 8\n"
    }

    var unwrittenFigures: [UnwrittenFigure] {
        let fields = Unwritten.fields(controller.hierarchy)
        let stat = "\(targetPath)/\(KernelFile.stat)"
        let u = try? unwritten?.get()
        var figures = [(fields.dirty, u?.dirty), (fields.writeback, u?.writeback)].map { field, value in
            UnwrittenFigure(name: "target \(field.rawValue)", value: value, note: unwrittenProblem ?? stat)
        }
        let vmstat = "\(config.procRoot)/\(KernelFile.vmstat)"
        switch nodeDirty {
        case .success(let n)?:
            figures += [
                UnwrittenFigure(name: "node dirty", value: n.dirty, note: "\(vmstat) nr_dirty"),
                UnwrittenFigure(name: "node writeback", value: n.writeback, note: "\(vmstat) nr_writeback"),
                UnwrittenFigure(name: "dirty threshold", value: n.threshold,
                                note: "writers wait above it: \(n.sysctls.threshold) (nr_dirty_threshold)"),
                UnwrittenFigure(name: "background threshold", value: n.backgroundThreshold,
                                note: "the flushers start writing: \(n.sysctls.background) (nr_dirty_background_threshold)"),
            ]
        case .failure(let error)?:
            figures += ["node dirty", "node writeback", "dirty threshold", "background threshold"].map {
                UnwrittenFigure(name: $0, value: nil, note: error.description)
            }
        case nil:
            break
        }
        return figures
    }

    /// Why the target's two figures are unknown, when they are.
    var unwrittenProblem: String? {
        switch unwritten {
        case .success?: nil
        case .failure(let error)?: error.description
        case nil: "not read: the target is missing"
        }
    }

    /// Why the node's four figures are unknown, when they are.
    var nodeDirtyProblem: String? {
        if case .failure(let error)? = nodeDirty { return error.description }
        return nil
    }

    /// The `status --json` fields, in this order.
    func addUnwritten(to j: inout JSONObject) {
        let u = try? unwritten?.get()
        let n = try? nodeDirty?.get()
        j.add("target_dirty_bytes", u?.dirty)
        j.add("target_writeback_bytes", u?.writeback)
        j.add("target_unwritten_problem", unwrittenProblem)
        j.add("node_dirty_bytes", n?.dirty)
        j.add("node_writeback_bytes", n?.writeback)
        j.add("dirty_threshold_bytes", n?.threshold)
        j.add("dirty_background_threshold_bytes", n?.backgroundThreshold)
        j.add("dirty_threshold_setting", n?.sysctls.threshold)
        j.add("dirty_background_threshold_setting", n?.sysctls.background)
        j.add("node_dirty_problem", nodeDirtyProblem)
    }
}
