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
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct memcg_follow {
    pthread_t thread;
    memcg_follow_params p;
    int cancel_fd;
    memcg_follow_result result;
};

// The value of `name` in memory.stat's text, or -1 when it has none.
static long long stat_field(const char *text, const char *name) {
    size_t len = strlen(name);
    for (const char *line = text; *line;) {
        if (strncmp(line, name, len) == 0 && line[len] == ' ') return strtoll(line + len + 1, NULL, 10);
        const char *next = strchr(line, '\n');
        if (next == NULL) break;
        line = next + 1;
    }
    return -1;
}

// What the target cannot give back without swap (Lever.unreclaimable's
// v1 fields), or -1 when memory.stat cannot be read or lacks them.
static long long unreclaimable(int stat_fd, long long usage) {
    char text[8192];
    ssize_t n = pread(stat_fd, text, sizeof text - 1, 0);
    if (n <= 0) return -1;
    text[n] = 0;
    long long rss = stat_field(text, "total_rss"), cache = stat_field(text, "total_cache");
    if (rss < 0 || cache < 0) return -1;
    long long shmem = stat_field(text, "total_shmem"), mapped = stat_field(text, "total_mapped_file");
    long long kept = shmem > mapped ? shmem : mapped;
    long long kernel = usage - rss - cache;
    return rss + (kept > 0 ? kept : 0) + (kernel > 0 ? kernel : 0);
}

static int write_value(int fd, long long value) {
    char text[32];
    int len = snprintf(text, sizeof text, "%lld\n", value);
    return pwrite(fd, text, (size_t)len, 0) < 0 ? errno : 0;
}

static void *follow(void *arg) {
    memcg_follow *f = arg;
    const memcg_follow_params *p = &f->p;
    for (;;) {
        struct pollfd cancel = {.fd = f->cancel_fd, .events = POLLIN};
        int n = poll(&cancel, 1, p->poll_ms);
        if (n > 0 && (cancel.revents & POLLIN)) break;
        long long usage = memcg_read_counter(p->usage_fd);
        if (usage < 0) continue;
        long long kept = unreclaimable(p->stat_fd, usage);
        if (kept < 0) continue;
        if (kept + p->margin / 2 >= f->result.limit) {
            int e = write_value(p->limit_fd, p->original);
            if (e == EINTR) continue;
            f->result.write_error = e;
            if (e == 0) {
                f->result.let_go = 1;
                f->result.unreclaimable = kept;
                f->result.let_go_limit = f->result.limit;
                f->result.limit = p->original;
                f->result.writes++;
            }
            break;
        }
        long long wanted = usage + p->slack;
        if (wanted < kept + p->margin) wanted = kept + p->margin;
        long long value = (wanted + p->align - 1) / p->align * p->align;
        if (value + p->step > f->result.limit) continue;
        int e = write_value(p->limit_fd, value);
        if (e != 0) {
            // A usage that grew past the value between the read and the
            // write makes the kernel reclaim first; it may refuse (EBUSY)
            // or be slow. The lever's value stands as last written.
            f->result.write_error = e;
            if (e == EINTR) continue;
            break;
        }
        f->result.limit = value;
        f->result.writes++;
    }
    return NULL;
}

memcg_follow *memcg_follow_start(memcg_follow_params params, int *error) {
    memcg_follow *f = calloc(1, sizeof *f);
    if (f == NULL) {
        *error = ENOMEM;
        return NULL;
    }
    if (params.poll_ms <= 0) params.poll_ms = 50;
    if (params.align <= 0) params.align = 4096;
    *f = (memcg_follow){.p = params, .result = {.limit = params.limit}};
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
