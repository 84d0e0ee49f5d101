// The v1 limit lever's follow thread: see memcg_follow.h.
#include "memcg_follow.h"
#include "memcg_shims.h"
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct memcg_follow {
    pthread_t thread;
    int usage_fd, limit_fd, cancel_fd, poll_ms;
    long long floor, slack, step, align;
    memcg_follow_result result;
};

static void *follow(void *arg) {
    memcg_follow *f = arg;
    for (;;) {
        struct pollfd cancel = {.fd = f->cancel_fd, .events = POLLIN};
        int n = poll(&cancel, 1, f->poll_ms);
        if (n > 0 && (cancel.revents & POLLIN)) break;
        long long usage = memcg_read_counter(f->usage_fd);
        if (usage < 0) continue;
        long long wanted = usage + f->slack;
        if (wanted < f->floor) wanted = f->floor;
        long long value = (wanted + f->align - 1) / f->align * f->align;
        if (value + f->step > f->result.limit) continue;
        char text[32];
        int len = snprintf(text, sizeof text, "%lld\n", value);
        if (pwrite(f->limit_fd, text, (size_t)len, 0) < 0) {
            // A usage that grew past the value between the read and the
            // write makes the kernel reclaim first; it may refuse (EBUSY)
            // or be slow. The lever's value stands as last written.
            f->result.write_error = errno;
            if (errno == EINTR) continue;
            break;
        }
        f->result.limit = value;
        f->result.writes++;
    }
    return NULL;
}

memcg_follow *memcg_follow_start(int usage_fd, int limit_fd, long long limit, long long floor,
                                 long long slack, long long step, long long align, int poll_ms, int *error) {
    memcg_follow *f = calloc(1, sizeof *f);
    if (f == NULL) {
        *error = ENOMEM;
        return NULL;
    }
    *f = (memcg_follow){.usage_fd = usage_fd, .limit_fd = limit_fd, .poll_ms = poll_ms > 0 ? poll_ms : 50,
                        .floor = floor, .slack = slack, .step = step, .align = align > 0 ? align : 4096,
                        .result = {.limit = limit}};
    f->cancel_fd = eventfd(0, EFD_CLOEXEC);
    if (f->cancel_fd < 0) {
        *error = errno;
        free(f);
        return NULL;
    }
    // Every signal blocked: the stop signals and the write's SIGALRM go to
    // the writing thread, never to this one.
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    int e = pthread_create(&f->thread, NULL, follow, f);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (e != 0) {
        close(f->cancel_fd);
        free(f);
        *error = e;
        return NULL;
    }
    return f;
}

memcg_follow_result memcg_follow_stop(memcg_follow *f) {
    uint64_t one = 1;
    while (write(f->cancel_fd, &one, sizeof one) < 0 && errno == EINTR) {}
    pthread_join(f->thread, NULL);
    close(f->cancel_fd);
    memcg_follow_result result = f->result;
    free(f);
    return result;
}
