/// The journal priority of every event line, in one table beside LogLines.
/// The log file never carries it (the original's lines stay as they were);
/// only the copy of a line sent to the journal does (docs/log-format.md).
///
/// The table matches a line by how it begins: a line that no row matches is
/// `info`, and errors (`LogLines.error`, EventLog.error) are `err`. The rows
/// are tested against the LogLines functions themselves, so a reworded line
/// fails a test instead of silently changing priority.
public enum LogPriorities {
    public static let table: [(begins: String, priority: JournalPriority, why: String)] = [
        // Failures: something the operator must fix.
        ("error: ", .err, "a failed read or write, a refused configuration"),
        ("watch cannot start", .err, "the daemon exits"),
        // Warnings: the run did less than asked, or protects less.
        ("another mon_memcg run holds", .warning, "a check skipped its reclaim because of the run lock"),
        ("state file unusable", .warning, "the last usage was lost; growth is measured from zero"),
        ("reload on SIGHUP refused", .warning, "the old configuration stays in force"),
        ("watch runs with its memory unlocked", .warning, "memory pressure can page the daemon out"),
        ("reclaim interrupted", .warning, "a reclaim ran out of reclaim_timeout or was stopped"),
        ("dying reclaim stopped", .notice, "the escalation ended; why is in the line"),
        ("no threshold events", .warning, "the watch falls back to polling"),
        ("no memory pressure events", .warning, "the watch falls back to polling"),
        ("threshold events off", .warning, "the watch polls until the next check"),
        ("cannot tell systemd", .warning, "sd_notify failed; the watchdog may restart the daemon"),
        ("cannot write metrics_file", .warning, "the metrics file is stale"),
        ("memory.high left at", .warning, "someone else changed the target's memory.high during a held episode; not restored"),
        ("memory.limit_in_bytes left at", .warning, "someone else changed the target's memory.limit_in_bytes during a held episode; not restored"),
        // Notices: memory was reclaimed, or the daemon changed state.
        ("avalible_mem ", .notice, "available memory fell below the threshold (the original's line)"),
        ("reclaim took", .notice, "a reclaim ended and freed memory"),
        ("reclaim asked", .notice, "a reclaim by amount ended and freed memory"),
        ("dying reclaim ", .notice, "an escalation step wrote drop_caches or the reaper"),
        ("watch started", .notice, "the daemon started"),
        ("watch stopped", .notice, "the daemon stopped"),
        ("reloaded the configuration", .notice, "SIGHUP took effect"),
        ("memory.high set to", .notice, "a held episode set the target's memory.high (memory_high = on)"),
        ("memory.high restored to", .notice, "the target's memory.high is what it was before the held episode again"),
        ("memory.limit_in_bytes set to", .notice, "a held episode clamped the target's memory.limit_in_bytes (memory_limit = on)"),
        ("memory.limit_in_bytes let go on", .notice, "the target's anon neared the v1 limit (during a reclaim, or between wake-ups): the original written back"),
        ("memory.limit_in_bytes restored to", .notice, "the target's memory.limit_in_bytes is what it was before the held episode again"),
    ]

    /// The priority of one event line: the first row it begins with, else info.
    public static func of(_ line: String) -> JournalPriority {
        for row in table where line.hasPrefix(row.begins) { return row.priority }
        return .info
    }
}
