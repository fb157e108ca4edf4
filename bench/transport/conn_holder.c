/*
 * conn_holder: opens N TCP connections to a server and keeps them open and idle, so the
 * transport benchmark can measure what many open connections cost a server that is
 * busy on another one.
 *
 *   usage: conn_holder HOST PORT N [SECONDS]
 * Prints `connected K of N` once every connect was tried, then waits for SIGTERM/SIGINT
 * or SECONDS (default 600, so a forgotten holder still ends). SIGUSR1 and exit print
 * `open K`: the connections the server has not closed.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "signals.h"

/* One descriptor per connection: 10,000 of them exceed the usual soft limit of 1024. */
static int raise_nofile(unsigned need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < (rlim_t)need + 16) {
        fprintf(stderr, "conn_holder: RLIMIT_NOFILE %lu is below %u\n", (unsigned long)rl.rlim_cur,
                need + 16);
        return -1;
    }
    return 0;
}

static int connect_one(const struct sockaddr_in *sa)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    while (connect(fd, (const struct sockaddr *)sa, sizeof *sa) != 0) {
        if (errno != EINTR) {
            close(fd);
            return -1;
        }
    }
    return fd;
}

/* A connection the server closed reads as end of file (0) or an error other than EAGAIN. */
static unsigned count_open(const int *fds, unsigned n)
{
    unsigned open = 0;
    char c;
    for (unsigned i = 0; i < n; i++) {
        if (fds[i] < 0)
            continue;
        ssize_t r = recv(fds[i], &c, 1, MSG_PEEK | MSG_DONTWAIT);
        if (r > 0 || (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)))
            open++;
    }
    return open;
}

static unsigned open_all(const struct sockaddr_in *sa, int *fds, unsigned n)
{
    unsigned ok = 0;
    for (unsigned i = 0; i < n && !want_exit; i++) {
        fds[i] = connect_one(sa);
        if (fds[i] >= 0)
            ok++;
        else if (ok == i) /* report the first failure only: they tend to repeat */
            perror("conn_holder: connect");
    }
    return ok;
}

static void hold(const int *fds, unsigned n, unsigned seconds)
{
    alarm(seconds);
    while (!want_exit) {
        pause();
        if (want_report) {
            want_report = 0;
            printf("open %u\n", count_open(fds, n));
            fflush(stdout);
        }
    }
}

int main(int argc, char **argv)
{
    struct sockaddr_in sa;
    unsigned n, seconds;
    int *fds;

    if (argc < 4) {
        fprintf(stderr, "usage: conn_holder HOST PORT N [SECONDS]\n");
        return 2;
    }
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)strtoul(argv[2], NULL, 10));
    n = (unsigned)strtoul(argv[3], NULL, 10);
    seconds = argc > 4 ? (unsigned)strtoul(argv[4], NULL, 10) : 600;
    if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 || n == 0 || n > 1000000) {
        fprintf(stderr, "conn_holder: bad HOST or N\n");
        return 2;
    }
    install_handlers();
    fds = calloc(n, sizeof *fds);
    if (!fds || raise_nofile(n) != 0)
        return 1;
    for (unsigned i = 0; i < n; i++)
        fds[i] = -1;
    printf("connected %u of %u\n", open_all(&sa, fds, n), n);
    fflush(stdout);
    hold(fds, n, seconds);
    printf("open %u\n", count_open(fds, n));
    for (unsigned i = 0; i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(fds);
    return 0;
}
