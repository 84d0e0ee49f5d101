import MemcgCore

/// A failure that repeats at every wake-up is logged once, and once more
/// when it ends, with how often it recurred in between.
struct Repeats {
    private var current: String?
    private var count = 0

    mutating func report(_ message: String, to log: EventLog, asError: Bool = true) {
        if message == current {
            count += 1
            return
        }
        current = message
        count = 0
        if asError { log.error(message) } else { log.info(message) }
    }

    mutating func resolved(to log: EventLog, _ message: String) {
        guard current != nil else { return }
        log.info(LogLines.resolved(message, repeats: count))
        resolvedQuietly()
    }

    mutating func resolvedQuietly() {
        current = nil
        count = 0
    }
}
