/*
 * Transaction index: the keyed hash, the two chained tables (primary keys of client and
 * server transactions; merged-request keys) and the RFC 3261 and client rules. The
 * RFC 2543 and merged-request keys, and the field comparisons, are in index_legacy.c.
 */
#include "txn/index.h"

/* Flags in the low bits of an entry's primary key; the hash takes the bits above, so one
 * comparison checks the hash and the kind of key at once. */
#define E_CLIENT 1u
#define E_LEGACY 2u
#define E_MERGED 4u /* also chained in the merged-request table */
#define E_FLAGS 7u

#define MIN_BUCKETS ((size_t)64)
/* Primary bucket numbers come from 29 hash bits: the tables stop growing there. */
#define MAX_BUCKETS ((size_t)1 << 29)

/* Kept small (40 bytes on LP64): 100,000 live transactions are the expected load. */
struct gosip__txn_entry {
    gosip__txn_entry *next;  /* primary chain */
    gosip__txn_entry *mnext; /* merged-request chain (E_MERGED only) */
    gosip_msg *req;
    void *txn;
    uint32_t key;  /* primary hash in bits 3..31, E_* flags below */
    uint32_t mkey; /* merged-request hash */
};

typedef struct table {
    gosip__txn_entry **b; /* NULL until the first entry */
    size_t nb;            /* buckets, a power of two (or 0) */
    size_t n;             /* entries */
} table;

struct gosip__txn_index {
    const gosip_mem *mem;
    gosip__txn_last_response_fn last_response;
    uint64_t key[2];
    table main, merged;
};

/* ---------------------------------------------------------------- SipHash-2-4, streamed */

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

static void sip_round(gosip__txn_hash *h)
{
    h->v0 += h->v1;
    h->v1 = ROTL(h->v1, 13) ^ h->v0;
    h->v0 = ROTL(h->v0, 32);
    h->v2 += h->v3;
    h->v3 = ROTL(h->v3, 16) ^ h->v2;
    h->v0 += h->v3;
    h->v3 = ROTL(h->v3, 21) ^ h->v0;
    h->v2 += h->v1;
    h->v1 = ROTL(h->v1, 17) ^ h->v2;
    h->v2 = ROTL(h->v2, 32);
}

static void sip_word(gosip__txn_hash *h, uint64_t m)
{
    h->v3 ^= m;
    sip_round(h);
    sip_round(h);
    h->v0 ^= m;
}

static void sip_byte(gosip__txn_hash *h, unsigned char c)
{
    h->tail |= (uint64_t)c << (8 * h->ntail);
    h->len++;
    if (++h->ntail == 8) {
        sip_word(h, h->tail);
        h->tail = 0;
        h->ntail = 0;
    }
}

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c | 0x20) : c;
}

/* Eight bytes at once, the same result as lower() on each (bytes >= 0x80 untouched). */
static uint64_t lower8(uint64_t w)
{
    const uint64_t hi = 0x8080808080808080u;
    uint64_t low7 = w & ~hi;
    uint64_t upper = ((low7 + 0x3f3f3f3f3f3f3f3fu) ^ (low7 + 0x2525252525252525u)) & ~w & hi;
    return w | (upper >> 2);
}

static uint64_t load_le(const char *p)
{
    uint64_t w = 0;
    for (unsigned i = 0; i < 8; i++)
        w |= (uint64_t)(unsigned char)p[i] << (8 * i);
    return w;
}

static void sip_bytes(gosip__txn_hash *h, const char *p, size_t n, int fold)
{
    for (; n && h->ntail; p++, n--)
        sip_byte(h, fold ? lower((unsigned char)*p) : (unsigned char)*p);
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w = load_le(p);
        sip_word(h, fold ? lower8(w) : w);
        h->len += 8;
    }
    for (; n; p++, n--)
        sip_byte(h, fold ? lower((unsigned char)*p) : (unsigned char)*p);
}

void gosip__txn_hash_init(gosip__txn_hash *h, const uint64_t key[2], unsigned char domain)
{
    h->v0 = key[0] ^ 0x736f6d6570736575u;
    h->v1 = key[1] ^ 0x646f72616e646f6du;
    h->v2 = key[0] ^ 0x6c7967656e657261u;
    h->v3 = key[1] ^ 0x7465646279746573u;
    h->tail = 0;
    h->ntail = 0;
    h->len = 0;
    sip_byte(h, domain);
}

void gosip__txn_hash_u64(gosip__txn_hash *h, uint64_t v)
{
    char b[8];
    for (unsigned i = 0; i < 8; i++)
        b[i] = (char)(v >> (8 * i));
    sip_bytes(h, b, 8, 0);
}

/* The length goes first so that moving bytes from one field to the next changes the hash:
 * without it such collisions would not depend on the key. */
void gosip__txn_hash_str(gosip__txn_hash *h, gosip_str s, int fold)
{
    gosip__txn_hash_u64(h, s.p ? (uint64_t)s.n : UINT64_MAX);
    if (s.p)
        sip_bytes(h, s.p, s.n, fold);
}

void gosip__txn_hash_method(gosip__txn_hash *h, gosip__txn_method m)
{
    gosip__txn_hash_u64(h, (uint64_t)m.id);
    if (m.id == GOSIP_METHOD_UNKNOWN)
        gosip__txn_hash_str(h, m.name, 0);
}

uint32_t gosip__txn_hash_end(gosip__txn_hash *h)
{
    uint64_t b = (h->len << 56) | h->tail;
    h->v3 ^= b;
    sip_round(h);
    sip_round(h);
    h->v0 ^= b;
    h->v2 ^= 0xff;
    for (int i = 0; i < 4; i++)
        sip_round(h);
    uint64_t r = h->v0 ^ h->v1 ^ h->v2 ^ h->v3;
    return (uint32_t)(r ^ (r >> 32));
}

static gosip__txn_method req_method(const gosip_msg *m)
{
    gosip__txn_method r = {gosip_msg_method(m), gosip_msg_method_name(m)};
    return r;
}

static gosip__txn_method invite_method(void)
{
    gosip__txn_method r = {GOSIP_METHOD_INVITE, GOSIP_STR("INVITE")};
    return r;
}

static int has_cookie(gosip_str branch)
{
    gosip_str head = {branch.p, 7};
    return branch.p && branch.n >= 7 && gosip_str_caseeq(head, GOSIP_STR("z9hG4bK"));
}

/* ---------------------------------------------------------------- tables */

static gosip__txn_entry **link_of(gosip__txn_entry *e, int merged)
{
    return merged ? &e->mnext : &e->next;
}

static size_t slot_for(uint32_t key, int merged, size_t nb)
{
    return (merged ? key : key >> 3) & (nb - 1);
}

static size_t slot_of(const gosip__txn_entry *e, int merged, size_t nb)
{
    return slot_for(merged ? e->mkey : e->key, merged, nb);
}

static int table_resize(const gosip_mem *mem, table *t, int merged, size_t nb)
{
    gosip__txn_entry **b = mem->calloc(nb, sizeof *b, mem->user_data);
    if (!b)
        return GOSIP_ERR_NOMEM;
    for (size_t i = 0; i < t->nb; i++) {
        gosip__txn_entry *e = t->b[i];
        while (e) {
            gosip__txn_entry *next = *link_of(e, merged);
            size_t s = slot_of(e, merged, nb);
            *link_of(e, merged) = b[s];
            b[s] = e;
            e = next;
        }
    }
    if (t->b)
        mem->free(t->b, mem->user_data);
    t->b = b;
    t->nb = nb;
    return 0;
}

/* Room for one more entry at a load factor of at most 1, so chains stay short. Growing
 * changes no lookup result, so a later failure needs no undo. */
static int table_reserve(const gosip_mem *mem, table *t, int merged)
{
    if (t->n < t->nb || t->nb >= MAX_BUCKETS)
        return 0;
    return table_resize(mem, t, merged, t->nb ? t->nb * 2 : MIN_BUCKETS);
}

static void table_insert(table *t, gosip__txn_entry *e, int merged)
{
    size_t s = slot_of(e, merged, t->nb);
    *link_of(e, merged) = t->b[s];
    t->b[s] = e;
    t->n++;
}

/* Shrinks at 1/8 load so that a burst of transactions does not pin its table; a failed
 * shrink only keeps the larger table. */
static void table_unlink(const gosip_mem *mem, table *t, gosip__txn_entry *e, int merged)
{
    gosip__txn_entry **pp = &t->b[slot_of(e, merged, t->nb)];
    while (*pp && *pp != e)
        pp = link_of(*pp, merged);
    if (!*pp)
        return;
    *pp = *link_of(e, merged);
    t->n--;
    if (t->nb > MIN_BUCKETS && t->n < t->nb / 8)
        (void)table_resize(mem, t, merged, t->nb / 2);
}

static const gosip__txn_entry *chain(const table *t, uint32_t key, int merged)
{
    return t->nb ? t->b[slot_for(key, merged, t->nb)] : NULL;
}

/* ---------------------------------------------------------------- index */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

int gosip__txn_index_new(gosip__txn_index **out, const gosip_mem *mem, uint64_t seed,
                         gosip__txn_last_response_fn last_response)
{
    if (!out)
        return GOSIP_ERR_INVALID_ARG;
    if (!mem)
        mem = gosip_mem_default();
    gosip__txn_index *ix = mem->calloc(1, sizeof *ix, mem->user_data);
    if (!ix)
        return GOSIP_ERR_NOMEM;
    ix->mem = mem;
    ix->last_response = last_response;
    ix->key[0] = splitmix64(&seed);
    ix->key[1] = splitmix64(&seed);
    *out = ix;
    return 0;
}

static void entry_free(const gosip_mem *mem, gosip__txn_entry *e)
{
    gosip_msg_unref(e->req);
    mem->free(e, mem->user_data);
}

void gosip__txn_index_free(gosip__txn_index *ix)
{
    if (!ix)
        return;
    const gosip_mem *mem = ix->mem;
    for (size_t i = 0; i < ix->main.nb; i++) {
        gosip__txn_entry *e = ix->main.b[i];
        while (e) {
            gosip__txn_entry *next = e->next;
            entry_free(mem, e);
            e = next;
        }
    }
    if (ix->main.b)
        mem->free(ix->main.b, mem->user_data);
    if (ix->merged.b)
        mem->free(ix->merged.b, mem->user_data);
    mem->free(ix, mem->user_data);
}

size_t gosip__txn_index_count(const gosip__txn_index *ix)
{
    return ix ? ix->main.n : 0;
}

void gosip__txn_index_remove(gosip__txn_index *ix, gosip__txn_entry *e)
{
    if (!ix || !e)
        return;
    table_unlink(ix->mem, &ix->main, e, 0);
    if (e->key & E_MERGED)
        table_unlink(ix->mem, &ix->merged, e, 1);
    entry_free(ix->mem, e);
}

/* Adds e's tables room, then the entry itself: nothing changes unless all succeed. */
static int insert(gosip__txn_index *ix, gosip_msg *req, void *txn, uint32_t key, uint32_t mkey,
                  gosip__txn_entry **out)
{
    const gosip_mem *mem = ix->mem;
    if (table_reserve(mem, &ix->main, 0) ||
        ((key & E_MERGED) && table_reserve(mem, &ix->merged, 1)))
        return GOSIP_ERR_NOMEM;
    gosip__txn_entry *e = mem->malloc(sizeof *e, mem->user_data);
    if (!e)
        return GOSIP_ERR_NOMEM;
    e->req = gosip_msg_ref(req);
    e->txn = txn;
    e->key = key;
    e->mkey = mkey;
    table_insert(&ix->main, e, 0);
    if (key & E_MERGED)
        table_insert(&ix->merged, e, 1);
    if (out)
        *out = e;
    return 0;
}

/* ---------------------------------------------------------------- server transactions */

/* The method stays out of the key, so that a CANCEL finds the transaction it cancels
 * whatever that transaction's method (9.2); it is compared on every hit instead. */
static uint32_t server_hash(const gosip__txn_index *ix, const gosip_via *via)
{
    gosip__txn_hash h;
    gosip__txn_hash_init(&h, ix->key, 'S');
    gosip__txn_hash_str(&h, via->branch, 1);
    gosip__txn_hash_str(&h, via->host, 1);
    gosip__txn_hash_u64(&h, (uint64_t)(int64_t)via->port);
    return gosip__txn_hash_end(&h);
}

/* A request prepared for server lookups: its primary key, computed once. */
typedef struct probe {
    const gosip_msg *req;
    const gosip_via *via;
    gosip__txn_method method;    /* the method of the transaction it may belong to */
    gosip__txn_legacy_mode mode; /* CANCEL: any method but CANCEL itself */
    uint32_t want;               /* primary key with its flags, E_MERGED aside */
} probe;

static int probe_init(const gosip__txn_index *ix, const gosip_msg *req, gosip__txn_legacy_mode mode,
                      probe *pr)
{
    if (!ix || !req || !gosip_msg_is_request(req))
        return 0;
    pr->via = gosip_msg_via(req);
    if (!pr->via || !gosip_msg_cseq(req) || !gosip_msg_call_id(req).p)
        return 0;
    pr->req = req;
    pr->mode = mode;
    pr->method = req_method(req);
    /* 17.2.3: an ACK belongs to its INVITE */
    if (pr->method.id == GOSIP_METHOD_ACK)
        pr->method = invite_method();
    if (has_cookie(pr->via->branch))
        pr->want = server_hash(ix, pr->via) & ~E_FLAGS;
    else
        pr->want = (gosip__txn_legacy_hash(ix->key, req) & ~E_FLAGS) | E_LEGACY;
    return 1;
}

static int server_hit(const gosip__txn_index *ix, const gosip__txn_entry *e, const probe *pr)
{
    if ((e->key & ~E_MERGED) != pr->want)
        return 0;
    if (e->key & E_LEGACY)
        return gosip__txn_legacy_match(e->req, e->txn, ix->last_response, pr->req, pr->mode);
    const gosip_via *v = gosip_msg_via(e->req);
    gosip__txn_method m = req_method(e->req);
    int method_ok = pr->mode == GOSIP__TXN_LEGACY_CANCEL ? m.id != GOSIP_METHOD_CANCEL
                                                         : gosip__txn_method_eq(m, pr->method);
    return method_ok && gosip__txn_opt_caseeq(v->branch, pr->via->branch) &&
           gosip__txn_opt_caseeq(v->host, pr->via->host) && v->port == pr->via->port;
}

static const gosip__txn_entry *find_server(const gosip__txn_index *ix, const probe *pr)
{
    for (const gosip__txn_entry *e = chain(&ix->main, pr->want, 0); e; e = e->next)
        if (server_hit(ix, e, pr))
            return e;
    return NULL;
}

/* The key leaves the method out (and RFC 2543 keys always did), so requests that differ
 * only in their method share it and one chain: a peer reusing a branch with ever new
 * method names would make that chain as long as it likes. A branch is unique per request
 * (8.1.1.7) apart from CANCEL, so a few per key are plenty. */
static int check_room(const gosip__txn_index *ix, const probe *pr)
{
    unsigned same = 0;
    for (const gosip__txn_entry *e = chain(&ix->main, pr->want, 0); e; e = e->next) {
        if (server_hit(ix, e, pr))
            return GOSIP_ERR_EXISTS;
        same += (e->key & ~E_MERGED) == pr->want;
    }
    return same >= GOSIP__TXN_MAX_PER_KEY ? GOSIP_ERR_LIMIT : 0;
}

int gosip__txn_index_add_server(gosip__txn_index *ix, gosip_msg *req, void *txn,
                                gosip__txn_entry **out)
{
    probe pr;
    if (!probe_init(ix, req, GOSIP__TXN_LEGACY_REQUEST, &pr) ||
        gosip_msg_method(req) == GOSIP_METHOD_ACK)
        return GOSIP_ERR_INVALID_ARG;
    int rc = check_room(ix, &pr); /* one walk of the chain: EXISTS, then LIMIT */
    if (rc != 0)
        return rc;
    uint32_t key = pr.want, mkey = 0;
    if (!gosip__txn_to_tag(req).p) {
        key |= E_MERGED;
        mkey = gosip__txn_merged_hash(ix->key, req);
    }
    return insert(ix, req, txn, key, mkey, out);
}

void *gosip__txn_index_match_server(const gosip__txn_index *ix, const gosip_msg *req)
{
    probe pr;
    if (!probe_init(ix, req, GOSIP__TXN_LEGACY_REQUEST, &pr))
        return NULL;
    const gosip__txn_entry *e = find_server(ix, &pr);
    return e ? e->txn : NULL;
}

/* A peer that reused the INVITE's branch for another request still has its INVITE
 * cancelled: an INVITE is preferred over other matches. */
void *gosip__txn_index_match_cancel(const gosip__txn_index *ix, const gosip_msg *cancel)
{
    probe pr;
    if (!probe_init(ix, cancel, GOSIP__TXN_LEGACY_CANCEL, &pr))
        return NULL;
    const gosip__txn_entry *first = NULL;
    for (const gosip__txn_entry *e = chain(&ix->main, pr.want, 0); e; e = e->next) {
        if (!server_hit(ix, e, &pr))
            continue;
        if (gosip_msg_method(e->req) == GOSIP_METHOD_INVITE)
            return e->txn;
        if (!first)
            first = e;
    }
    return first ? first->txn : NULL;
}

void *gosip__txn_index_match_merged(const gosip__txn_index *ix, const gosip_msg *req)
{
    probe pr;
    if (!probe_init(ix, req, GOSIP__TXN_LEGACY_REQUEST, &pr) ||
        gosip_msg_method(req) == GOSIP_METHOD_ACK || gosip__txn_to_tag(req).p)
        return NULL;
    uint32_t mkey = gosip__txn_merged_hash(ix->key, req);
    const gosip__txn_entry *first = NULL;
    for (const gosip__txn_entry *e = chain(&ix->merged, mkey, 1); e; e = e->mnext) {
        if (e->mkey != mkey || !gosip__txn_merged_eq(e->req, req))
            continue;
        if (server_hit(ix, e, &pr))
            return e->txn;
        if (!first)
            first = e;
    }
    return first ? first->txn : NULL;
}

/* ---------------------------------------------------------------- client transactions */

static uint32_t client_key(const gosip__txn_index *ix, gosip_str branch, gosip__txn_method m)
{
    gosip__txn_hash h;
    gosip__txn_hash_init(&h, ix->key, 'C');
    gosip__txn_hash_str(&h, branch, 1);
    gosip__txn_hash_method(&h, m);
    return (gosip__txn_hash_end(&h) & ~E_FLAGS) | E_CLIENT;
}

static const gosip__txn_entry *find_client(const gosip__txn_index *ix, gosip_str branch,
                                           gosip__txn_method m)
{
    if (!ix || !branch.p)
        return NULL;
    uint32_t key = client_key(ix, branch, m);
    for (const gosip__txn_entry *e = chain(&ix->main, key, 0); e; e = e->next) {
        if (e->key != key)
            continue;
        if (gosip__txn_opt_caseeq(gosip_msg_via(e->req)->branch, branch) &&
            gosip__txn_method_eq(req_method(e->req), m))
            return e;
    }
    return NULL;
}

int gosip__txn_index_add_client(gosip__txn_index *ix, gosip_msg *req, void *txn,
                                gosip__txn_entry **out)
{
    if (!ix || !req || !gosip_msg_is_request(req))
        return GOSIP_ERR_INVALID_ARG;
    const gosip_via *via = gosip_msg_via(req);
    gosip__txn_method m = req_method(req);
    if (!via || !via->branch.p || !gosip_msg_cseq(req) || m.id == GOSIP_METHOD_ACK)
        return GOSIP_ERR_INVALID_ARG;
    if (find_client(ix, via->branch, m))
        return GOSIP_ERR_EXISTS;
    return insert(ix, req, txn, client_key(ix, via->branch, m), 0, out);
}

void *gosip__txn_index_match_client(const gosip__txn_index *ix, const gosip_msg *resp)
{
    if (!resp || gosip_msg_is_request(resp))
        return NULL;
    const gosip_via *via = gosip_msg_via(resp);
    const gosip_cseq *cs = gosip_msg_cseq(resp);
    if (!via || !cs)
        return NULL;
    gosip__txn_method m = {cs->method, cs->method_name};
    const gosip__txn_entry *e = find_client(ix, via->branch, m);
    return e ? e->txn : NULL;
}

void *gosip__txn_index_find_client(const gosip__txn_index *ix, gosip_str branch, gosip_str method)
{
    gosip__txn_method m = {gosip_method_from_str(method), method};
    const gosip__txn_entry *e = find_client(ix, branch, m);
    return e ? e->txn : NULL;
}
