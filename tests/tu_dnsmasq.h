/*
 * A dnsmasq for resolution tests: started on a free loopback port (UDP and TCP) with the
 * records a test gives on its command line, answering only from them, and stopped at the
 * end (and killed with the test process, even by a CTest timeout). Header-only: one test
 * file includes it. Without the dnsmasq binary dns_start_zone() returns -1 (skip).
 */
#ifndef GOSIP_TESTS_TU_DNSMASQ_H
#define GOSIP_TESTS_TU_DNSMASQ_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t dns_pid = -1;
static unsigned dns_port;
static char dns_servers[32];

static void dns_stop(void)
{
    if (dns_pid <= 0)
        return;
    kill(dns_pid, SIGTERM);
    int st;
    for (int i = 0; i < 200 && waitpid(dns_pid, &st, WNOHANG) == 0; i++)
        usleep(10000);
    if (waitpid(dns_pid, &st, WNOHANG) == 0) {
        kill(dns_pid, SIGKILL); /* still there after 2 s */
        waitpid(dns_pid, &st, 0);
    }
    dns_pid = -1;
}

/* fork + exec rather than posix_spawn: the child asks the kernel to kill it when the
 * test dies, even by SIGKILL (a CTest timeout), where atexit handlers never run. */
static pid_t spawn_child(const char *bin, char **argv)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0)
        return pid;
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    if (getppid() != parent)
        _exit(127); /* the test died before prctl took effect */
    execv(bin, argv);
    _exit(127);
}

/* Binds a socket of type to 127.0.0.1:port (0: any); returns the port bound, 0 on failure. */
static unsigned probe_bind(int type, unsigned port)
{
    int fd = socket(AF_INET, type, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    unsigned got = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        got = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return got;
}

/* A loopback port free for both UDP and TCP, as dnsmasq binds both. */
static unsigned free_port(void)
{
    for (int i = 0; i < 20; i++) {
        unsigned port = probe_bind(SOCK_DGRAM, 0);
        if (port && probe_bind(SOCK_STREAM, port) == port)
            return port;
    }
    return 0;
}

/* One A query for name; 1 when any answer came back within 200 ms. */
static int dns_answers(const char *name)
{
    unsigned char q[300] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    size_t n = 12;
    for (const char *p = name; *p && n < sizeof q - 64;) {
        size_t len = strcspn(p, ".");
        q[n++] = (unsigned char)len;
        memcpy(q + n, p, len);
        n += len;
        p += len + (p[len] == '.');
    }
    static const unsigned char tail[] = {0, 0, 1, 0, 1}; /* root, type A, class IN */
    memcpy(q + n, tail, sizeof tail);
    n += sizeof tail;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        return 0;
    struct timeval tv = {0, 200000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)dns_port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    unsigned char buf[512];
    int ok = sendto(fd, q, n, 0, (struct sockaddr *)&sa, sizeof sa) == (ssize_t)n &&
             recv(fd, buf, sizeof buf, 0) >= 12 && buf[0] == 0x12 && buf[1] == 0x34;
    close(fd);
    return ok;
}

static const char *dnsmasq_path(void)
{
    static const char *paths[] = {"/usr/sbin/dnsmasq", "/usr/local/sbin/dnsmasq",
                                  "/usr/bin/dnsmasq"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (access(paths[i], X_OK) == 0)
            return paths[i];
    return NULL;
}

/* Starts dnsmasq on port serving `zone` (names under `local` that are not there get
 * NXDOMAIN); 0 once it answers for `ready`, -1 when it exited (port taken) or never did. */
static int dns_start_on(const char *bin, unsigned port, const char *local, const char *const *zone,
                        size_t nz, const char *ready)
{
    static char port_arg[32];
    dns_port = port;
    snprintf(port_arg, sizeof port_arg, "--port=%u", port);
    snprintf(dns_servers, sizeof dns_servers, "127.0.0.1:%u", port);
    const char *fixed[] = {bin,
                           "--keep-in-foreground",
                           "--no-resolv",
                           "--no-hosts",
                           "--conf-file=/dev/null",
                           "--listen-address=127.0.0.1",
                           "--bind-interfaces",
                           "--pid-file",
                           local,
                           "--local-ttl=300",
                           port_arg};
    size_t nf = sizeof fixed / sizeof fixed[0];
    char *argv[64];
    if (nf + nz >= sizeof argv / sizeof argv[0])
        return -1;
    for (size_t i = 0; i < nf; i++)
        argv[i] = (char *)(uintptr_t)fixed[i];
    for (size_t i = 0; i < nz; i++)
        argv[nf + i] = (char *)(uintptr_t)zone[i];
    argv[nf + nz] = NULL;
    dns_pid = spawn_child(bin, argv);
    if (dns_pid < 0)
        return -1;
    int st;
    for (int i = 0; i < 50; i++) {
        if (waitpid(dns_pid, &st, WNOHANG) == dns_pid) {
            dns_pid = -1; /* exited: most likely the port was taken meanwhile */
            return -1;
        }
        if (dns_answers(ready))
            return 0;
    }
    dns_stop();
    return -1;
}

/* dns_start_on() a free port; the port is free when probed, but dnsmasq binds UDP and
 * TCP and other tests pick ephemeral ports too: a few tries. */
static int dns_start_zone(const char *local, const char *const *zone, size_t nz, const char *ready)
{
    const char *bin = dnsmasq_path();
    if (!bin)
        return -1;
    for (int attempt = 0; attempt < 5; attempt++) {
        unsigned port = free_port();
        if (port && dns_start_on(bin, port, local, zone, nz, ready) == 0)
            return 0;
    }
    return -1;
}

#endif
