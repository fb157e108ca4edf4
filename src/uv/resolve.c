/* RFC 3263 server location on libuv with c-ares: see resolve.h. The DNS logic lives in
 * uv/locate.c; this file only moves queries and answers between it and c-ares. */
/* <uv.h> and <ares.h> need POSIX types that strict C11 hides (CMake defines these too). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "uv/resolve.h"

#include "base/arena.h"
#include "uv/locate.h"

#include <sys/select.h> /* fd_set and struct timeval, which <ares.h> uses without including */
#include <sys/time.h>

#include <ares.h>
#include <string.h>

/* c-ares per try; it doubles the wait at each retry, so 2 tries wait 2 + 4 s: a dead
 * server costs 6 s, well inside Timer B (32 s), where c-ares' defaults cost over 20. */
#define RESOLVE_TIMEOUT_MS 2000
#define RESOLVE_TRIES 2
#define RESOLVE_MAX_ADDRS 32 /* A/AAAA records read from one answer */

typedef struct rpoll {
    uv_poll_t h;
    ares_socket_t fd;
    gosip__resolver *r;
    struct rpoll *next;
} rpoll;

typedef struct request {
    struct request *prev, *next; /* every live request */
    struct request *rnext;       /* ready queue: due for a step on the idle handle */
    gosip__resolver *r;
    gosip__locate *loc;
    gosip__resolve_cb cb;
    void *ud;
    int ready;
    gosip__dns_type qtype; /* of the query in flight */
    int status;            /* an error met while consuming an answer, reported at the next step */
} request;

struct gosip__resolver {
    uv_loop_t *loop;
    const gosip_mem *mem;
    ares_channel ch;
    uv_timer_t timer; /* c-ares' next timeout */
    uv_idle_t idle;   /* runs the ready queue, so callbacks never run inside resolve() */
    rpoll *polls;
    request *live;
    request *ready_head, *ready_tail;
    gosip__dns_cache *cache;
    uint32_t rng;
    int closing;
    unsigned closes_pending; /* handles whose close callback has not run yet */
    void (*done)(void *ud);
    void *done_ud;
};

static void on_idle(uv_idle_t *h);
static void on_timer(uv_timer_t *h);

static uint32_t rng_next(void *ud)
{
    gosip__resolver *r = ud;
    uint32_t x = r->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return r->rng = x;
}

static gosip_tstamp now_ns(void)
{
    return (gosip_tstamp)uv_hrtime();
}

/* ---------------------------------------------------------------- requests */

static void ready_push(gosip__resolver *r, request *q)
{
    if (q->ready)
        return;
    q->ready = 1;
    q->rnext = NULL;
    if (r->ready_tail)
        r->ready_tail->rnext = q;
    else
        r->ready_head = q;
    r->ready_tail = q;
    if (!r->closing)
        (void)uv_idle_start(&r->idle, on_idle);
}

static request *ready_pop(gosip__resolver *r)
{
    request *q = r->ready_head;
    if (q) {
        r->ready_head = q->rnext;
        if (!r->ready_head)
            r->ready_tail = NULL;
        q->ready = 0;
    }
    return q;
}

/* Unlinks, reports and frees a request. The callback may call resolve or close. */
static void finish(request *q, int status)
{
    gosip__resolver *r = q->r;
    if (q->prev)
        q->prev->next = q->next;
    else
        r->live = q->next;
    if (q->next)
        q->next->prev = q->prev;
    const gosip_target *t = NULL;
    size_t n = 0;
    if (status == 0)
        gosip__locate_targets(q->loc, &t, &n);
    q->cb(status, t, n, q->ud);
    gosip__locate_free(q->loc);
    gosip__mem_free(r->mem, q);
}

/* ---------------------------------------------------------------- c-ares plumbing */

static void update_timer(gosip__resolver *r)
{
    struct timeval tv, *t = r->ch ? ares_timeout(r->ch, NULL, &tv) : NULL;
    if (!t) {
        (void)uv_timer_stop(&r->timer);
        return;
    }
    uint64_t ms = (uint64_t)t->tv_sec * 1000u + ((uint64_t)t->tv_usec + 999u) / 1000u;
    (void)uv_timer_start(&r->timer, on_timer, ms ? ms : 1, 0);
}

static void on_timer(uv_timer_t *h)
{
    gosip__resolver *r = h->data;
    ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    update_timer(r);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    rpoll *p = h->data;
    gosip__resolver *r = p->r;
    /* On a poll error let c-ares read and write: it then sees the socket's error. */
    ares_socket_t rd = (status < 0 || (events & UV_READABLE)) ? p->fd : ARES_SOCKET_BAD;
    ares_socket_t wr = (status < 0 || (events & UV_WRITABLE)) ? p->fd : ARES_SOCKET_BAD;
    ares_process_fd(r->ch, rd, wr);
    update_timer(r);
}

static void maybe_free(gosip__resolver *r);

static void on_handle_closed(uv_handle_t *h)
{
    gosip__resolver *r = h->data;
    r->closes_pending--;
    maybe_free(r);
}

static void on_poll_closed(uv_handle_t *h)
{
    rpoll *p = h->data;
    gosip__resolver *r = p->r;
    gosip__mem_free(r->mem, p);
    r->closes_pending--;
    maybe_free(r);
}

static void poll_close(gosip__resolver *r, rpoll *p)
{
    rpoll **pp = &r->polls;
    while (*pp && *pp != p)
        pp = &(*pp)->next;
    if (*pp)
        *pp = p->next;
    (void)uv_poll_stop(&p->h);
    r->closes_pending++;
    uv_close((uv_handle_t *)&p->h, on_poll_closed);
}

/* c-ares opens, watches and closes its sockets through this: mirror it with uv_poll. */
static void sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
    gosip__resolver *r = data;
    rpoll *p = r->polls;
    while (p && p->fd != fd)
        p = p->next;
    if (!readable && !writable) {
        if (p)
            poll_close(r, p);
        return;
    }
    if (!p) {
        p = gosip__mem_calloc(r->mem, 1, sizeof *p);
        /* Without a watcher the query still ends: c-ares times it out (update_timer). */
        if (!p)
            return;
        if (uv_poll_init_socket(r->loop, &p->h, fd) != 0) {
            gosip__mem_free(r->mem, p);
            return;
        }
        p->fd = fd;
        p->r = r;
        p->h.data = p;
        p->next = r->polls;
        r->polls = p;
    }
    int ev = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);
    (void)uv_poll_start(&p->h, ev, on_poll);
}

/* ---------------------------------------------------------------- answers */

/* The smallest TTL of the answer section. c-ares 1.18 parses NAPTR and SRV without
 * their TTLs, and the cache needs them, so walk the message once for them. 0 (not
 * cached) when the message is malformed. */
static uint32_t min_answer_ttl(const unsigned char *b, int len)
{
    if (len < 12)
        return 0;
    unsigned qd = (unsigned)(b[4] << 8 | b[5]), an = (unsigned)(b[6] << 8 | b[7]);
    long pos = 12;
    uint32_t min = UINT32_MAX;
    for (unsigned i = 0; i < qd + an; i++) {
        while (pos < len && b[pos] != 0 && (b[pos] & 0xC0) != 0xC0)
            pos += b[pos] + 1;
        if (pos >= len)
            return 0;
        pos += (b[pos] & 0xC0) == 0xC0 ? 2 : 1;
        if (i < qd) {
            pos += 4;
            continue;
        }
        if (pos + 10 > len)
            return 0;
        uint32_t ttl = (uint32_t)b[pos + 4] << 24 | (uint32_t)b[pos + 5] << 16 |
                       (uint32_t)b[pos + 6] << 8 | b[pos + 7];
        if (ttl & 0x80000000u)
            ttl = 0; /* RFC 2181 8 */
        if (ttl < min)
            min = ttl;
        pos += 10 + (b[pos + 8] << 8 | b[pos + 9]);
    }
    return min == UINT32_MAX ? 0 : min;
}

static gosip_str ustr(const unsigned char *s)
{
    return gosip_str_from_cstr((const char *)s);
}

static int feed_naptr(request *q, const unsigned char *abuf, int alen, gosip__dns_answer *a)
{
    struct ares_naptr_reply *head = NULL;
    int st = ares_parse_naptr_reply(abuf, alen, &head);
    if (st != ARES_SUCCESS)
        return st;
    gosip__dns_rr rr[64];
    uint32_t ttl = min_answer_ttl(abuf, alen);
    size_t n = 0;
    for (struct ares_naptr_reply *p = head; p && n < 64; p = p->next, n++) {
        rr[n] = (gosip__dns_rr){.ttl = ttl,
                                .order = p->order,
                                .pref = p->preference,
                                .flags = ustr(p->flags),
                                .service = ustr(p->service),
                                .regexp = ustr(p->regexp),
                                .target = gosip_str_from_cstr(p->replacement)};
    }
    *a = (gosip__dns_answer){0, rr, n};
    q->status = gosip__locate_answer(q->loc, q->r->cache, now_ns(), a);
    ares_free_data(head);
    return ARES_SUCCESS;
}

static int feed_srv(request *q, const unsigned char *abuf, int alen, gosip__dns_answer *a)
{
    struct ares_srv_reply *head = NULL;
    int st = ares_parse_srv_reply(abuf, alen, &head);
    if (st != ARES_SUCCESS)
        return st;
    gosip__dns_rr rr[GOSIP__LOCATE_MAX_SRV_RR];
    uint32_t ttl = min_answer_ttl(abuf, alen);
    size_t n = 0;
    for (struct ares_srv_reply *p = head; p && n < GOSIP__LOCATE_MAX_SRV_RR; p = p->next, n++)
        rr[n] = (gosip__dns_rr){.ttl = ttl,
                                .priority = p->priority,
                                .weight = p->weight,
                                .port = p->port,
                                .target = gosip_str_from_cstr(p->host)};
    *a = (gosip__dns_answer){0, rr, n};
    q->status = gosip__locate_answer(q->loc, q->r->cache, now_ns(), a);
    ares_free_data(head);
    return ARES_SUCCESS;
}

static uint32_t clamp_ttl(int ttl)
{
    return ttl < 0 ? 0 : (uint32_t)ttl;
}

static int feed_addr(request *q, int aaaa, const unsigned char *abuf, int alen,
                     gosip__dns_answer *a)
{
    struct ares_addrttl v4[RESOLVE_MAX_ADDRS];
    struct ares_addr6ttl v6[RESOLVE_MAX_ADDRS];
    struct hostent *he = NULL;
    int n = RESOLVE_MAX_ADDRS;
    int st = aaaa ? ares_parse_aaaa_reply(abuf, alen, &he, v6, &n)
                  : ares_parse_a_reply(abuf, alen, &he, v4, &n);
    if (he)
        ares_free_hostent(he);
    if (st != ARES_SUCCESS)
        return st;
    gosip__dns_rr rr[RESOLVE_MAX_ADDRS];
    size_t k = 0;
    for (int i = 0; i < n && i < RESOLVE_MAX_ADDRS; i++, k++) {
        memset(&rr[k], 0, sizeof rr[k]);
        rr[k].ttl = clamp_ttl(aaaa ? v6[i].ttl : v4[i].ttl);
        rr[k].addr.family = aaaa ? 6 : 4;
        if (aaaa)
            memcpy(rr[k].addr.ip, &v6[i].ip6addr, 16);
        else
            memcpy(rr[k].addr.ip, &v4[i].ipaddr, 4);
    }
    *a = (gosip__dns_answer){0, rr, k};
    q->status = gosip__locate_answer(q->loc, q->r->cache, now_ns(), a);
    return ARES_SUCCESS;
}

static void feed_status(request *q, int status)
{
    gosip__dns_answer a = {status, NULL, 0};
    q->status = gosip__locate_answer(q->loc, q->r->cache, now_ns(), &a);
}

/* The query callback: hands the answer to the planner at once (abuf dies with this
 * call), then queues the request for its next step on the idle handle. */
static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    (void)timeouts;
    request *q = arg;
    if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED)
        return; /* the resolver is closing: gosip__resolver_close() reports it */
    gosip__dns_answer a;
    if (status == ARES_SUCCESS) {
        if (q->qtype == GOSIP__DNS_NAPTR)
            status = feed_naptr(q, abuf, alen, &a);
        else if (q->qtype == GOSIP__DNS_SRV)
            status = feed_srv(q, abuf, alen, &a);
        else
            status = feed_addr(q, q->qtype == GOSIP__DNS_AAAA, abuf, alen, &a);
    }
    if (status == ARES_ENODATA || status == ARES_ENOTFOUND)
        feed_status(q, GOSIP_ERR_NOT_FOUND);
    else if (status != ARES_SUCCESS)
        feed_status(q, GOSIP_ERR_RESOLVE); /* timeout, SERVFAIL, REFUSED, bad reply */
    ready_push(q->r, q);
}

/* One step: ask the planner what it needs; query c-ares for it, or report the end. */
static void step(request *q)
{
    gosip__resolver *r = q->r;
    gosip__dns_query dq;
    int rc = q->status ? q->status : gosip__locate_next(q->loc, r->cache, now_ns(), &dq);
    if (rc != 1) {
        finish(q, rc);
        return;
    }
    q->qtype = dq.type;
    /* May call on_answer before returning (e.g. out of memory): that only queues q. */
    ares_query(r->ch, dq.name, 1 /* C_IN */, (int)dq.type, on_answer, q);
    update_timer(r);
}

static void on_idle(uv_idle_t *h)
{
    gosip__resolver *r = h->data;
    request *q;
    while (!r->closing && (q = ready_pop(r)) != NULL)
        step(q);
    if (!r->ready_head || r->closing)
        (void)uv_idle_stop(&r->idle);
}

/* ---------------------------------------------------------------- public to the runtime */

static int channel_new(gosip__resolver *r, const char *dns_servers)
{
    struct ares_options o;
    memset(&o, 0, sizeof o);
    o.sock_state_cb = sock_state_cb;
    o.sock_state_cb_data = r;
    o.timeout = RESOLVE_TIMEOUT_MS;
    o.tries = RESOLVE_TRIES;
    int st =
        ares_init_options(&r->ch, &o, ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
    if (st != ARES_SUCCESS) {
        r->ch = NULL;
        return st == ARES_ENOMEM ? GOSIP_ERR_NOMEM : GOSIP_ERR_RESOLVE;
    }
    if (dns_servers && ares_set_servers_ports_csv(r->ch, dns_servers) != ARES_SUCCESS) {
        ares_destroy(r->ch);
        r->ch = NULL;
        return GOSIP_ERR_INVALID_ARG;
    }
    return 0;
}

int gosip__resolver_new(gosip__resolver **out, uv_loop_t *loop, const char *dns_servers,
                        const gosip_mem *mem)
{
    if (!out || !loop)
        return GOSIP_ERR_INVALID_ARG;
    gosip__resolver *r = gosip__mem_calloc(mem, 1, sizeof *r);
    if (!r)
        return GOSIP_ERR_NOMEM;
    r->loop = loop;
    r->mem = mem;
    int rc = gosip__dns_cache_new(&r->cache, mem, GOSIP__DNS_CACHE_DEFAULT_MAX,
                                  GOSIP__DNS_DEFAULT_NEG_TTL);
    if (!rc)
        rc = channel_new(r, dns_servers);
    if (rc) {
        gosip__dns_cache_free(r->cache);
        gosip__mem_free(mem, r);
        return rc;
    }
    /* The SRV weights need randomness, not secrecy: any seed that differs per run. */
    if (uv_random(NULL, NULL, &r->rng, sizeof r->rng, 0, NULL) != 0 || r->rng == 0)
        r->rng = (uint32_t)uv_hrtime() | 1u;
    /* Initialising timer and idle handles cannot fail in libuv: last, so that no
     * failure above leaves a handle to close. */
    (void)uv_timer_init(loop, &r->timer);
    (void)uv_idle_init(loop, &r->idle);
    r->timer.data = r;
    r->idle.data = r;
    *out = r;
    return 0;
}

int gosip__resolver_resolve(gosip__resolver *r, const gosip_uri *uri, gosip__resolve_cb cb,
                            void *ud)
{
    if (!r || !uri || !cb)
        return GOSIP_ERR_INVALID_ARG;
    if (r->closing)
        return GOSIP_ERR_STATE;
    request *q = gosip__mem_calloc(r->mem, 1, sizeof *q);
    if (!q)
        return GOSIP_ERR_NOMEM;
    gosip__locate_config cfg = {r->mem, rng_next, r, 0};
    int rc = gosip__locate_new(&q->loc, uri, &cfg);
    if (rc) {
        gosip__mem_free(r->mem, q);
        return rc;
    }
    q->r = r;
    q->cb = cb;
    q->ud = ud;
    q->next = r->live;
    if (r->live)
        r->live->prev = q;
    r->live = q;
    ready_push(r, q);
    return 0;
}

size_t gosip__resolver_cache_count(const gosip__resolver *r)
{
    return r ? gosip__dns_cache_count(r->cache) : 0;
}

static void maybe_free(gosip__resolver *r)
{
    if (!r->closing || r->closes_pending)
        return;
    void (*done)(void *) = r->done;
    void *ud = r->done_ud;
    gosip__dns_cache_free(r->cache);
    gosip__mem_free(r->mem, r);
    if (done)
        done(ud);
}

void gosip__resolver_close(gosip__resolver *r, void (*done)(void *ud), void *ud)
{
    if (!r || r->closing)
        return;
    r->closing = 1;
    r->done = done;
    r->done_ud = ud;
    /* Counted now, so that maybe_free() cannot run before the last handle is closed. */
    r->closes_pending += 2;
    /* ares_destroy() ends queries in flight with ARES_EDESTRUCTION (ignored by
     * on_answer) and closes its sockets through sock_state_cb (their polls close). */
    ares_destroy(r->ch);
    r->ch = NULL;
    r->ready_head = r->ready_tail = NULL;
    while (r->live)
        finish(r->live, GOSIP_ERR_DESTROYED);
    while (r->polls)
        poll_close(r, r->polls);
    (void)uv_timer_stop(&r->timer);
    (void)uv_idle_stop(&r->idle);
    uv_close((uv_handle_t *)&r->timer, on_handle_closed);
    uv_close((uv_handle_t *)&r->idle, on_handle_closed);
}
