import MemcgKernel

/// The two environment switches of `watch`, for debugging and benchmarks.
struct Trace {
    let console: any Console
    /// `MON_MEMCG_TRACE=1`: one stderr line per wake-up and arming, with
    /// CLOCK_MONOTONIC milliseconds (the reaction benchmark reads them).
    let enabled = CurrentProcess.environment("MON_MEMCG_TRACE") == "1"
    /// `MON_MEMCG_ADAPTIVE_POLL=0`: poll every poll_interval even near the
    /// threshold, so tests and benchmarks can measure the kernel event alone.
    let adaptivePoll = CurrentProcess.environment("MON_MEMCG_ADAPTIVE_POLL").map { $0 != "0" } ?? true

    func callAsFunction(_ message: @autoclosure () -> String) {
        guard enabled else { return }
        console.err("trace \(MonotonicClock.nowMilliseconds()) \(message())\n")
    }
}
