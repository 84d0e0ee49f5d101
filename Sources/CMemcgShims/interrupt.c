// Every interruption of a blocking write: see memcg_interrupt.h. Only
// async-signal-safe calls (timer_settime, errno save/restore, stores to
// sig_atomic_t) in the handlers.
#include "memcg_interrupt.h"
#include "memcg_shims.h"
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

struct memcg_guard {
    timer_t timer;
    sigset_t saved_mask;
    // Set by the SIGALRM handler when this guard's timer fired.
    volatile sig_atomic_t deadline_fired;
    // The usage stop, when memcg_guard_watch_usage started it.
    int watching;
    pthread_t thread;
    int event_fd;
    int usage_fd;
    int cancel_fd;
    long long level;
    int tid;
    int poll_ms;
    volatile sig_atomic_t reached;
};

static volatile sig_atomic_t stop_signo = 0;
// The thread that caught the stop signals: the one the stop interrupts.
static volatile sig_atomic_t stop_tid = 0;
static volatile sig_atomic_t stop_timer_ready = 0;
static timer_t stop_timer;

// A guard's timer carries the guard; the stop's timer and the usage
// thread's tgkill carry nothing. The guard outlives every signal of its
// timer: disarm takes a pending one before freeing it.
static void on_alarm(int signo, siginfo_t *info, void *context) {
    (void)signo;
    (void)context;
    if (info != NULL && info->si_code == SI_TIMER && info->si_value.sival_ptr != NULL) {
        ((memcg_guard *)info->si_value.sival_ptr)->deadline_fired = 1;
    }
}

static void on_stop(int signo) {
    int saved = errno;
    if (stop_signo == 0) stop_signo = signo;
    if (stop_timer_ready) {
        struct itimerspec spec;
        memset(&spec, 0, sizeof spec);
        spec.it_value.tv_nsec = 1000000L;        // 1 ms: the handler returns first
        spec.it_interval.tv_nsec = 50000000L;    // then every 50 ms until quiet
        timer_settime(stop_timer, 0, &spec, NULL);
    }
    errno = saved;
}

// The one installation of the SIGALRM handler, whoever arms first.
static pthread_once_t alarm_once = PTHREAD_ONCE_INIT;
static int alarm_error = 0;

static void install_alarm(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_SIGINFO;  // no SA_RESTART: blocked calls return EINTR
    action.sa_sigaction = on_alarm;
    if (sigaction(SIGALRM, &action, NULL) != 0) alarm_error = errno;
}

static int alarm_installed(void) {
    pthread_once(&alarm_once, install_alarm);
    return alarm_error;
}

// A POSIX timer sending SIGALRM with `value` to the calling thread.
static int thread_timer(void *value, timer_t *timer) {
    struct sigevent event;
    memset(&event, 0, sizeof event);
    event.sigev_notify = SIGEV_THREAD_ID;
    event.sigev_signo = SIGALRM;
    event.sigev_value.sival_ptr = value;
    event._sigev_un._tid = memcg_gettid();
    return timer_create(CLOCK_MONOTONIC, &event, timer) == 0 ? 0 : errno;
}

memcg_guard *memcg_guard_arm(long long deadline_ms, int *error) {
    int e = alarm_installed();
    if (e != 0) { *error = e; return NULL; }
    memcg_guard *g = calloc(1, sizeof *g);
    if (g == NULL) { *error = ENOMEM; return NULL; }
    g->event_fd = g->usage_fd = g->cancel_fd = -1;

    // Dispatch's worker threads block SIGALRM; a thread-directed signal to
    // such a thread would stay pending and the call would never end.
    sigset_t alarm;
    sigemptyset(&alarm);
    sigaddset(&alarm, SIGALRM);
    pthread_sigmask(SIG_UNBLOCK, &alarm, &g->saved_mask);

    e = thread_timer(g, &g->timer);
    if (e != 0) {
        pthread_sigmask(SIG_SETMASK, &g->saved_mask, NULL);
        free(g);
        *error = e;
        return NULL;
    }
    long long first = deadline_ms > 1 ? deadline_ms : 1;
    struct itimerspec spec;
    memset(&spec, 0, sizeof spec);
    spec.it_value.tv_sec = (time_t)(first / 1000);
    spec.it_value.tv_nsec = (long)(first % 1000) * 1000000L;
    spec.it_interval.tv_nsec = 200000000L;  // again every 200 ms until disarmed
    timer_settime(g->timer, 0, &spec, NULL);
    return g;
}

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

static void *watch_usage(void *arg) {
    memcg_guard *g = arg;
    pid_t pid = getpid();
    for (;;) {
        if (!g->reached) {
            long long usage = read_usage(g->usage_fd);
            if (usage >= 0 && usage <= g->level) g->reached = 1;
        }
        if (g->reached) syscall(SYS_tgkill, pid, g->tid, SIGALRM);
        struct pollfd fds[2] = {{.fd = g->cancel_fd, .events = POLLIN}, {.fd = g->event_fd, .events = POLLIN}};
        int n = poll(fds, g->event_fd >= 0 ? 2 : 1, g->reached ? 20 : g->poll_ms);
        if (n > 0 && (fds[0].revents & POLLIN)) break;
        if (n > 0 && g->event_fd >= 0 && (fds[1].revents & POLLIN)) {
            uint64_t count;
            (void)!read(g->event_fd, &count, sizeof count);
        }
    }
    return NULL;
}

int memcg_guard_watch_usage(memcg_guard *g, int event_fd, int usage_fd, long long level, int poll_ms) {
    g->event_fd = event_fd;
    g->usage_fd = usage_fd;
    g->level = level;
    g->tid = memcg_gettid();
    g->poll_ms = poll_ms > 0 ? poll_ms : 5;
    g->cancel_fd = eventfd(0, EFD_CLOEXEC);
    if (g->cancel_fd < 0) return errno;

    // The thread takes no signal of its own: SIGTERM and friends go to the
    // threads that handle them.
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    int e = pthread_create(&g->thread, NULL, watch_usage, g);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (e != 0) {
        close(g->cancel_fd);
        g->cancel_fd = -1;
        return e;
    }
    g->watching = 1;
    return 0;
}

int memcg_guard_disarm(memcg_guard *g) {
    if (g == NULL) return MEMCG_CAUSE_NONE;
    if (g->watching) {
        uint64_t one = 1;
        while (write(g->cancel_fd, &one, sizeof one) < 0 && errno == EINTR) {}
        pthread_join(g->thread, NULL);
        close(g->cancel_fd);
    }
    timer_delete(g->timer);

    // A SIGALRM still queued for this thread (the timer's last, the usage
    // thread's) would interrupt whatever the thread does next: take it here,
    // where it does nothing, and only then free what its value points to.
    sigset_t alarm;
    sigemptyset(&alarm);
    sigaddset(&alarm, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &alarm, NULL);
    struct timespec now = {0, 0};
    while (sigtimedwait(&alarm, NULL, &now) == SIGALRM || errno == EINTR) {}
    pthread_sigmask(SIG_SETMASK, &g->saved_mask, NULL);

    int cause = g->reached ? MEMCG_CAUSE_USAGE
              : memcg_stop_signal() != 0 ? MEMCG_CAUSE_STOP
              : g->deadline_fired ? MEMCG_CAUSE_DEADLINE
              : MEMCG_CAUSE_NONE;
    free(g);
    return cause;
}

int memcg_stop_catch(void) {
    int e = alarm_installed();
    if (e != 0) return e;
    if (!stop_timer_ready) {
        e = thread_timer(NULL, &stop_timer);
        if (e != 0) return e;
        stop_timer_ready = 1;
    }
    stop_tid = memcg_gettid();
    struct sigaction action;
    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    sigaddset(&action.sa_mask, SIGTERM);
    sigaddset(&action.sa_mask, SIGINT);
    action.sa_flags = 0;  // no SA_RESTART: blocked calls return EINTR
    action.sa_handler = on_stop;
    if (sigaction(SIGTERM, &action, NULL) != 0) return errno;
    if (sigaction(SIGINT, &action, NULL) != 0) return errno;
    return 0;
}

int memcg_stop_signal(void) { return memcg_gettid() == stop_tid ? stop_signo : 0; }

void memcg_stop_quiet(void) {
    if (!stop_timer_ready) return;
    struct itimerspec spec;
    memset(&spec, 0, sizeof spec);
    timer_settime(stop_timer, 0, &spec, NULL);
}

void memcg_stop_release(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_handler = SIG_DFL;
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    if (stop_timer_ready) {
        stop_timer_ready = 0;
        timer_delete(stop_timer);
    }
    stop_signo = 0;
    stop_tid = 0;
}
