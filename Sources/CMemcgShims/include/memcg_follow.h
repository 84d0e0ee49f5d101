#ifndef MEMCG_FOLLOW_H
#define MEMCG_FOLLOW_H

// The v1 limit lever's follow (MemoryLimitFollow in Swift; the rules are
// MemoryLimitLever's). While a reclaim of the target runs, a thread reads
// memory.usage_in_bytes and memory.stat every `poll_ms`:
// - what the target cannot give back without swap, `unreclaimable`, is
//   total_rss + max(total_shmem, total_mapped_file) + the usage beyond
//   total_rss + total_cache (kernel memory);
// - once unreclaimable + margin / 2 reaches the limit, it writes
//   `original` back (lets go, before the kernel would OOM-kill in the
//   target) and stops;
// - else it lowers memory.limit_in_bytes to usage + slack (rounded up to
//   `align`, never below unreclaimable + margin) once that is `step` or
//   more under the limit it set last.
// It only ever lowers, and only to values at or above the usage it just
// read, so each write returns at once. The descriptors are the caller's,
// open until memcg_follow_stop returns.
typedef struct memcg_follow memcg_follow;

typedef struct {
    int usage_fd, stat_fd, limit_fd;
    // The limit now, and what a let-go writes back.
    long long limit, original;
    long long margin, slack, step, align;
    int poll_ms;
} memcg_follow_params;

// Starts the thread. Returns NULL with *error set to an errno value.
memcg_follow *memcg_follow_start(memcg_follow_params params, int *error);

// What the thread did, once stopped.
typedef struct {
    // The limit as it last wrote it (the starting limit when it wrote none;
    // `original` after a let-go).
    long long limit;
    int writes;
    // 1 when it let go; `unreclaimable` is what it read then, and
    // `let_go_limit` the lever's limit it replaced.
    int let_go;
    long long unreclaimable, let_go_limit;
    // The errno of the write that ended the following (0: none failed).
    int write_error;
} memcg_follow_result;

// Stops and joins the thread, frees it, and says what it did.
memcg_follow_result memcg_follow_stop(memcg_follow *follow);

#endif
