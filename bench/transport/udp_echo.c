/*
 * udp_echo: the floor for the transport benchmark. A blocking UDP socket that answers
 * each datagram at once from the same buffer: the least work any UDP responder can do,
 * so gosip-responder's figures can be read against it on the same machine and load.
 *
 * SIPp only counts a call as answered when a response comes back, so a SIP request is
 * echoed with its request line replaced by "SIP/2.0 200 OK" (headers unchanged: the
 * Via, Call-ID and CSeq SIPp matches on are already there). Anything else is echoed
 * byte for byte. No parsing, no validation, no allocation.
 *
 *   usage: udp_echo [HOST] [PORT] [RCVBUF]   (default 127.0.0.1 0; prints `listening udp H:P`)
 * RCVBUF sets SO_RCVBUF (capped by net.core.rmem_max); by default the system's, as for
 * gosip-responder, whose runtime has no such setting yet.
 * SIGUSR1 prints `stats requests=N answered=N cpu_user_us=U cpu_sys_us=S`; SIGINT and
 * SIGTERM print it and exit.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "signals.h"

static uint64_t tv_us(struct timeval tv)
{
    return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

static void print_stats(uint64_t requests, uint64_t answered)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("stats requests=%" PRIu64 " answered=%" PRIu64 " cpu_user_us=%" PRIu64
           " cpu_sys_us=%" PRIu64 "\n",
           requests, answered, tv_us(ru.ru_utime), tv_us(ru.ru_stime));
    fflush(stdout);
}

static int open_socket(const char *host, unsigned port, int rcvbuf)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    char ip[INET_ADDRSTRLEN];
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (fd >= 0 && rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (fd < 0 || inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        perror("udp_echo: socket");
        return -1;
    }
    inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof ip);
    printf("listening udp %s:%u\n", ip, (unsigned)ntohs(sa.sin_port));
    fflush(stdout);
    return fd;
}

/* Rewrites a request line in place to a status line; returns the new length. */
static size_t make_answer(char *buf, size_t cap, size_t len)
{
    static const char status[] = "SIP/2.0 200 OK";
    const size_t slen = sizeof status - 1;
    char *eol = memchr(buf, '\r', len);

    if (!eol || len < 8 || !memchr(buf, ' ', (size_t)(eol - buf)) || memcmp(buf, "SIP/", 4) == 0)
        return len;
    size_t rest = len - (size_t)(eol - buf);
    if (slen + rest > cap)
        return len;
    memmove(buf + slen, eol, rest);
    memcpy(buf, status, slen);
    return slen + rest;
}

static int serve(int fd)
{
    static char buf[65536 + 64];
    uint64_t requests = 0, answered = 0;

    while (!want_exit) {
        struct sockaddr_storage from;
        socklen_t flen = sizeof from;
        ssize_t n = recvfrom(fd, buf, 65536, 0, (struct sockaddr *)&from, &flen);

        if (want_report) {
            want_report = 0;
            print_stats(requests, answered);
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            perror("udp_echo: recvfrom");
            return 1;
        }
        requests++;
        size_t out = make_answer(buf, sizeof buf, (size_t)n);
        if (sendto(fd, buf, out, 0, (struct sockaddr *)&from, flen) >= 0)
            answered++;
    }
    print_stats(requests, answered);
    return 0;
}

int main(int argc, char **argv)
{
    const char *host = argc > 1 ? argv[1] : "127.0.0.1";
    unsigned port = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 0;
    int rcvbuf = argc > 3 ? atoi(argv[3]) : 0;
    int fd;

    if (port > 65535) {
        fprintf(stderr, "usage: udp_echo [HOST] [PORT] [RCVBUF]\n");
        return 2;
    }
    install_handlers();
    fd = open_socket(host, port, rcvbuf);
    if (fd < 0)
        return 1;
    int rc = serve(fd);
    close(fd);
    return rc;
}
