/* iotime: how long a process spends in fsync, pwrite and pread, for splitting a
 * benchmark's time into the disk's share and the CPU's. Preloaded, it wraps the three
 * libc calls SQLite makes for its database and WAL, adds up their wall time, and prints
 * the totals when the process exits:
 *
 *   gcc -O2 -shared -fPIC -o /tmp/iotime.so benches/tools/iotime.c -ldl
 *   LD_PRELOAD=/tmp/iotime.so RUSTOK_SALES=3000 target/release/deps/checkout_commit-…
 *
 * Run with two counts (say 500 and 3500) and take the difference, so that set-up is
 * not counted. A measuring aid only: nothing in the build or the tests uses it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double spent[3];
static long calls[3];

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

#define NEXT(name) static __typeof__(name) *next; if (!next) next = dlsym(RTLD_NEXT, #name)
#define TIMED(i, call) double t0 = now_us(); __typeof__(call) r = call; \
    spent[i] += now_us() - t0; calls[i]++; return r

int fsync(int fd) {
    NEXT(fsync);
    TIMED(0, next(fd));
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off) {
    NEXT(pwrite64);
    TIMED(1, next(fd, buf, n, off));
}

ssize_t pread64(int fd, void *buf, size_t n, off_t off) {
    NEXT(pread64);
    TIMED(2, next(fd, buf, n, off));
}

__attribute__((destructor)) static void report(void) {
    fprintf(stderr, "IOTIME fsync %ld calls %.0f us | pwrite %ld calls %.0f us | pread %ld calls %.0f us\n",
            calls[0], spent[0], calls[1], spent[1], calls[2], spent[2]);
}
