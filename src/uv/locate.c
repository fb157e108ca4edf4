/* RFC 3263 server location, sans-I/O: the DNS answer cache, RFC 2782 SRV ordering and
 * the planner. See locate.h for the rules applied. */
#include "uv/locate.h"

#include "base/arena.h"

#include <arpa/inet.h>
#include <string.h>

/* ================================================================ the cache */

typedef struct cache_entry {
    struct cache_entry *lru_prev, *lru_next; /* most recently used at the head */
    struct cache_entry *hnext;
    uint32_t hash;
    gosip__dns_type type;
    gosip_tstamp stored, expires;
    const char *name; /* lower case, in the same allocation */
    gosip__dns_answer ans;
    gosip__dns_rr rr[]; /* then the strings */
} cache_entry;

struct gosip__dns_cache {
    const gosip_mem *mem;
    size_t max, count;
    uint32_t neg_ttl;
    size_t nbuckets; /* a power of two */
    cache_entry **buckets;
    cache_entry *lru_head, *lru_tail;
    gosip__dns_answer view; /* what get() returns: the entry's answer with remaining TTLs */
    gosip__dns_rr *view_rr;
    size_t view_cap;
};

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

/* FNV-1a over the lower-cased name and the type: DNS names compare case-insensitively. */
static uint32_t key_hash(const char *name, gosip__dns_type type)
{
    uint32_t h = 2166136261u ^ (uint32_t)type;
    for (const char *p = name; *p; p++)
        h = (h ^ (uint8_t)ascii_lower(*p)) * 16777619u;
    return h;
}

static int name_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (ascii_lower(*a) != ascii_lower(*b))
            return 0;
    return *a == *b;
}

int gosip__dns_cache_new(gosip__dns_cache **out, const gosip_mem *mem, size_t max_entries,
                         uint32_t neg_ttl)
{
    if (!out)
        return GOSIP_ERR_INVALID_ARG;
    gosip__dns_cache *c = gosip__mem_calloc(mem, 1, sizeof *c);
    if (!c)
        return GOSIP_ERR_NOMEM;
    c->mem = mem;
    c->max = max_entries ? max_entries : GOSIP__DNS_CACHE_DEFAULT_MAX;
    c->neg_ttl = neg_ttl;
    c->nbuckets = 16;
    while (c->nbuckets < c->max && c->nbuckets < ((size_t)1 << 20))
        c->nbuckets <<= 1;
    c->buckets = gosip__mem_calloc(mem, c->nbuckets, sizeof *c->buckets);
    if (!c->buckets) {
        gosip__mem_free(mem, c);
        return GOSIP_ERR_NOMEM;
    }
    *out = c;
    return 0;
}

static void lru_unlink(gosip__dns_cache *c, cache_entry *e)
{
    if (e->lru_prev)
        e->lru_prev->lru_next = e->lru_next;
    else
        c->lru_head = e->lru_next;
    if (e->lru_next)
        e->lru_next->lru_prev = e->lru_prev;
    else
        c->lru_tail = e->lru_prev;
    e->lru_prev = e->lru_next = NULL;
}

static void lru_push_front(gosip__dns_cache *c, cache_entry *e)
{
    e->lru_prev = NULL;
    e->lru_next = c->lru_head;
    if (c->lru_head)
        c->lru_head->lru_prev = e;
    c->lru_head = e;
    if (!c->lru_tail)
        c->lru_tail = e;
}

static void entry_remove(gosip__dns_cache *c, cache_entry *e)
{
    cache_entry **pp = &c->buckets[e->hash & (c->nbuckets - 1)];
    while (*pp && *pp != e)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = e->hnext;
    lru_unlink(c, e);
    c->count--;
    gosip__mem_free(c->mem, e);
}

static cache_entry *entry_find(const gosip__dns_cache *c, const char *name, gosip__dns_type type,
                               uint32_t h)
{
    for (cache_entry *e = c->buckets[h & (c->nbuckets - 1)]; e; e = e->hnext)
        if (e->hash == h && e->type == type && name_eq(e->name, name))
            return e;
    return NULL;
}

void gosip__dns_cache_free(gosip__dns_cache *c)
{
    if (!c)
        return;
    while (c->lru_head)
        entry_remove(c, c->lru_head);
    gosip__mem_free(c->mem, c->buckets);
    gosip__mem_free(c->mem, c->view_rr);
    gosip__mem_free(c->mem, c);
}

size_t gosip__dns_cache_count(const gosip__dns_cache *c)
{
    return c ? c->count : 0;
}

static size_t rr_strings_len(const gosip__dns_rr *r)
{
    return r->flags.n + r->service.n + r->regexp.n + r->target.n;
}

/* Copies s to *pos and points d at the copy; absent strings stay absent. */
static void copy_str(gosip_str *d, gosip_str s, char **pos)
{
    if (!s.p) {
        *d = GOSIP_STR_NULL;
        return;
    }
    if (s.n)
        memcpy(*pos, s.p, s.n);
    d->p = *pos;
    d->n = s.n;
    *pos += s.n;
}

/* One allocation: the entry, its records, the name and the records' strings. */
static cache_entry *entry_build(gosip__dns_cache *c, const char *name, const gosip__dns_answer *a)
{
    size_t nlen = strlen(name), slen = nlen + 1;
    for (size_t i = 0; i < a->n; i++)
        slen += rr_strings_len(&a->rr[i]);
    if (a->n > (SIZE_MAX - sizeof(cache_entry) - slen) / sizeof(gosip__dns_rr))
        return NULL;
    cache_entry *e = gosip__mem_calloc(c->mem, 1, sizeof *e + a->n * sizeof(gosip__dns_rr) + slen);
    if (!e)
        return NULL;
    char *pos = (char *)(e->rr + a->n);
    for (size_t i = 0; i < nlen; i++)
        pos[i] = ascii_lower(name[i]);
    pos[nlen] = '\0';
    e->name = pos;
    pos += nlen + 1;
    for (size_t i = 0; i < a->n; i++) {
        e->rr[i] = a->rr[i];
        copy_str(&e->rr[i].flags, a->rr[i].flags, &pos);
        copy_str(&e->rr[i].service, a->rr[i].service, &pos);
        copy_str(&e->rr[i].regexp, a->rr[i].regexp, &pos);
        copy_str(&e->rr[i].target, a->rr[i].target, &pos);
    }
    e->ans.status = a->status;
    e->ans.rr = e->rr;
    e->ans.n = a->n;
    return e;
}

/* The lifetime of an answer in seconds: its smallest TTL, or the negative TTL. */
static uint32_t answer_ttl(const gosip__dns_cache *c, const gosip__dns_answer *a)
{
    if (a->status == GOSIP_ERR_NOT_FOUND || a->n == 0)
        return c->neg_ttl;
    uint32_t ttl = UINT32_MAX;
    for (size_t i = 0; i < a->n; i++)
        if (a->rr[i].ttl < ttl)
            ttl = a->rr[i].ttl;
    return ttl;
}

int gosip__dns_cache_put(gosip__dns_cache *c, const char *name, gosip__dns_type type,
                         const gosip__dns_answer *a, gosip_tstamp now)
{
    if (!c || !name || !a || (a->n && !a->rr))
        return GOSIP_ERR_INVALID_ARG;
    if (a->status != 0 && a->status != GOSIP_ERR_NOT_FOUND)
        return 0;
    uint32_t ttl = answer_ttl(c, a);
    if (ttl == 0)
        return 0;
    cache_entry *e = entry_build(c, name, a);
    if (!e)
        return GOSIP_ERR_NOMEM;
    e->type = type;
    e->hash = key_hash(name, type);
    e->stored = now;
    e->expires = now + GOSIP_SEC(ttl);
    cache_entry *old = entry_find(c, name, type, e->hash);
    if (old)
        entry_remove(c, old);
    while (c->count >= c->max && c->lru_tail)
        entry_remove(c, c->lru_tail);
    cache_entry **b = &c->buckets[e->hash & (c->nbuckets - 1)];
    e->hnext = *b;
    *b = e;
    lru_push_front(c, e);
    c->count++;
    return 0;
}

/* Fills the view with the entry's records, TTLs reduced by the time spent in the cache,
 * so that a consumer that caches again (or reports TTLs) never extends a lifetime. */
static const gosip__dns_answer *entry_view(gosip__dns_cache *c, const cache_entry *e,
                                           gosip_tstamp now)
{
    if (e->ans.n > c->view_cap) {
        gosip__dns_rr *v = gosip__mem_realloc(c->mem, c->view_rr, e->ans.n * sizeof *v);
        if (!v)
            return &e->ans; /* original TTLs: still correct records */
        c->view_rr = v;
        c->view_cap = e->ans.n;
    }
    uint64_t spent = (now - e->stored) / GOSIP_SEC(1);
    for (size_t i = 0; i < e->ans.n; i++) {
        c->view_rr[i] = e->rr[i];
        c->view_rr[i].ttl = e->rr[i].ttl > spent ? (uint32_t)(e->rr[i].ttl - spent) : 0;
    }
    c->view = e->ans;
    c->view.rr = c->view_rr;
    return &c->view;
}

const gosip__dns_answer *gosip__dns_cache_get(gosip__dns_cache *c, const char *name,
                                              gosip__dns_type type, gosip_tstamp now)
{
    if (!c || !name)
        return NULL;
    cache_entry *e = entry_find(c, name, type, key_hash(name, type));
    if (!e)
        return NULL;
    if (now >= e->expires || now < e->stored) {
        entry_remove(c, e);
        return NULL;
    }
    lru_unlink(c, e);
    lru_push_front(c, e);
    return entry_view(c, e, now);
}

/* ================================================================ RFC 2782 ordering */

/* Stable: equal priorities keep their order, so the weighted pick below is the only
 * source of variation. n is small (bounded by GOSIP__LOCATE_MAX_SRV_RR). */
static void sort_by_priority(gosip__dns_rr *rr, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        gosip__dns_rr t = rr[i];
        size_t j = i;
        for (; j > 0 && rr[j - 1].priority > t.priority; j--)
            rr[j] = rr[j - 1];
        rr[j] = t;
    }
}

/* Moves rr[k] to rr[i] shifting rr[i..k) up by one, keeping the others' order. */
static void move_to(gosip__dns_rr *rr, size_t i, size_t k)
{
    gosip__dns_rr t = rr[k];
    for (; k > i; k--)
        rr[k] = rr[k - 1];
    rr[i] = t;
}

static void order_group(gosip__dns_rr *rr, size_t n, gosip__random_fn rnd, void *ud)
{
    for (size_t i = 0; i + 1 < n; i++) {
        /* RFC 2782: weight-0 records first among those not yet ordered. */
        size_t z = i;
        for (size_t k = i; k < n; k++)
            if (rr[k].weight == 0)
                move_to(rr, z++, k);
        uint64_t sum = 0;
        for (size_t k = i; k < n; k++)
            sum += rr[k].weight;
        uint64_t r = (uint64_t)rnd(ud) % (sum + 1), run = 0;
        size_t pick = n - 1;
        for (size_t k = i; k < n; k++) {
            run += rr[k].weight;
            if (run >= r) {
                pick = k;
                break;
            }
        }
        move_to(rr, i, pick);
    }
}

void gosip__srv_order(gosip__dns_rr *rr, size_t n, gosip__random_fn rnd, void *ud)
{
    if (!rr || n < 2)
        return;
    sort_by_priority(rr, n);
    for (size_t a = 0; a < n;) {
        size_t b = a + 1;
        while (b < n && rr[b].priority == rr[a].priority)
            b++;
        order_group(rr + a, b - a, rnd, ud);
        a = b;
    }
}

/* ================================================================ the planner */

typedef enum phase { PH_NAPTR, PH_SRV, PH_ADDR, PH_DONE } phase;

/* A name to query: an SRV owner name with the transport it stands for, or a host with
 * the port and transport its addresses get. */
typedef struct job {
    char *name;
    uint16_t port;
    gosip_tp_kind kind;
} job;

struct gosip__locate {
    const gosip_mem *mem;
    gosip__random_fn rnd;
    void *rnd_ud;
    uint32_t rnd_state;
    int sips;
    char *target;           /* TARGET: maddr or host, brackets stripped */
    gosip_tp_kind fallback; /* transport of the A/AAAA fallback */
    phase ph;
    int awaiting;             /* `pending` was returned and awaits its answer */
    gosip__dns_query pending; /* the query (or cache probe) being answered */
    gosip__dns_type qtype;    /* A or AAAA: the next address query of a host */
    job srv[GOSIP__LOCATE_MAX_SRV_NAMES];
    size_t n_srv, i_srv;
    job *hosts; /* max_targets of them */
    size_t n_hosts, i_host;
    gosip_target *targets; /* max_targets of them */
    size_t n_targets, max_targets;
};

uint16_t gosip__locate_default_port(gosip_tp_kind kind)
{
    return kind == GOSIP_TP_TLS ? 5061 : 5060;
}

static uint32_t xorshift32(void *ud)
{
    uint32_t *s = ud;
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static char *dup_name(const gosip_mem *mem, const char *p, size_t n)
{
    /* DNS names end without the root dot: "example.com." and "example.com" are one. */
    if (n > 1 && p[n - 1] == '.')
        n--;
    char *s = gosip__mem_malloc(mem, n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

/* Parses the numeric TARGET, if it is one; 1 when it was. */
static int numeric_addr(const char *host, gosip_addr *out)
{
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, host, out->ip) == 1) {
        out->family = 4;
        return 1;
    }
    if (inet_pton(AF_INET6, host, out->ip) == 1) {
        out->family = 6;
        return 1;
    }
    return 0;
}

/* The transport parameter: 0 and *kind set, 1 when absent, or an error. */
static int transport_param(const gosip_uri *uri, int sips, gosip_tp_kind *kind)
{
    const gosip_param *p = gosip_uri_param(uri, "transport");
    if (!p || !p->value.p)
        return 1;
    if (gosip_str_caseeq_cstr(p->value, "udp")) {
        if (sips)
            return GOSIP_ERR_UNSUPPORTED; /* sips needs TLS, and TLS needs a stream */
        *kind = GOSIP_TP_UDP;
    } else if (gosip_str_caseeq_cstr(p->value, "tcp")) {
        *kind = sips ? GOSIP_TP_TLS : GOSIP_TP_TCP;
    } else if (gosip_str_caseeq_cstr(p->value, "tls")) {
        *kind = GOSIP_TP_TLS; /* RFC 2543 style, still seen */
    } else {
        return GOSIP_ERR_UNSUPPORTED; /* sctp, ws, wss...: not a transport of ours */
    }
    return 0;
}

static int same_addr(const gosip_addr *a, const gosip_addr *b)
{
    return a->family == b->family && a->port == b->port &&
           memcmp(a->ip, b->ip, a->family == 4 ? 4 : 16) == 0;
}

static int add_target(gosip__locate *l, gosip_tp_kind kind, const gosip_addr *a, uint16_t port,
                      const char *host)
{
    gosip_addr addr = *a;
    addr.port = port;
    for (size_t i = 0; i < l->n_targets; i++)
        if (l->targets[i].kind == kind && same_addr(&l->targets[i].addr, &addr))
            return 0;
    if (l->n_targets == l->max_targets)
        return 0;
    gosip_target *t = &l->targets[l->n_targets++];
    t->kind = kind;
    t->addr = addr;
    t->host = gosip_str_from_cstr(host);
    return 0;
}

static int add_host(gosip__locate *l, const char *p, size_t n, uint16_t port, gosip_tp_kind kind)
{
    if (n == 0 || (n == 1 && p[0] == '.'))
        return 0; /* "." : the service is decidedly not available there (RFC 2782) */
    if (l->n_hosts == l->max_targets)
        return 0;
    char *name = dup_name(l->mem, p, n);
    if (!name)
        return GOSIP_ERR_NOMEM;
    l->hosts[l->n_hosts++] = (job){name, port, kind};
    return 0;
}

static int add_srv(gosip__locate *l, const char *prefix, const char *p, size_t n,
                   gosip_tp_kind kind)
{
    if (l->n_srv == GOSIP__LOCATE_MAX_SRV_NAMES || n == 0)
        return 0;
    size_t plen = strlen(prefix);
    char *name = gosip__mem_malloc(l->mem, plen + n + 1);
    if (!name)
        return GOSIP_ERR_NOMEM;
    memcpy(name, prefix, plen);
    memcpy(name + plen, p, n);
    name[plen + n] = '\0';
    if (n > 1 && name[plen + n - 1] == '.')
        name[plen + n - 1] = '\0';
    l->srv[l->n_srv++] = (job){name, 0, kind};
    return 0;
}

/* The SRV names for a transport (RFC 3263 4.1: _sips for TLS, over TCP). */
static const char *srv_prefix(gosip_tp_kind kind)
{
    switch (kind) {
    case GOSIP_TP_TLS:
        return "_sips._tcp.";
    case GOSIP_TP_TCP:
        return "_sip._tcp.";
    default:
        return "_sip._udp.";
    }
}

/* The transports to look up when NAPTR gave nothing usable, most wanted first. */
static int add_default_srv(gosip__locate *l)
{
    static const gosip_tp_kind order[] = {GOSIP_TP_TLS, GOSIP_TP_TCP, GOSIP_TP_UDP};
    size_t n = l->sips ? 1 : 3;
    for (size_t i = 0; i < n; i++) {
        int rc = add_srv(l, srv_prefix(order[i]), l->target, strlen(l->target), order[i]);
        if (rc)
            return rc;
    }
    return 0;
}

/* Decides the first step from the URI alone (RFC 3263 4.1 and 4.2). */
static int plan(gosip__locate *l, const gosip_uri *uri, uint16_t port, int have_port)
{
    gosip_tp_kind kind = l->sips ? GOSIP_TP_TLS : GOSIP_TP_UDP;
    int rc = transport_param(uri, l->sips, &kind);
    if (rc < 0)
        return rc;
    int explicit_kind = rc == 0;
    l->fallback = kind;
    gosip_addr a;
    if (numeric_addr(l->target, &a)) {
        l->ph = PH_DONE;
        return add_target(l, kind, &a, have_port ? port : gosip__locate_default_port(kind),
                          l->target);
    }
    if (have_port) {
        l->ph = PH_ADDR;
        return add_host(l, l->target, strlen(l->target), port, kind);
    }
    if (explicit_kind) {
        l->ph = PH_SRV;
        return add_srv(l, srv_prefix(kind), l->target, strlen(l->target), kind);
    }
    l->ph = PH_NAPTR;
    return 0;
}

void gosip__locate_free(gosip__locate *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n_srv; i++)
        gosip__mem_free(l->mem, l->srv[i].name);
    for (size_t i = 0; i < l->n_hosts; i++)
        gosip__mem_free(l->mem, l->hosts[i].name);
    gosip__mem_free(l->mem, l->hosts);
    gosip__mem_free(l->mem, l->targets);
    gosip__mem_free(l->mem, l->target);
    gosip__mem_free(l->mem, l);
}

/* TARGET (RFC 3263 4.1): maddr when present, else the host; IPv6 brackets dropped. */
static int target_name(const gosip_uri *uri, gosip_str *out)
{
    const gosip_param *maddr = gosip_uri_param(uri, "maddr");
    gosip_str h = (maddr && maddr->value.p && maddr->value.n) ? maddr->value : uri->host;
    if (h.n >= 2 && h.p[0] == '[' && h.p[h.n - 1] == ']') {
        h.p++;
        h.n -= 2;
    }
    if (!h.p || h.n == 0 || h.n > 253 || memchr(h.p, '\0', h.n))
        return GOSIP_ERR_INVALID_ARG;
    *out = h;
    return 0;
}

int gosip__locate_new(gosip__locate **out, const gosip_uri *uri, const gosip__locate_config *cfg)
{
    if (!out || !uri || (uri->scheme != GOSIP_URI_SIP && uri->scheme != GOSIP_URI_SIPS))
        return GOSIP_ERR_INVALID_ARG;
    gosip_str host;
    int rc = target_name(uri, &host);
    if (rc)
        return rc;
    const gosip_mem *mem = cfg ? cfg->mem : NULL;
    gosip__locate *l = gosip__mem_calloc(mem, 1, sizeof *l);
    if (!l)
        return GOSIP_ERR_NOMEM;
    l->mem = mem;
    l->max_targets = cfg && cfg->max_targets ? cfg->max_targets : GOSIP__LOCATE_DEFAULT_MAX_TARGETS;
    l->rnd = cfg && cfg->rnd ? cfg->rnd : xorshift32;
    l->rnd_state = 2463534242u;
    l->rnd_ud = cfg && cfg->rnd ? cfg->rnd_ud : &l->rnd_state;
    l->sips = uri->scheme == GOSIP_URI_SIPS;
    l->target = dup_name(mem, host.p, host.n);
    l->hosts = gosip__mem_calloc(mem, l->max_targets, sizeof *l->hosts);
    l->targets = gosip__mem_calloc(mem, l->max_targets, sizeof *l->targets);
    rc = (l->target && l->hosts && l->targets) ? 0 : GOSIP_ERR_NOMEM;
    if (!rc && (uri->port > 65535))
        rc = GOSIP_ERR_INVALID_ARG;
    if (!rc)
        rc = plan(l, uri, (uint16_t)(uri->port < 0 ? 0 : uri->port), uri->port >= 0);
    if (rc) {
        gosip__locate_free(l);
        return rc;
    }
    *out = l;
    return 0;
}

/* ---------------------------------------------------------------- consuming answers */

/* A NAPTR record's transport, when it is one this client supports for this URI. */
static int naptr_kind(const gosip__locate *l, const gosip__dns_rr *r, gosip_tp_kind *kind)
{
    if (!gosip_str_caseeq_cstr(r->flags, "s") || r->regexp.n != 0 || r->target.n == 0)
        return 0;
    if (gosip_str_caseeq_cstr(r->service, "SIPS+D2T"))
        *kind = GOSIP_TP_TLS;
    else if (l->sips)
        return 0; /* a sips URI must not be reached without TLS */
    else if (gosip_str_caseeq_cstr(r->service, "SIP+D2T"))
        *kind = GOSIP_TP_TCP;
    else if (gosip_str_caseeq_cstr(r->service, "SIP+D2U"))
        *kind = GOSIP_TP_UDP;
    else
        return 0;
    return 1;
}

static int naptr_before(const gosip__dns_rr *a, const gosip__dns_rr *b)
{
    return a->order != b->order ? a->order < b->order : a->pref < b->pref;
}

static int take_naptr(gosip__locate *l, const gosip__dns_answer *a)
{
    /* Selection by (order, preference) among the usable records, without reordering
     * the caller's array: repeatedly take the smallest not yet taken. */
    uint8_t taken[64] = {0};
    size_t n = a->status != 0 ? 0 : (a->n < 64 ? a->n : 64);
    for (;;) {
        const gosip__dns_rr *best = NULL;
        size_t bi = 0;
        gosip_tp_kind kind = GOSIP_TP_UDP, bk = GOSIP_TP_UDP;
        for (size_t i = 0; i < n; i++)
            if (!taken[i] && naptr_kind(l, &a->rr[i], &kind) &&
                (!best || naptr_before(&a->rr[i], best))) {
                best = &a->rr[i];
                bi = i;
                bk = kind;
            }
        if (!best)
            break;
        taken[bi] = 1;
        if (l->n_srv == 0)
            l->fallback = bk; /* RFC 3263 4.2: "the transport protocol determined previously" */
        int rc = add_srv(l, "", best->target.p, best->target.n, bk);
        if (rc)
            return rc;
    }
    l->ph = PH_SRV;
    return l->n_srv ? 0 : add_default_srv(l);
}

static int take_srv(gosip__locate *l, const gosip__dns_answer *a)
{
    gosip__dns_rr rr[GOSIP__LOCATE_MAX_SRV_RR];
    size_t n = 0;
    for (size_t i = 0; a->status == 0 && i < a->n && n < GOSIP__LOCATE_MAX_SRV_RR; i++)
        rr[n++] = a->rr[i];
    gosip__srv_order(rr, n, l->rnd, l->rnd_ud);
    gosip_tp_kind kind = l->srv[l->i_srv].kind;
    l->i_srv++;
    for (size_t i = 0; i < n; i++) {
        int rc = add_host(l, rr[i].target.p, rr[i].target.n, rr[i].port, kind);
        if (rc)
            return rc;
    }
    return 0;
}

static int take_addr(gosip__locate *l, const gosip__dns_answer *a)
{
    const job *h = &l->hosts[l->i_host];
    uint8_t family = l->pending.type == GOSIP__DNS_A ? 4 : 6;
    for (size_t i = 0; a->status == 0 && i < a->n; i++)
        if (a->rr[i].addr.family == family) {
            int rc = add_target(l, h->kind, &a->rr[i].addr, h->port, h->name);
            if (rc)
                return rc;
        }
    if (l->pending.type == GOSIP__DNS_AAAA)
        l->i_host++;
    l->qtype = l->pending.type == GOSIP__DNS_A ? GOSIP__DNS_AAAA : GOSIP__DNS_A;
    return 0;
}

static int consume(gosip__locate *l, const gosip__dns_answer *a)
{
    switch (l->ph) {
    case PH_NAPTR:
        return take_naptr(l, a);
    case PH_SRV:
        return take_srv(l, a);
    case PH_ADDR:
        return take_addr(l, a);
    default:
        return GOSIP_ERR_STATE;
    }
}

/* The query the current phase needs, or 0 when the phase is over (and moved on). */
static int current_query(gosip__locate *l, gosip__dns_query *q)
{
    switch (l->ph) {
    case PH_NAPTR:
        *q = (gosip__dns_query){l->target, GOSIP__DNS_NAPTR};
        return 1;
    case PH_SRV:
        if (l->i_srv < l->n_srv) {
            *q = (gosip__dns_query){l->srv[l->i_srv].name, GOSIP__DNS_SRV};
            return 1;
        }
        l->ph = PH_ADDR;
        l->qtype = GOSIP__DNS_A;
        if (l->n_hosts == 0) {
            /* No SRV record at all: A/AAAA of TARGET (RFC 3263 4.2). */
            int rc = add_host(l, l->target, strlen(l->target),
                              gosip__locate_default_port(l->fallback), l->fallback);
            if (rc)
                return rc;
        }
        return 0;
    case PH_ADDR:
        if (l->i_host < l->n_hosts) {
            if (l->qtype != GOSIP__DNS_AAAA)
                l->qtype = GOSIP__DNS_A;
            *q = (gosip__dns_query){l->hosts[l->i_host].name, l->qtype};
            return 1;
        }
        l->ph = PH_DONE;
        return 0;
    default:
        return 0;
    }
}

int gosip__locate_next(gosip__locate *l, gosip__dns_cache *cache, gosip_tstamp now,
                       gosip__dns_query *q)
{
    if (!l || !q)
        return GOSIP_ERR_INVALID_ARG;
    if (l->awaiting)
        return GOSIP_ERR_STATE;
    while (l->ph != PH_DONE) {
        int rc = current_query(l, q);
        if (rc < 0)
            return rc;
        if (rc == 0)
            continue;
        l->pending = *q;
        const gosip__dns_answer *hit = gosip__dns_cache_get(cache, q->name, q->type, now);
        if (!hit) {
            l->awaiting = 1;
            return 1;
        }
        rc = consume(l, hit);
        if (rc)
            return rc;
    }
    return l->n_targets ? 0 : GOSIP_ERR_RESOLVE;
}

int gosip__locate_answer(gosip__locate *l, gosip__dns_cache *cache, gosip_tstamp now,
                         const gosip__dns_answer *a)
{
    if (!l || !a)
        return GOSIP_ERR_INVALID_ARG;
    if (!l->awaiting)
        return GOSIP_ERR_STATE;
    l->awaiting = 0;
    /* A failed put only costs a query later: not an error of the location. */
    (void)gosip__dns_cache_put(cache, l->pending.name, l->pending.type, a, now);
    return consume(l, a);
}

void gosip__locate_targets(const gosip__locate *l, const gosip_target **targets, size_t *n)
{
    *targets = l ? l->targets : NULL;
    *n = l ? l->n_targets : 0;
}
