import MemcgCore
import MemcgKernel

extension StatusReport {
    /// One JSON object, fields in a fixed order; sizes are integers.
    public func json() -> String {
        var j = JSONObject()
        j.add("hierarchy", controller.hierarchy.rawValue)
        j.add("cgroup_root", controller.cgroupRoot)
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
        j.add("reclaim_amount", config.reclaimAmount.rawValue)
        j.add("reclaim_margin_bytes", config.reclaimMargin)
        j.add("reclaim_request_bytes", reclaimRequest)
        j.add("dying_cgroups", dyingCount)
        j.add("dying_bytes", dying?.bytes)
        j.add("dying_scope", dying?.scope.rawValue ?? (dyingCountOnly != nil ? DyingCgroups.Scope.hierarchy.rawValue : nil))
        j.add("dying_problem", dyingBytesProblem)
        j.add("dying_reclaim", config.dyingReclaim.rawValue)
        j.add("reaper_present", reaperPresent)
        j.add("last_drop_caches", loaded.state.lastDropCaches?.epochSeconds)
        j.add("escalation", escalationName)
        j.add("escalation_reason", escalationReason)
        return j.rendered() + "\n"
    }
}
