/*
 * The connection indexes: a hash table keyed by (kind, peer) for reuse, a hash table of
 * inbound connection counts per source IP, and a binary min-heap of deadlines. Each
 * change is O(1) or O(log n), so that ten thousand connections cost no more per event
 * than ten.
 */
#include "transport/tp_internal.h"

#include <string.h>

#define TABLE_MIN 64u

static uint32_t fnv(uint32_t h, const void *data, size_t n)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

static uint32_t ip_hash(const gosip_addr *a)
{
    uint32_t h = fnv(2166136261u, &a->family, 1);
    return fnv(h, a->ip, a->family == 4 ? 4 : 16);
}

static uint32_t conn_hash(gosip_tp_kind kind, const gosip_addr *peer)
{
    uint8_t k = (uint8_t)kind;
    uint32_t h = ip_hash(peer);
    h = fnv(h, &k, 1);
    return fnv(h, &peer->port, sizeof peer->port);
}

/* Doubles a table of chains; failure just keeps the longer chains (still correct). */
static void ctab_grow(gosip_transport *tp)
{
    size_t nsize = tp->ctab_size ? tp->ctab_size * 2 : TABLE_MIN;
    gosip_conn **n = gosip__mem_calloc(tp->cfg.mem, nsize, sizeof *n);
    if (!n)
        return;
    for (size_t i = 0; i < tp->ctab_size; i++) {
        for (gosip_conn *c = tp->ctab[i], *next; c; c = next) {
            next = c->hnext;
            size_t b = conn_hash(c->kind, &c->peer) & (nsize - 1);
            c->hnext = n[b];
            n[b] = c;
        }
    }
    gosip__mem_free(tp->cfg.mem, tp->ctab);
    tp->ctab = n;
    tp->ctab_size = nsize;
}

int gosip__ctab_add(gosip_transport *tp, gosip_conn *c)
{
    if (tp->ctab_count >= tp->ctab_size)
        ctab_grow(tp);
    if (!tp->ctab)
        return GOSIP_ERR_NOMEM;
    size_t b = conn_hash(c->kind, &c->peer) & (tp->ctab_size - 1);
    c->hnext = tp->ctab[b];
    tp->ctab[b] = c;
    tp->ctab_count++;
    c->in_table = 1;
    return 0;
}

void gosip__ctab_remove(gosip_transport *tp, gosip_conn *c)
{
    if (!c->in_table)
        return;
    size_t b = conn_hash(c->kind, &c->peer) & (tp->ctab_size - 1);
    for (gosip_conn **pp = &tp->ctab[b]; *pp; pp = &(*pp)->hnext) {
        if (*pp == c) {
            *pp = c->hnext;
            break;
        }
    }
    c->hnext = NULL;
    c->in_table = 0;
    tp->ctab_count--;
}

/* The newest open or opening connection of that kind to peer (the table holds no
 * closing ones). */
gosip_conn *gosip__conn_lookup(gosip_transport *tp, gosip_tp_kind kind, const gosip_addr *peer)
{
    if (!tp->ctab || !peer)
        return NULL;
    size_t b = conn_hash(kind, peer) & (tp->ctab_size - 1);
    for (gosip_conn *c = tp->ctab[b]; c; c = c->hnext)
        if (c->kind == kind && gosip_addr_equal(&c->peer, peer))
            return c;
    return NULL;
}

/* ---------------------------------------------------------------- per-source counts */

static gosip__src **src_slot(gosip_transport *tp, const gosip_addr *a)
{
    gosip__src **pp = &tp->stab[ip_hash(a) & (tp->stab_size - 1)];
    while (*pp) {
        gosip__src *s = *pp;
        if (s->family == a->family && memcmp(s->ip, a->ip, 16) == 0)
            break;
        pp = &s->next;
    }
    return pp;
}

/* Counts one more inbound connection from a's IP; REFUSED at the limit. */
int gosip__src_inc(gosip_transport *tp, const gosip_addr *a, unsigned limit)
{
    if (!tp->stab) {
        /* sized once: the number of sources is bounded by max_conns, and chains stay
         * short up to a few thousand distinct sources */
        size_t size = TABLE_MIN * 16;
        tp->stab = gosip__mem_calloc(tp->cfg.mem, size, sizeof *tp->stab);
        if (!tp->stab)
            return GOSIP_ERR_NOMEM;
        tp->stab_size = size;
    }
    gosip__src **pp = src_slot(tp, a);
    if (*pp) {
        if ((*pp)->count >= limit)
            return GOSIP_ERR_REFUSED;
        (*pp)->count++;
        return 0;
    }
    if (limit == 0)
        return GOSIP_ERR_REFUSED;
    gosip__src *s = gosip__mem_calloc(tp->cfg.mem, 1, sizeof *s);
    if (!s)
        return GOSIP_ERR_NOMEM;
    s->family = a->family;
    memcpy(s->ip, a->ip, 16);
    s->count = 1;
    *pp = s;
    return 0;
}

void gosip__src_dec(gosip_transport *tp, const gosip_addr *a)
{
    if (!tp->stab)
        return;
    gosip__src **pp = src_slot(tp, a);
    gosip__src *s = *pp;
    if (s && --s->count == 0) {
        *pp = s->next;
        gosip__mem_free(tp->cfg.mem, s);
    }
}

/* ---------------------------------------------------------------- deadline heap */

int gosip__heap_reserve(gosip_transport *tp, size_t n)
{
    if (n <= tp->heap_cap)
        return 0;
    size_t ncap = tp->heap_cap ? tp->heap_cap * 2 : 64;
    while (ncap < n)
        ncap *= 2;
    gosip_conn **h = gosip__mem_realloc(tp->cfg.mem, tp->heap, ncap * sizeof *h);
    if (!h)
        return GOSIP_ERR_NOMEM;
    tp->heap = h;
    tp->heap_cap = ncap;
    return 0;
}

static void heap_place(gosip_transport *tp, size_t i, gosip_conn *c)
{
    tp->heap[i] = c;
    c->heap_idx = i;
}

static void heap_up(gosip_transport *tp, size_t i)
{
    gosip_conn *c = tp->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (tp->heap[parent]->deadline <= c->deadline)
            break;
        heap_place(tp, i, tp->heap[parent]);
        i = parent;
    }
    heap_place(tp, i, c);
}

static void heap_down(gosip_transport *tp, size_t i)
{
    gosip_conn *c = tp->heap[i];
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        gosip_tstamp best = c->deadline;
        if (l < tp->heap_len && tp->heap[l]->deadline < best)
            best = tp->heap[(m = l)]->deadline;
        if (l + 1 < tp->heap_len && tp->heap[l + 1]->deadline < best)
            m = l + 1;
        if (m == i)
            break;
        heap_place(tp, i, tp->heap[m]);
        i = m;
    }
    heap_place(tp, i, c);
}

static void heap_remove(gosip_transport *tp, gosip_conn *c)
{
    size_t i = c->heap_idx;
    gosip_conn *last = tp->heap[--tp->heap_len];
    c->deadline = GOSIP_TSTAMP_NONE;
    if (last == c)
        return;
    heap_place(tp, i, last);
    heap_up(tp, i);
    heap_down(tp, last->heap_idx);
}

/* Sets c's deadline (NONE removes it). Never allocates: every live connection has a
 * slot reserved when it was created. */
void gosip__heap_set(gosip_transport *tp, gosip_conn *c, gosip_tstamp deadline)
{
    if (c->deadline == GOSIP_TSTAMP_NONE) {
        if (deadline == GOSIP_TSTAMP_NONE)
            return;
        c->deadline = deadline;
        heap_place(tp, tp->heap_len++, c);
        heap_up(tp, c->heap_idx);
        return;
    }
    if (deadline == GOSIP_TSTAMP_NONE) {
        heap_remove(tp, c);
        return;
    }
    gosip_tstamp old = c->deadline;
    c->deadline = deadline;
    if (deadline < old)
        heap_up(tp, c->heap_idx);
    else if (deadline > old)
        heap_down(tp, c->heap_idx);
}

gosip_tstamp gosip_tp_next_expiry(const gosip_transport *tp)
{
    if (!tp || tp->heap_len == 0)
        return GOSIP_TSTAMP_NONE;
    return tp->heap[0]->deadline;
}

void gosip__tables_free(gosip_transport *tp)
{
    const gosip_mem *mem = tp->cfg.mem;
    for (size_t i = 0; tp->stab && i < tp->stab_size; i++) {
        for (gosip__src *s = tp->stab[i], *next; s; s = next) {
            next = s->next;
            gosip__mem_free(mem, s);
        }
    }
    gosip__mem_free(mem, tp->stab);
    gosip__mem_free(mem, tp->ctab);
    gosip__mem_free(mem, tp->heap);
    tp->stab = NULL;
    tp->ctab = NULL;
    tp->heap = NULL;
}
