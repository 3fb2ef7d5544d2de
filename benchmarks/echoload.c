/* echoload: a load client for echo servers, written in C so that the client
 * is never the bottleneck.  Opens CONNS connections to HOST:PORT; on each,
 * sends a SIZE-byte message, reads until the whole echo is back, checks every
 * byte, records the round-trip latency, and repeats.  One message is in
 * flight per connection.  Single-threaded, epoll.
 *
 *   echoload HOST PORT CONNS SIZE SECONDS [WARMUP [GRACE]]
 *
 * The first WARMUP seconds (default 0) are not counted: the measured window
 * is the SECONDS after them.  At the end of the window no new message is
 * sent; a message still in flight must come back within GRACE seconds
 * (default 5), or it counts as an error (a stalled connection).
 *
 * Marks the measured window on stdout as it happens, so that whoever runs
 * it can sample the server's CPU time at both ends: a line "window-start"
 * (flushed) when the window opens and "window-end" when it closes.  Then,
 * at the end, prints one line:
 *   requests=N errors=E rate=R p50_us=X p99_us=Y max_us=Z seconds=S
 *   min_conn=A max_conn=B connect_s=C cpu=U
 * requests/rate/latencies cover the measured window only; min_conn/max_conn
 * are the fewest/most round trips one connection completed in it (fairness);
 * cpu is this client's CPU time over its wall time (near 1.0: the client
 * may be the bottleneck).  Exits 1 if anything went wrong (a mismatched
 * byte, a reset, a refused or closed connection, a stall) -- a run with
 * errors is a failed run, not a number.  The first few errors are described
 * on stderr.
 *
 *   echoload --sequential HOST PORT COUNT SIZE
 *
 * --sequential: what a server pays per short-lived client.  COUNT
 * connections, one after another: connect, send one SIZE-byte message, read
 * the whole echo back and check every byte, shut down the sending side,
 * wait for the server to close its side (its end of stream), close.  The
 * next connection starts only once the server has closed the last one.
 * Prints one line, connections=N errors=E rate=R seconds=S (N counts the
 * connections that completed, every one of them checked); exits 1 on any
 * error (described on stderr) or a server silent for 60 s.
 *
 * Message contents: byte i of message number seq on a connection is
 * (7 * (i + 41 * seq)) mod 256 (= 31 * seq + 7 * i), so every message is a
 * window into one precomputed pattern buffer: nothing is filled per message
 * and the check is a memcmp.
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
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct conn {
    int fd;
    size_t sent, received;
    double started;
    unsigned seq;
    int wantout;        /* EPOLLOUT is in its epoll interest */
    long done;          /* round trips completed inside the measured window */
};

static unsigned char *pattern;
static size_t size;
static long errors;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static const unsigned char *message(unsigned seq) {
    return pattern + ((41u * seq) & 255u);
}

static void fail(struct conn *c, int i, const char *what) {
    if (errors < 5)
        fprintf(stderr, "echoload: connection %d, message %u: %s\n", i, c->seq, what);
    errors++;
}

static void drop(struct conn *c, int *active) {
    close(c->fd);
    c->fd = -1;
    (*active)--;
}

/* Send what is left of the current message; poll for EPOLLOUT only while
 * some of it is left. */
static int push(int ep, struct conn *c, int i) {
    while (c->sent < size) {
        ssize_t w = send(c->fd, message(c->seq) + c->sent, size - c->sent, MSG_NOSIGNAL);
        if (w > 0) { c->sent += (size_t)w; continue; }
        if (w < 0 && errno == EAGAIN) break;
        fail(c, i, w < 0 ? strerror(errno) : "send returned 0");
        return -1;
    }
    int want = c->sent < size;
    if (want != c->wantout) {
        struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.u32 = (unsigned)i};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        c->wantout = want;
    }
    return 0;
}

/* One short-lived connection: connect, one message (sent whole before its
 * echo is read: SIZE must fit in the socket buffers), its echo, both sides
 * closed.  0, or -1 after saying on stderr what went wrong. */
static int one_connection(const struct sockaddr_in *addr, unsigned seq, unsigned char *in) {
    struct timeval limit = {.tv_sec = 60};
    const char *what = NULL;
    int err = 0;
    size_t got = 0;
    ssize_t r;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (const struct sockaddr *)addr, sizeof *addr) < 0) {
        what = "connect", err = errno;
        goto out;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    if (send(fd, message(seq), size, MSG_NOSIGNAL) != (ssize_t)size) {
        what = "send", err = errno;
        goto out;
    }
    for (; got < size; got += (size_t)r) {
        r = recv(fd, in, size - got, 0);
        if (r <= 0) {
            what = r < 0 ? "recv" : "closed by the server before the whole echo";
            err = r < 0 ? errno : 0;
            goto out;
        }
        if (memcmp(in, message(seq) + got, (size_t)r) != 0) {
            what = "echoed bytes differ from those sent";
            goto out;
        }
    }
    shutdown(fd, SHUT_WR);          /* our end of stream: the server closes its side */
    r = recv(fd, in, 1, 0);
    if (r != 0) {
        what = r < 0 ? "waiting for the server to close" : "bytes after the echo";
        err = r < 0 ? errno : 0;
    }
out:
    if (what)
        fprintf(stderr, "echoload: connection %u: %s%s%s\n", seq, what,
                err ? ": " : "", err ? strerror(err) : "");
    if (fd >= 0) close(fd);
    return what ? -1 : 0;
}

static int sequential(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: echoload --sequential HOST PORT COUNT SIZE\n");
        return 2;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
    long count = atol(argv[3]), done = 0;
    size = (size_t)atol(argv[4]);
    if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
        fprintf(stderr, "echoload: bad IPv4 address %s\n", argv[1]);
        return 2;
    }
    if (count < 1 || size < 1) {
        fprintf(stderr, "echoload: COUNT and SIZE must be positive\n");
        return 2;
    }
    pattern = malloc(size + 256);
    for (size_t i = 0; i < size + 256; i++) pattern[i] = (unsigned char)(7 * i);
    unsigned char *in = malloc(size);
    double start = now();
    while (done < count && one_connection(&addr, (unsigned)done, in) == 0) done++;
    double elapsed = now() - start;
    printf("connections=%ld errors=%d rate=%.1f seconds=%.3f\n", done, done < count,
           done / elapsed, elapsed);
    return done < count ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--sequential") == 0)
        return sequential(argc - 1, argv + 1);
    if (argc < 6 || argc > 8) {
        fprintf(stderr, "usage: echoload HOST PORT CONNS SIZE SECONDS [WARMUP [GRACE]]\n");
        return 2;
    }
    const char *host = argv[1];
    int port = atoi(argv[2]), nconns = atoi(argv[3]);
    size = (size_t)atol(argv[4]);
    double seconds = atof(argv[5]);
    double warmup = argc > 6 ? atof(argv[6]) : 0.0;
    double grace = argc > 7 ? atof(argv[7]) : 5.0;
    if (nconns < 1 || size < 1 || seconds <= 0) {
        fprintf(stderr, "echoload: CONNS, SIZE and SECONDS must be positive\n");
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)nconns + 64) {
        rl.rlim_cur = rl.rlim_max < (rlim_t)nconns + 64 ? rl.rlim_max : (rlim_t)nconns + 64;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    pattern = malloc(size + 256);
    for (size_t i = 0; i < size + 256; i++) pattern[i] = (unsigned char)(7 * i);
    struct conn *conns = calloc(nconns, sizeof *conns);
    unsigned char *in = malloc(size > 65536 ? size : 65536);
    size_t lat_cap = 1 << 20, nlat = 0;
    double *lat = malloc(lat_cap * sizeof *lat);
    long requests = 0;
    int ep = epoll_create1(0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        fprintf(stderr, "echoload: bad IPv4 address %s\n", host);
        return 2;
    }

    double t0 = now();
    for (int i = 0; i < nconns; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
            fprintf(stderr, "echoload: connect %d: %s\n", i, strerror(errno));
            printf("requests=0 errors=1 rate=0 p50_us=0 p99_us=0 max_us=0 seconds=0 "
                   "min_conn=0 max_conn=0 connect_s=0 cpu=0\n");
            return 1;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(fd, F_SETFL, O_NONBLOCK);
        conns[i].fd = fd;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (unsigned)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    double start = now(), connect_s = start - t0;
    double window = start + warmup, deadline = window + seconds, hard_stop = deadline + grace;
    int active = nconns;
    /* kick off: one message per connection */
    for (int i = 0; i < nconns; i++) {
        struct conn *c = &conns[i];
        c->seq = (unsigned)i;
        c->started = now();
        if (push(ep, c, i) < 0) drop(c, &active);
    }
    struct epoll_event events[1024];
    int marked = 0;     /* window marks printed: 0, 1 (start), 2 (start and end) */
    while (active > 0) {
        double t = now();
        if (marked == 0 && t >= window) { puts("window-start"); fflush(stdout); marked = 1; }
        if (marked == 1 && t >= deadline) { puts("window-end"); fflush(stdout); marked = 2; }
        if (t >= hard_stop) break;
        double next = t < window ? window : t < deadline ? deadline : hard_stop;
        int timeout = (int)((next - t) * 1000) + 1;
        int n = epoll_wait(ep, events, 1024, timeout > 100 ? 100 : timeout);
        for (int k = 0; k < n; k++) {
            int i = (int)events[k].data.u32;
            struct conn *c = &conns[i];
            if (c->fd < 0) continue;
            if ((events[k].events & EPOLLOUT) && c->sent < size) {
                if (push(ep, c, i) < 0) { drop(c, &active); continue; }
            }
            if (!(events[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
            ssize_t r = recv(c->fd, in, size - c->received, 0);
            if (r < 0 && errno == EAGAIN) continue;
            if (r <= 0) {
                fail(c, i, r < 0 ? strerror(errno) : "connection closed by the server");
                drop(c, &active);
                continue;
            }
            if (c->received + (size_t)r > c->sent) {
                fail(c, i, "echo ahead of what was sent");
                drop(c, &active);
                continue;
            }
            if (memcmp(in, message(c->seq) + c->received, (size_t)r) != 0) {
                fail(c, i, "echoed bytes differ from those sent");
                drop(c, &active);
                continue;
            }
            c->received += (size_t)r;
            if (c->received < size) continue;
            double done = now();
            if (done >= window && done < deadline) {
                requests++;
                c->done++;
                if (nlat == lat_cap) { lat_cap *= 2; lat = realloc(lat, lat_cap * sizeof *lat); }
                lat[nlat++] = done - c->started;
            }
            if (done >= deadline) {     /* the window is over: hang up */
                drop(c, &active);
                continue;
            }
            c->seq++;
            c->sent = c->received = 0;
            c->started = done;
            if (push(ep, c, i) < 0) drop(c, &active);
        }
    }
    if (marked < 2) { if (marked == 0) puts("window-start"); puts("window-end"); fflush(stdout); }
    if (active > 0) {
        char what[96];
        snprintf(what, sizeof what, "%d connection(s) still waiting for an echo %.1f s after the end", active, grace);
        for (int i = 0; i < nconns; i++)
            if (conns[i].fd >= 0) { fail(&conns[i], i, what); close(conns[i].fd); }
    }
    double elapsed = now() - start;
    long min_conn = -1, max_conn = 0;
    for (int i = 0; i < nconns; i++) {
        if (min_conn < 0 || conns[i].done < min_conn) min_conn = conns[i].done;
        if (conns[i].done > max_conn) max_conn = conns[i].done;
    }
    qsort(lat, nlat, sizeof *lat, cmp_double);
    double p50 = nlat ? lat[nlat / 2] : 0, p99 = nlat ? lat[(size_t)(nlat * 0.99)] : 0;
    double mx = nlat ? lat[nlat - 1] : 0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
    printf("requests=%ld errors=%ld rate=%.1f p50_us=%.0f p99_us=%.0f max_us=%.0f seconds=%.3f "
           "min_conn=%ld max_conn=%ld connect_s=%.3f cpu=%.2f\n",
           requests, errors, requests / seconds, p50 * 1e6, p99 * 1e6, mx * 1e6, elapsed,
           min_conn, max_conn, connect_s, cpu / (now() - t0));
    return errors ? 1 : 0;
}
