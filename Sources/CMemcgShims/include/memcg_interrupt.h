#ifndef MEMCG_INTERRUPT_H
#define MEMCG_INTERRUPT_H

// Everything that interrupts a blocking write, in one place: the deadline of
// a write, watch's stop signals (SIGTERM, SIGINT) and the usage stop of a
// force_empty by amount. MemcgKernel's `Interruption` is the only caller.
//
// All three end the write the same way: a signal with a handler installed
// without SA_RESTART reaches the writing thread, and the kernel's reclaim
// loops (force_empty, memory.reclaim) check signal_pending() and return
// EINTR. Each source repeats its signal until it is disarmed, so a signal
// that lands just before the write starts (and is consumed by the handler)
// cannot leave the write running. Timers are POSIX timers aimed at one
// thread (SIGEV_THREAD_ID): a process signal goes to any thread that does not
// block it, which in a process with more than one thread is often not the
// one stuck in write(2).
//
// One SIGALRM handler, installed once (at the first arm or catch). Handlers
// make only async-signal-safe calls.

// Why a guarded write returned EINTR, most decisive first: the usage level
// was reached (the stop asked for), a stop signal came, the deadline passed.
enum {
    MEMCG_CAUSE_NONE = 0,
    MEMCG_CAUSE_DEADLINE = 1,
    MEMCG_CAUSE_STOP = 2,
    MEMCG_CAUSE_USAGE = 3,
};

typedef struct memcg_guard memcg_guard;

// Arms the deadline of one write on the calling thread: unblocks SIGALRM
// there and sends it after `deadline_ms` (at least 1), then every 200 ms.
// Returns NULL with *error set to an errno value.
memcg_guard *memcg_guard_arm(long long deadline_ms, int *error);

// Adds the usage stop to an armed guard: a thread (with every signal
// blocked) waits on `event_fd` (an eventfd registered through
// cgroup.event_control as a usage threshold at `level`; the kernel signals it
// on a crossing in either direction), or -1 for none, and reads `usage_fd`
// (memory.usage_in_bytes, kept open by the caller until disarm) on every
// wake-up and every `poll_ms` at the latest, so a missed or early event
// cannot matter. Once usage <= level it sends SIGALRM to the guarded thread
// at once and every 20 ms until disarmed. Returns 0, or an errno value (the
// guard is then still armed, without the usage stop).
int memcg_guard_watch_usage(memcg_guard *guard, int event_fd, int usage_fd, long long level, int poll_ms);

// Disarms all the guard armed (joins the usage thread, deletes the timer,
// takes a SIGALRM still pending for this thread without running the handler,
// restores the signal mask) and frees it. Returns what fired: a
// MEMCG_CAUSE_* value, the most decisive one when several did.
int memcg_guard_disarm(memcg_guard *guard);

// Catches SIGTERM and SIGINT (no SA_RESTART, each blocking the other in its
// handler): the handler records the first stop signal and starts a POSIX
// timer sending SIGALRM to the calling thread after 1 ms and then every
// 50 ms, so a write in progress - or one that starts after the signal, which
// a lone signal would miss - returns EINTR, until memcg_stop_quiet(). Call
// once, from the thread that writes. Returns 0, or an errno value.
int memcg_stop_catch(void);

// The first stop signal the handler received, or 0; always 0 on a thread
// other than the one that caught them (its writes are not interrupted by the
// stop's timer).
int memcg_stop_signal(void);

// Stops the repeating SIGALRM (once the interrupted check has unwound).
void memcg_stop_quiet(void);

// Undoes memcg_stop_catch: the default SIGTERM/SIGINT actions again, the
// timer deleted, the stop signal forgotten.
void memcg_stop_release(void);

#endif
