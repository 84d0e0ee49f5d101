#ifndef MEMCG_USAGE_STOP_H
#define MEMCG_USAGE_STOP_H

// Stops a blocking write once a cgroup's memory.usage_in_bytes has fallen to
// a level: the stop of a v1 force_empty by amount (reclaim_amount =
// deficit). A thread, in C because it only waits and signals.
//
// The thread waits on `event_fd` (an eventfd registered through
// cgroup.event_control as a usage threshold at `level`; the kernel signals
// it on a crossing in either direction), or -1 for none, and reads
// `usage_fd` (memory.usage_in_bytes, kept open) on every wake-up and every
// `poll_ms` at the latest, so a missed or early event cannot matter. Once
// usage <= level it sends SIGALRM to thread `tid` at once and every 20 ms
// until finished: the kernel's force_empty loop checks signal_pending() and
// returns EINTR, and a signal that lands just before the write starts (and
// is consumed by the handler) is repeated rather than lost. Installs an
// empty SIGALRM handler without SA_RESTART, as the deadline does.

typedef struct memcg_usage_stop memcg_usage_stop;

// Starts the thread. Returns NULL with *error set to an errno value.
memcg_usage_stop *memcg_usage_stop_start(int event_fd, int usage_fd, long long level, int tid, int poll_ms, int *error);

// Stops and joins the thread, frees it. Returns 1 when the level was
// reached (and SIGALRM sent), else 0.
int memcg_usage_stop_finish(memcg_usage_stop *stop);

#endif
