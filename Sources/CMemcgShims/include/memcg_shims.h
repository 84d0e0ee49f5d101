#ifndef MEMCG_SHIMS_H
#define MEMCG_SHIMS_H

// The few system calls Swift cannot reach directly: syscall(2) and prctl(2)
// are variadic, and glibc's gettid() wrapper is hidden without _GNU_SOURCE.
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline int memcg_gettid(void) { return (int)syscall(SYS_gettid); }

// PR_SET_PDEATHSIG: `sig` to this process when its parent thread ends.
static inline int memcg_set_parent_death_signal(int sig) { return prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0, 0, 0); }

#endif
