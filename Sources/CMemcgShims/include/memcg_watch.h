#ifndef MEMCG_WATCH_H
#define MEMCG_WATCH_H

// What `mon_memcg watch` needs beyond Glibc's module: signalfd, eventfd and
// poll. Its stop signals are caught by the interruption module
// (memcg_interrupt.h).
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>

#endif
