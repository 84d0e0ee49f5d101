// The stop of a force_empty by amount: see memcg_usage_stop.h.
#include "memcg_usage_stop.h"
#include "memcg_shims.h"
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct memcg_usage_stop {
    pthread_t thread;
    int event_fd;
    int usage_fd;
    int cancel_fd;
    long long level;
    int tid;
    int poll_ms;
    volatile int reached;
};

static void on_alarm(int signo) { (void)signo; }

// memory.usage_in_bytes now, or -1 when it cannot be read.
static long long read_usage(int fd) {
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return -1;
    buf[n] = 0;
    char *end = NULL;
    long long v = strtoll(buf, &end, 10);
    return end == buf ? -1 : v;
}

static void *run(void *arg) {
    memcg_usage_stop *s = arg;
    pid_t pid = getpid();
    for (;;) {
        if (!s->reached) {
            long long usage = read_usage(s->usage_fd);
            if (usage >= 0 && usage <= s->level) s->reached = 1;
        }
        if (s->reached) syscall(SYS_tgkill, pid, s->tid, SIGALRM);
        struct pollfd fds[2] = {{.fd = s->cancel_fd, .events = POLLIN}, {.fd = s->event_fd, .events = POLLIN}};
        int n = poll(fds, s->event_fd >= 0 ? 2 : 1, s->reached ? 20 : s->poll_ms);
        if (n > 0 && (fds[0].revents & POLLIN)) break;
        if (n > 0 && s->event_fd >= 0 && (fds[1].revents & POLLIN)) {
            uint64_t count;
            (void)!read(s->event_fd, &count, sizeof count);
        }
    }
    return NULL;
}

memcg_usage_stop *memcg_usage_stop_start(int event_fd, int usage_fd, long long level, int tid, int poll_ms, int *error) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: the blocked write must return EINTR
    action.sa_handler = on_alarm;
    // Keep a handler already installed (watch's stop handler installs the same empty one).
    struct sigaction old;
    if (sigaction(SIGALRM, NULL, &old) != 0) { *error = errno; return NULL; }
    if (old.sa_handler == SIG_DFL || old.sa_handler == SIG_IGN) {
        if (sigaction(SIGALRM, &action, NULL) != 0) { *error = errno; return NULL; }
    }

    memcg_usage_stop *s = calloc(1, sizeof *s);
    if (!s) { *error = ENOMEM; return NULL; }
    s->event_fd = event_fd;
    s->usage_fd = usage_fd;
    s->level = level;
    s->tid = tid;
    s->poll_ms = poll_ms > 0 ? poll_ms : 5;
    s->cancel_fd = eventfd(0, EFD_CLOEXEC);
    if (s->cancel_fd < 0) { *error = errno; free(s); return NULL; }

    // The thread takes no signal of its own: SIGTERM and friends go to the
    // threads that handle them.
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    int e = pthread_create(&s->thread, NULL, run, s);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (e != 0) { close(s->cancel_fd); free(s); *error = e; return NULL; }
    return s;
}

int memcg_usage_stop_finish(memcg_usage_stop *s) {
    if (!s) return 0;
    uint64_t one = 1;
    while (write(s->cancel_fd, &one, sizeof one) < 0 && errno == EINTR) {}
    pthread_join(s->thread, NULL);
    int reached = s->reached;
    close(s->cancel_fd);
    free(s);
    return reached;
}
