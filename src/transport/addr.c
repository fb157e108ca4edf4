/* Transport kinds, IP addresses and refcounted output buffers. */
#define _POSIX_C_SOURCE 200809L

#include "transport/tp_internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

const char *gosip_tp_kind_name(gosip_tp_kind kind)
{
    switch (kind) {
    case GOSIP_TP_UDP:
        return "UDP";
    case GOSIP_TP_TCP:
        return "TCP";
    case GOSIP_TP_TLS:
        return "TLS";
    }
    return "UDP";
}

int gosip_tp_kind_from_str(gosip_str s, gosip_tp_kind *out)
{
    static const gosip_tp_kind kinds[] = {GOSIP_TP_UDP, GOSIP_TP_TCP, GOSIP_TP_TLS};
    if (!out)
        return GOSIP_ERR_INVALID_ARG;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (gosip_str_caseeq_cstr(s, gosip_tp_kind_name(kinds[i]))) {
            *out = kinds[i];
            return 0;
        }
    }
    return GOSIP_ERR_UNSUPPORTED;
}

int gosip_tp_kind_reliable(gosip_tp_kind kind)
{
    return kind == GOSIP_TP_TCP || kind == GOSIP_TP_TLS;
}

/* RFC 3261 19.1.2: 5061 for TLS (sips), 5060 otherwise. */
uint16_t gosip__default_port(gosip_tp_kind kind)
{
    return kind == GOSIP_TP_TLS ? 5061 : 5060;
}

int gosip_addr_from_str(gosip_addr *out, gosip_str host, unsigned port)
{
    char tmp[64];
    if (!out || !host.p)
        return GOSIP_ERR_INVALID_ARG;
    if (port > 65535)
        return GOSIP_ERR_INVALID_ARG;
    const char *p = host.p;
    size_t n = host.n;
    int bracketed = n >= 2 && p[0] == '[' && p[n - 1] == ']';
    if (bracketed) {
        p++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof tmp)
        return GOSIP_ERR_PARSE;
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    gosip_addr a;
    memset(&a, 0, sizeof a);
    /* inet_pton's IPv4 form is the strict dotted quad, which is what SIP hosts allow */
    if (!bracketed && inet_pton(AF_INET, tmp, a.ip) == 1)
        a.family = 4;
    else if (inet_pton(AF_INET6, tmp, a.ip) == 1)
        a.family = 6;
    else
        return GOSIP_ERR_PARSE;
    a.port = (uint16_t)port;
    *out = a;
    return 0;
}

static size_t put(char *buf, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (cap) {
        size_t k = n < cap - 1 ? n : cap - 1;
        memcpy(buf, s, k);
        buf[k] = '\0';
    }
    return n;
}

size_t gosip_addr_print_host(const gosip_addr *a, char *buf, size_t cap)
{
    char tmp[INET6_ADDRSTRLEN];
    if (!a || (a->family != 4 && a->family != 6))
        return put(buf, cap, "");
    if (!inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->ip, tmp, sizeof tmp))
        return put(buf, cap, "");
    return put(buf, cap, tmp);
}

size_t gosip_addr_print(const gosip_addr *a, char *buf, size_t cap)
{
    char host[INET6_ADDRSTRLEN], tmp[INET6_ADDRSTRLEN + 16];
    gosip_addr_print_host(a, host, sizeof host);
    int six = a && a->family == 6;
    snprintf(tmp, sizeof tmp, "%s%s%s:%u", six ? "[" : "", host, six ? "]" : "",
             a ? (unsigned)a->port : 0u);
    return put(buf, cap, tmp);
}

int gosip__addr_ip_equal(const gosip_addr *a, const gosip_addr *b)
{
    if (a->family != b->family)
        return 0;
    return memcmp(a->ip, b->ip, a->family == 4 ? 4 : 16) == 0;
}

int gosip_addr_equal(const gosip_addr *a, const gosip_addr *b)
{
    if (!a || !b)
        return 0;
    return a->port == b->port && gosip__addr_ip_equal(a, b);
}

/* ---------------------------------------------------------------- buffers */

gosip_buf *gosip__buf_new(const gosip_mem *mem, size_t len)
{
    gosip_buf *b = gosip__mem_malloc(mem, sizeof *b + len + 1);
    if (!b)
        return NULL;
    b->mem = mem;
    b->refs = 1;
    b->len = len;
    b->qnext = NULL;
    return b;
}

/* Serialises m into a new buffer holding one reference. */
int gosip__buf_print(const gosip_mem *mem, const gosip_msg *m, gosip_buf **out)
{
    char probe;
    size_t n = gosip_msg_print(m, &probe, 0);
    gosip_buf *b = gosip__buf_new(mem, n);
    if (!b)
        return GOSIP_ERR_NOMEM;
    gosip_msg_print(m, (char *)b->data, n + 1);
    *out = b;
    return 0;
}

const uint8_t *gosip_buf_data(const gosip_buf *b)
{
    return b ? b->data : NULL;
}

size_t gosip_buf_len(const gosip_buf *b)
{
    return b ? b->len : 0;
}

gosip_buf *gosip_buf_ref(gosip_buf *b)
{
    if (b)
        b->refs++;
    return b;
}

void gosip_buf_unref(gosip_buf *b)
{
    if (b && --b->refs == 0)
        gosip__mem_free(b->mem, b);
}
