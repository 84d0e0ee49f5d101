#ifndef MEMCG_WATCH_H
#define MEMCG_WATCH_H

// What `mon_memcg watch` needs beyond Glibc's module: signalfd, eventfd,
// poll, and a stop handler that must be async-signal-safe (so it is C).
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>

// Installs handlers for SIGTERM and SIGINT (no SA_RESTART) that record the
// first stop signal and start a POSIX timer sending SIGALRM to the calling
// thread every 50 ms, so a blocking write in progress - or one that starts
// after the signal, which a lone signal would miss - returns EINTR. Also
// installs an empty SIGALRM handler (no SA_RESTART). Call once, from the
// thread that runs the checks. Returns 0, or an errno value.
int memcg_stop_handler_install(void);

// The first stop signal received by the handler, or 0.
int memcg_stop_signal(void);

// Stops the repeating SIGALRM (before exit, or in tests).
void memcg_stop_timer_disarm(void);

#endif
