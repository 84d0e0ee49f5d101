#ifndef MEMCG_FOLLOW_H
#define MEMCG_FOLLOW_H

// The v1 limit lever's follow (MemoryLimitFollow in Swift,
// MemoryLimitLever.follow for the rule): while a reclaim of the target
// runs, a thread reads memory.usage_in_bytes every `poll_ms` and lowers
// memory.limit_in_bytes to usage + slack (rounded up to `align`, never below
// `floor`) once that is `step` or more under the limit it set last. It
// only ever lowers, and only to values at or above the usage it just read,
// so each write returns at once. Both descriptors are the caller's, open
// until memcg_follow_stop returns.
typedef struct memcg_follow memcg_follow;

// Starts the thread with the limit as it is now (`limit`). Returns NULL
// with *error set to an errno value.
memcg_follow *memcg_follow_start(int usage_fd, int limit_fd, long long limit, long long floor,
                                 long long slack, long long step, long long align, int poll_ms, int *error);

// What the thread did, once stopped.
typedef struct {
    // The limit as it last wrote it (the starting limit when it wrote none).
    long long limit;
    int writes;
    // The errno of the write that ended the following (0: none failed).
    int write_error;
} memcg_follow_result;

// Stops and joins the thread, frees it, and says what it did.
memcg_follow_result memcg_follow_stop(memcg_follow *follow);

#endif
