#ifndef MEMCG_SHIMS_H
#define MEMCG_SHIMS_H

// The few system calls Swift cannot reach directly: syscall(2) is variadic
// and glibc's gettid() wrapper is hidden without _GNU_SOURCE.
#include <sys/syscall.h>
#include <unistd.h>

static inline int memcg_gettid(void) { return (int)syscall(SYS_gettid); }

#endif
