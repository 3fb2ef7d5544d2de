/* echoload: a load client for echo servers, written in C so that the client
 * is never the bottleneck.  Opens CONNS connections to HOST:PORT; on each,
 * sends a SIZE-byte message, reads until the whole echo is back, checks every
 * byte, records the round-trip latency, and repeats, for SECONDS seconds.
 * One message is in flight per connection.  Single-threaded, epoll.
 *
 *   echoload HOST PORT CONNS SIZE SECONDS
 *
 * Prints one line:  requests=N errors=E p50_us=X p99_us=Y seconds=S
 * Exits 1 if anything went wrong (a mismatched byte, a reset, a refused or
 * closed connection) -- a run with errors is a failed run, not a number.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct conn {
    int fd;
    size_t sent, received;
    double started;
    unsigned seq;
};

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void fill(unsigned char *buf, size_t size, unsigned seq) {
    for (size_t i = 0; i < size; i++) buf[i] = (unsigned char)(seq * 31 + i * 7);
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: echoload HOST PORT CONNS SIZE SECONDS\n");
        return 2;
    }
    const char *host = argv[1];
    int port = atoi(argv[2]), nconns = atoi(argv[3]);
    size_t size = (size_t)atol(argv[4]);
    double seconds = atof(argv[5]);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)nconns + 64) {
        rl.rlim_cur = rl.rlim_max < (rlim_t)nconns + 64 ? rl.rlim_max : (rlim_t)nconns + 64;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    struct conn *conns = calloc(nconns, sizeof *conns);
    unsigned char *out = malloc(size), *expect = malloc(size), *in = malloc(size > 65536 ? size : 65536);
    size_t lat_cap = 1 << 20, nlat = 0;
    double *lat = malloc(lat_cap * sizeof *lat);
    long requests = 0, errors = 0;
    int ep = epoll_create1(0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, host, &addr.sin_addr);

    for (int i = 0; i < nconns; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
            fprintf(stderr, "echoload: connect %d: %s\n", i, strerror(errno));
            printf("requests=0 errors=1 p50_us=0 p99_us=0 seconds=0\n");
            return 1;
        }
        fcntl(fd, F_SETFL, O_NONBLOCK);
        conns[i].fd = fd;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (unsigned)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    double start = now(), deadline = start + seconds;
    /* kick off: one message per connection */
    for (int i = 0; i < nconns; i++) {
        struct conn *c = &conns[i];
        c->seq = (unsigned)i;
        fill(out, size, c->seq);
        c->started = now();
        ssize_t n = send(c->fd, out, size, MSG_NOSIGNAL);
        c->sent = n > 0 ? (size_t)n : 0;
        if (c->sent < size) {
            struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = (unsigned)i};
            epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        }
    }
    struct epoll_event events[1024];
    int active = nconns;
    while (active > 0) {
        double t = now();
        int timeout = t >= deadline ? 0 : (int)((deadline - t) * 1000) + 1;
        int n = epoll_wait(ep, events, 1024, timeout > 1000 ? 1000 : timeout);
        if (n == 0 && now() >= deadline) break;
        for (int k = 0; k < n; k++) {
            struct conn *c = &conns[events[k].data.u32];
            if (c->fd < 0) continue;
            if ((events[k].events & EPOLLOUT) && c->sent < size) {
                fill(out, size, c->seq);
                ssize_t w = send(c->fd, out + c->sent, size - c->sent, MSG_NOSIGNAL);
                if (w > 0) c->sent += (size_t)w;
                else if (w < 0 && errno != EAGAIN) { errors++; close(c->fd); c->fd = -1; active--; continue; }
                if (c->sent == size) {
                    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = events[k].data.u32};
                    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                }
            }
            if (events[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                ssize_t r = recv(c->fd, in, size - c->received, 0);
                if (r <= 0) {
                    if (r < 0 && errno == EAGAIN) continue;
                    errors++; close(c->fd); c->fd = -1; active--; continue;
                }
                fill(expect, size, c->seq);
                if (memcmp(in, expect + c->received, (size_t)r) != 0) errors++;
                c->received += (size_t)r;
                if (c->received == size) {
                    double done = now();
                    requests++;
                    if (nlat == lat_cap) { lat_cap *= 2; lat = realloc(lat, lat_cap * sizeof *lat); }
                    lat[nlat++] = done - c->started;
                    if (done >= deadline) { close(c->fd); c->fd = -1; active--; continue; }
                    c->seq++;
                    c->received = 0;
                    fill(out, size, c->seq);
                    c->started = done;
                    ssize_t w = send(c->fd, out, size, MSG_NOSIGNAL);
                    c->sent = w > 0 ? (size_t)w : 0;
                    if (c->sent < size) {
                        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = events[k].data.u32};
                        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                    }
                }
            }
        }
    }
    double elapsed = now() - start;
    qsort(lat, nlat, sizeof *lat, cmp_double);
    double p50 = nlat ? lat[nlat / 2] : 0, p99 = nlat ? lat[(size_t)(nlat * 0.99)] : 0;
    printf("requests=%ld errors=%ld p50_us=%.0f p99_us=%.0f seconds=%.3f\n",
           requests, errors, p50 * 1e6, p99 * 1e6, elapsed);
    return errors ? 1 : 0;
}
