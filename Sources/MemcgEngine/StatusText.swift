import MemcgCore
import MemcgKernel

/// `status` as text: aligned rows of name, value and where it came from.
extension StatusReport {
    public func text() -> String {
        var sections: [(title: String, rows: [Row], after: String)] = []
        var rows: [Row] = []
        func row(_ name: String, _ value: Bytes?, _ note: String = "") {
            rows.append(Row(name: name, value: value.map { "\($0)" } ?? "unknown", human: value.map { "(\($0.humanReadable))" } ?? "", note: note))
        }
        func row(_ name: String, text value: String, _ note: String) {
            rows.append(Row(name: name, value: value, human: "", note: note))
        }
        func section(_ title: String, after: String = "") {
            sections.append((title, rows, after))
            rows = []
        }

        row("MemTotal", node.memTotal, "\(config.procRoot)/meminfo")
        let root = words.rootRows(cgroupRoot: controller.cgroupRoot)
        row(root.usage.0, node.rootUsage, root.usage.1)
        row(root.inactive.0, node.rootInactiveFile, root.inactive.1)
        row("working set", node.workingSet, "usage - inactive_file, at least 0")
        row("available", node.available, "MemTotal - working set (kubelet's memory.available)")
        row("watermark", node.watermark, "vm.min_free_kbytes")
        row("available_threshold", config.availableThreshold, thresholdNote)
        row("global thresh", globalThreshold, "available_threshold + watermark")
        if let memAvailable { row("MemAvailable", memAvailable, "for comparison; not used") }
        if let hard = kubeletHard {
            row("kubelet evicts below", hard, kubelet.note(config))
        } else {
            row("kubelet evicts below", text: "unknown", kubelet.note(config))
        }
        if let headroom { row("headroom", headroom, "global thresh - kubelet's threshold: mon_memcg acts this much sooner") }
        section("Node, as kubelet sees it")

        if let targetProblem {
            row("current", text: "unknown", "MISSING: \(targetProblem)")
        } else {
            row("current", current, words.targetUsageNote)
        }
        let last = lastValue
        if let value = last.0 { row("last", value, last.1) } else { row("last", text: "none", last.1) }
        if let decision { row("change", text: "\(decision.change)", "current - last") }
        row("growth_threshold", config.growthThreshold)
        var decisionText = "\nDecision: \(decisionName)\n  \(reason)\n"
        let file = controller.reclaimFile(targetPath: targetPath)
        if let plan = reclaimPlan {
            decisionText += "  \(plan.statusLine(file: file, current: current, mode: config.reclaimAmount))\n"
        }
        section("Target \(targetPath)", after: decisionText)

        for figure in unwrittenFigures {
            if let value = figure.value { row(figure.name, value, figure.note) } else { row(figure.name, text: "unknown", figure.note) }
        }
        section(unwrittenTitle, after: unwrittenAfter)

        if let dyingCount {
            row("dying cgroups", text: String(dyingCount), words.dyingCountScope)
        } else {
            row("dying cgroups", text: "unknown", "cannot measure: \(dyingProblem ?? "no count without a target on this hierarchy")")
        }
        if let bytes = dying?.bytes { row("dying bytes", bytes, words.dyingBytesNote) } else { row("dying bytes", text: "unknown", dyingBytesProblem ?? "") }
        row("reaper", text: reaperPresent ? "present" : "absent", Escalation(config: config).path(for: .reaper))
        row("last drop_caches", text: loaded.state.lastDropCaches.map { String($0.epochSeconds) } ?? "never", lastDropCachesNote)
        let steps = escalationPlan.map { !$0.steps.isEmpty } ?? false
        section("Dying cgroups (dying_reclaim \(config.dyingReclaim.rawValue))",
                after: "  escalation if a reclaim left memory short: \(escalationName) (\(steps ? "then: " : "")\(escalationReason))\n")

        // One set of column widths for every section, so the notes line up.
        let all = sections.flatMap(\.rows)
        let widths = (all.map(\.name.count).max() ?? 0, max(14, all.map(\.value.count).max() ?? 0), all.map(\.human.count).max() ?? 0)
        var out = "mon_memcg status: cgroup \(controller.hierarchy.rawValue), \(controller.cgroupRoot) (read-only: nothing was changed)\n"
        for section in sections {
            out += "\n\(section.title)\n" + section.rows.map { $0.line(widths) }.joined() + section.after
        }
        return out
    }

    /// One line of a section: name, value right-aligned, the value in
    /// human units, where it comes from.
    struct Row {
        var name: String
        var value: String
        var human: String
        var note: String

        func line(_ w: (name: Int, value: Int, human: Int)) -> String {
            let pad = { (n: Int) in String(repeating: " ", count: max(0, n)) }
            var line = "  " + name + pad(w.name - name.count + 2) + pad(w.value - value.count) + value
                + "  " + human + pad(w.human - human.count) + "  " + note
            while line.last == " " { line.removeLast() }
            return line + "\n"
        }
    }
}
