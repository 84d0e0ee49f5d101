#ifndef MEMCG_SHIMS_H
#define MEMCG_SHIMS_H

// The few system calls Swift cannot reach directly: syscall(2) is variadic
// and glibc's gettid() wrapper is hidden without _GNU_SOURCE.
#include <sys/syscall.h>
#include <unistd.h>

static inline int memcg_gettid(void) { return (int)syscall(SYS_gettid); }

// A counter file (memory.usage_in_bytes) read from offset 0 of an open
// descriptor, or -1 when it cannot be read: for the C threads that poll it.
long long memcg_read_counter(int fd);

#endif
