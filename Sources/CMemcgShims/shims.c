// The C threads' shared reads (memcg_shims.h).
#include "memcg_shims.h"
#include <stdlib.h>

long long memcg_read_counter(int fd) {
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return -1;
    buf[n] = 0;
    char *end = NULL;
    long long v = strtoll(buf, &end, 10);
    return end == buf ? -1 : v;
}
