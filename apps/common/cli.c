/*
 * Helpers shared by the programs' option parsers and reports; see cli.h.
 */
#define _POSIX_C_SOURCE 200809L

#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

int cli_usage_error(const char *prog, const char *msg, const char *arg)
{
    fprintf(stderr, "%s: %s%s%s\ntry %s --help\n", prog, msg, arg ? ": " : "", arg ? arg : "",
            prog);
    return -1;
}

int cli_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    unsigned long long v;

    /* strtoull alone would accept leading spaces and a minus sign (wrapping around) */
    if (!s || *s < '0' || *s > '9')
        return -1;
    v = strtoull(s, &end, 10);
    if (*end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int cli_parse_number(const char *s, double lo, double *out)
{
    char *end;

    if (!s)
        return -1;
    *out = strtod(s, &end);
    /* written so that NaN fails too */
    return *end || !(*out >= lo && *out < 1e7) ? -1 : 0;
}

int cli_parse_positive(const char *s, double *out)
{
    return cli_parse_number(s, 0, out) != 0 || !(*out > 0) ? -1 : 0;
}

int cli_parse_hostport(const char *s, char *host, size_t cap, unsigned *port)
{
    const char *colon, *start = s;
    size_t n;
    uint64_t p;

    if (*s == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return -1;
        start = s + 1;
        n = (size_t)(close - start);
        colon = close + 1;
    } else {
        /* the last colon: a bare IPv6 address without a port is refused by the port check */
        colon = strrchr(s, ':');
        if (!colon)
            return -1;
        n = (size_t)(colon - s);
    }
    if (n == 0 || n >= cap || cli_parse_u64(colon + 1, 0, 65535, &p) != 0)
        return -1;
    memcpy(host, start, n);
    host[n] = '\0';
    *port = (unsigned)p;
    return 0;
}

int cli_add_listen(const char *prog, cli_listen_spec *lps, size_t *n, size_t cap,
                   gosip_tp_kind kind, const char *arg)
{
    cli_listen_spec *ls;

    if (*n == cap)
        return cli_usage_error(prog, "too many listening points", NULL);
    ls = &lps[*n];
    ls->kind = kind;
    if (!arg || cli_parse_hostport(arg, ls->host, sizeof ls->host, &ls->port) != 0)
        return cli_usage_error(prog, "expected HOST:PORT (numeric, [IPv6]:PORT)", arg);
    (*n)++;
    return 1;
}

static uint64_t tv_us(struct timeval tv)
{
    return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

void cli_cpu_since(const struct rusage *ru0, uint64_t *user_us, uint64_t *sys_us)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    *user_us = tv_us(ru.ru_utime) - tv_us(ru0->ru_utime);
    *sys_us = tv_us(ru.ru_stime) - tv_us(ru0->ru_stime);
}

void cli_print_io_error(const char *prog, const gosip_io_error_event *ev)
{
    char peer[80];

    gosip_addr_print(&ev->peer, peer, sizeof peer);
    fprintf(stderr, "%s: %s %s: %s\n", prog, gosip_tp_kind_name(ev->kind), peer, ev->reason);
}

int cli_listen(const char *prog, gosip_uv *uv, const cli_listen_spec *ls, gosip_lp **out)
{
    int rc = gosip_uv_listen(uv, ls->kind, ls->host, ls->port, out);
    if (rc != 0) {
        int sys = gosip_uv_last_error(uv);
        fprintf(stderr, "%s: listening on %s %s:%u: %s%s%s\n", prog, gosip_tp_kind_name(ls->kind),
                ls->host, ls->port, gosip_strerror(rc), sys ? ": " : "",
                sys ? uv_strerror(sys) : "");
        return rc;
    }
    char where[80], kind[8];
    const char *k = gosip_tp_kind_name(ls->kind);
    size_t j = 0;
    for (; k[j] && j < sizeof kind - 1; j++)
        kind[j] = (char)(k[j] >= 'A' && k[j] <= 'Z' ? k[j] - 'A' + 'a' : k[j]);
    kind[j] = '\0';
    gosip_addr_print(gosip_lp_addr(*out), where, sizeof where);
    printf("listening %s %s\n", kind, where);
    return 0;
}
