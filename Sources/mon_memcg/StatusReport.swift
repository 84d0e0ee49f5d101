import MemcgCore
import MemcgKernel

/// Everything `status` shows, gathered once and rendered as text or JSON.
struct StatusReport {
    var config: Config
    /// The detected hierarchy and where its files are read.
    var host: MemcgHost
    var node: NodeObservation
    var memAvailable: Bytes?
    var targetPath: String
    /// Why the target cannot be used, when it cannot.
    var targetProblem: String?
    var current: Bytes?
    var loaded: LoadedState
    var decision: Decision?
    /// Dying cgroups below the target, or why they could not be measured.
    var dying: DyingCgroups?
    var dyingProblem: String?
    var dyingCountOnly: Int64?
    var reaperPresent = false
    /// What escalation would do if a reclaim left things as they are now.
    var escalationPlan: (steps: [EscalationStep], stop: EscalationStop)?

    static func gather(config: Config) throws(Failure) -> StatusReport {
        let host: MemcgHost
        let node: NodeObservation
        do {
            host = try MemcgHost.detect(config: config)
            node = try host.observeNode()
        } catch {
            throw Failure(status: error.exitStatus, message: error.description)
        }
        let loaded = StateStore(path: config.stateFile).load()
        var report = StatusReport(
            config: config, host: host, node: node, memAvailable: host.memAvailable(),
            targetPath: host.cgroupPath(config.target), targetProblem: nil, current: nil,
            loaded: loaded, decision: nil)
        do {
            let path = try host.resolveTarget(config.target)
            let current = try host.targetUsage(at: path)
            report.current = current
            report.decision = decide(node: node, current: current, last: loaded.state.last ?? .zero, policy: config.policy)
            report.gatherDying(targetPath: path)
        } catch {
            report.targetProblem = error.description
            report.gatherDying(targetPath: nil)
        }
        return report
    }

    /// On v2, what a check would ask `memory.reclaim` for now.
    var reclaimRequestV2: Bytes? {
        guard host.hierarchy == .v2, let decision, decision.action == .reclaim else { return nil }
        return ReclaimPlanV2.request(for: decision)
    }

    var globalThreshold: Bytes { config.policy.globalThreshold(watermark: node.watermark) }

    /// Without a target only the (hierarchy-wide, v1) count can be shown.
    private mutating func gatherDying(targetPath: String?) {
        let v1 = DyingCgroupsV1(cgroupRoot: config.cgroupRoot, procRoot: config.procRoot)
        let source: any DyingCgroupsSource = host.hierarchy == .v2 ? DyingCgroupsV2() : v1
        do {
            if let targetPath {
                dying = try source.measure(targetPath: targetPath)
            } else if host.hierarchy == .v1 {
                dyingCountOnly = try v1.count()
            }
        } catch {
            dyingProblem = error.description
        }
        let escalation = Escalation(config: config)
        reaperPresent = escalation.reaperPresent
        guard targetPath != nil else { return }
        // As a check would judge right after a reclaim that used all of
        // reclaim_timeout and changed nothing.
        escalationPlan = planEscalation(mode: config.dyingReclaim, situation: EscalationSituation(
            available: node.available, globalThreshold: globalThreshold, dying: dying,
            growthThreshold: config.growthThreshold, reaperPresent: reaperPresent,
            lastDropCaches: loaded.state.lastDropCaches, now: EpochClock.nowSeconds(),
            dropCachesIntervalSeconds: config.dropCachesIntervalSeconds,
            remainingMilliseconds: RunDeadline.milliseconds - config.reclaimTimeoutMilliseconds))
    }

    var dyingCount: Int64? { dying?.count ?? dyingCountOnly }

    var escalationName: String {
        guard let plan = escalationPlan, !plan.steps.isEmpty else { return "none" }
        return plan.steps.map(\.rawValue).joined(separator: ",")
    }

    var decisionName: String {
        guard let decision else { return "target_missing" }
        switch decision.action {
        case .reclaim: return "reclaim"
        case .skipGrowthBelowThreshold: return "skip"
        case .lowerLast: return "lower_last"
        case .nothing: return "none"
        }
    }

    var reason: String {
        if let decision { return decision.reason }
        let short = node.available < globalThreshold
        return "\(targetProblem ?? "target unusable"); memory is \(short ? "short" : "not short") (available \(node.available) \(short ? "<" : ">=") global threshold \(globalThreshold)); a check would exit \(ExitStatus.targetMissing.rawValue) without reclaiming"
    }

    var stateName: String {
        switch loaded {
        case .missing: "missing"
        case .valid: "valid"
        case .unusable: "unusable"
        }
    }

    func text() -> String {
        var rows: [(String, String, String)] = []
        func row(_ name: String, _ value: Bytes?, _ note: String = "") {
            guard let value else { rows.append((name, "-", note)); return }
            rows.append((name, "\(value)", "(\(value.humanReadable))\(note.isEmpty ? "" : "  " + note)"))
        }
        var out = "mon_memcg status: cgroup \(host.hierarchy.rawValue), \(host.cgroupRoot) (read-only: nothing was changed)\n\n"
        out += "Node, as kubelet sees it\n"
        row("MemTotal", node.memTotal, "\(config.procRoot)/meminfo")
        if host.hierarchy == .v2 {
            row("root anon + file", node.rootUsage, "\(host.cgroupRoot)/\(KernelFile.stat) (the root has no \(KernelFile.memoryCurrent))")
            row("root inactive_file", node.rootInactiveFile, "\(host.cgroupRoot)/\(KernelFile.stat)")
        } else {
            row("root usage_in_bytes", node.rootUsage, "\(host.cgroupRoot)/\(KernelFile.usageInBytes)")
            row("root total_inactive_file", node.rootInactiveFile, "\(host.cgroupRoot)/\(KernelFile.stat)")
        }
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
            row("current", current, host.hierarchy == .v2 ? KernelFile.memoryCurrent : "total_rss + total_cache")
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
        if let request = reclaimRequestV2 {
            out += "  a check would write \(request) to \(targetPath)/\(KernelFile.reclaim) (\(request.humanReadable))\n"
        }
        do {
            rows = []
            out += "\nDying cgroups (dying_reclaim \(config.dyingReclaim.rawValue))\n"
            let v2 = host.hierarchy == .v2
            let scope = v2 ? "below the target: cgroup.stat nr_dying_subsys_memory or nr_dying_descendants"
                : "whole memory hierarchy: /proc/cgroups num_cgroups - live directories"
            rows.append(("dying cgroups", dyingCount.map { String($0) } ?? "-", dyingProblem.map { "cannot measure: \($0)" } ?? scope))
            row("dying bytes", dying?.bytes, v2 ? "under the target: memory.current - live children's memory.current"
                : "under the target: total - own - live children's total")
            rows.append(("reaper", reaperPresent ? "present" : "absent", Escalation(config: config).path(for: .reaper)))
            rows.append(("last drop_caches", loaded.state.lastDropCaches.map(String.init) ?? "never",
                         "epoch seconds; drop_caches_interval \(config.dropCachesIntervalSeconds) s"))
            out += table(rows)
            if let plan = escalationPlan {
                out += "  escalation if a reclaim left memory short: \(escalationName)"
                out += plan.steps.isEmpty ? " (\(plan.stop.reason))\n" : " (then: \(plan.stop.reason))\n"
            }
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

    /// One JSON object, fields in a fixed order; sizes are integers.
    func json() -> String {
        var j = JSONObject()
        j.add("hierarchy", host.hierarchy.rawValue)
        j.add("cgroup_root", host.cgroupRoot)
        j.add("mem_total_bytes", node.memTotal)
        j.add("mem_available_bytes", memAvailable)
        j.add("root_usage_bytes", node.rootUsage)
        j.add("root_total_inactive_file_bytes", node.rootInactiveFile)
        j.add("working_set_bytes", node.workingSet)
        j.add("available_bytes", node.available)
        j.add("watermark_bytes", node.watermark)
        j.add("available_threshold_bytes", config.availableThreshold)
        j.add("global_threshold_bytes", globalThreshold)
        j.add("memory_short", node.available < globalThreshold)
        j.add("growth_threshold_bytes", config.growthThreshold)
        j.add("target", config.target)
        j.add("target_path", targetPath)
        j.add("target_present", targetProblem == nil)
        j.add("target_problem", targetProblem)
        j.add("current_bytes", current)
        j.add("state_file", config.stateFile)
        j.add("state", stateName)
        j.add("last_bytes", loaded.state.last)
        j.add("change_bytes", decision?.change)
        j.add("decision", decisionName)
        j.add("reason", reason)
        if host.hierarchy == .v2 { j.add("reclaim_request_bytes", reclaimRequestV2) }
        j.add("dying_cgroups", dyingCount)
        j.add("dying_bytes", dying?.bytes)
        j.add("dying_scope", dying?.scope.rawValue ?? (dyingCountOnly != nil ? DyingCgroups.Scope.hierarchy.rawValue : nil))
        j.add("dying_problem", dyingProblem)
        j.add("dying_reclaim", config.dyingReclaim.rawValue)
        j.add("reaper_present", reaperPresent)
        j.add("last_drop_caches", loaded.state.lastDropCaches)
        j.add("escalation", escalationName)
        j.add("escalation_reason", escalationPlan?.stop.reason)
        return j.rendered() + "\n"
    }
}

/// A flat JSON object writer: enough for status, no Foundation needed.
struct JSONObject {
    private var fields: [String] = []

    mutating func add(_ key: String, _ value: String?) {
        fields.append("\(Self.quote(key)):\(value.map(Self.quote) ?? "null")")
    }
    mutating func add(_ key: String, _ value: Bytes?) {
        fields.append("\(Self.quote(key)):\(value.map { String($0.value) } ?? "null")")
    }
    mutating func add(_ key: String, _ value: Int64?) {
        fields.append("\(Self.quote(key)):\(value.map { String($0) } ?? "null")")
    }
    mutating func add(_ key: String, _ value: Bool) {
        fields.append("\(Self.quote(key)):\(value)")
    }

    func rendered() -> String { "{" + fields.joined(separator: ",") + "}" }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
