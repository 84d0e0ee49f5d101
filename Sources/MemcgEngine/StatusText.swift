import MemcgCore
import MemcgKernel

/// `status` as text: aligned rows of name, value and where it came from.
extension StatusReport {
    public func text() -> String {
        var rows: [(String, String, String)] = []
        func row(_ name: String, _ value: Bytes?, _ note: String = "") {
            guard let value else { rows.append((name, "-", note)); return }
            rows.append((name, "\(value)", "(\(value.humanReadable))\(note.isEmpty ? "" : "  " + note)"))
        }
        var out = "mon_memcg status: cgroup \(controller.hierarchy.rawValue), \(controller.cgroupRoot) (read-only: nothing was changed)\n\n"
        out += "Node, as kubelet sees it\n"
        row("MemTotal", node.memTotal, "\(config.procRoot)/meminfo")
        let root = words.rootRows(cgroupRoot: controller.cgroupRoot)
        row(root.usage.0, node.rootUsage, root.usage.1)
        row(root.inactive.0, node.rootInactiveFile, root.inactive.1)
        row("working set", node.workingSet, "usage - inactive_file, at least 0")
        row("available", node.available, "MemTotal - working set (kubelet's memory.available)")
        row("watermark", node.watermark, "vm.min_free_kbytes")
        row("available_threshold", config.availableThreshold)
        row("global thresh", globalThreshold, "available_threshold + watermark")
        if let memAvailable { row("MemAvailable", memAvailable, "for comparison; not used") }
        out += table(rows)
        rows = []
        out += "\nTarget \(targetPath)\n"
        if let targetProblem {
            out += "  MISSING: \(targetProblem)\n"
        } else {
            row("current", current, words.targetUsageNote)
        }
        switch loaded {
        case .missing: rows.append(("last", "0", "no state file yet (\(config.stateFile))"))
        case .valid(let s): row("last", s.last ?? .zero, config.stateFile)
        case .unusable(let why): rows.append(("last", "0", "state unusable: \(why)"))
        }
        if let decision { rows.append(("change", "\(decision.change)", "current - last")) }
        row("growth_threshold", config.growthThreshold)
        out += table(rows)
        out += "\nDecision: \(decisionName)\n  \(reason)\n"
        if let request = reclaimRequest {
            out += "  a check would write \(request) to \(controller.reclaimFile(targetPath: targetPath)) (\(request.humanReadable))\n"
        }
        rows = []
        out += "\nDying cgroups (dying_reclaim \(config.dyingReclaim.rawValue))\n"
        rows.append(("dying cgroups", dyingCount.map { String($0) } ?? "-", dyingProblem.map { "cannot measure: \($0)" } ?? words.dyingCountScope))
        row("dying bytes", dying?.bytes, words.dyingBytesNote)
        rows.append(("reaper", reaperPresent ? "present" : "absent", Escalation(config: config).path(for: .reaper)))
        rows.append(("last drop_caches", loaded.state.lastDropCaches.map(String.init) ?? "never",
                     "epoch seconds; drop_caches_interval \(config.dropCachesIntervalSeconds) s"))
        out += table(rows)
        if let plan = escalationPlan {
            out += "  escalation if a reclaim left memory short: \(escalationName)"
            out += plan.steps.isEmpty ? " (\(plan.stop.reason))\n" : " (then: \(plan.stop.reason))\n"
        }
        return out
    }

    private func table(_ rows: [(String, String, String)]) -> String {
        // Fixed widths so both sections line up.
        let w0 = max(26, rows.map(\.0.count).max() ?? 0)
        let w1 = max(14, rows.map(\.1.count).max() ?? 0)
        return rows.map { name, value, note in
            "  " + name + String(repeating: " ", count: w0 - name.count + 2)
                + String(repeating: " ", count: w1 - value.count) + value + "  " + note
        }.map { line in
            var l = Substring(line)
            while l.last == " " { l = l.dropLast() }
            return String(l) + "\n"
        }.joined()
    }

}
