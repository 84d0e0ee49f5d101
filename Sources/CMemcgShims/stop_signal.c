// The stop handler of `mon_memcg watch`: see memcg_watch.h. Only
// async-signal-safe calls (timer_settime, errno save/restore) in handlers.
#include "memcg_watch.h"
#include "memcg_shims.h"
#include <errno.h>
#include <string.h>

static volatile sig_atomic_t stop_signo = 0;
static volatile sig_atomic_t stop_timer_ready = 0;
static timer_t stop_timer;

static void on_alarm(int signo) { (void)signo; }

static void on_stop(int signo) {
    int saved = errno;
    if (stop_signo == 0) stop_signo = signo;
    if (stop_timer_ready) {
        struct itimerspec spec;
        memset(&spec, 0, sizeof spec);
        spec.it_value.tv_nsec = 1000000L;        // 1 ms: the handler returns first
        spec.it_interval.tv_nsec = 50000000L;    // then every 50 ms until disarmed
        timer_settime(stop_timer, 0, &spec, NULL);
    }
    errno = saved;
}

int memcg_stop_handler_install(void) {
    struct sigevent event;
    memset(&event, 0, sizeof event);
    event.sigev_notify = SIGEV_THREAD_ID;
    event.sigev_signo = SIGALRM;
    event._sigev_un._tid = memcg_gettid();
    if (timer_create(CLOCK_MONOTONIC, &event, &stop_timer) != 0) return errno;
    stop_timer_ready = 1;

    struct sigaction action;
    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: blocked calls return EINTR
    action.sa_handler = on_alarm;
    if (sigaction(SIGALRM, &action, NULL) != 0) return errno;
    action.sa_handler = on_stop;
    sigaddset(&action.sa_mask, SIGTERM);
    sigaddset(&action.sa_mask, SIGINT);
    if (sigaction(SIGTERM, &action, NULL) != 0) return errno;
    if (sigaction(SIGINT, &action, NULL) != 0) return errno;
    return 0;
}

int memcg_stop_signal(void) { return stop_signo; }

void memcg_stop_timer_disarm(void) {
    if (!stop_timer_ready) return;
    struct itimerspec spec;
    memset(&spec, 0, sizeof spec);
    timer_settime(stop_timer, 0, &spec, NULL);
}
