/*
 * RFC 3263 server location, sans-I/O: a planner that turns a sip/sips URI into the
 * ordered list of targets (transport, address, port, host name) to try, asking the
 * caller for one DNS query at a time, and a TTL cache of DNS answers.
 *
 * The planner never does I/O and never reads a clock: the caller (the libuv runtime in
 * src/uv/resolve.c, or a test) performs each query and passes `now` in, so tests run
 * every branch of RFC 3263 4.1/4.2 on fake answers and a virtual clock.
 *
 * Typical driving loop:
 *
 *     gosip__locate *l;
 *     gosip__locate_new(&l, uri, &cfg);
 *     for (;;) {
 *         gosip__dns_query q;
 *         int rc = gosip__locate_next(l, cache, now, &q);
 *         if (rc == 1) { ...query q.name / q.type..., gosip__locate_answer(l, cache, now, &a);
 * continue; } if (rc == 0) gosip__locate_targets(l, &targets, &n);   // ordered, n >= 1 break; //
 * rc < 0: RESOLVE, ...
 *     }
 *     gosip__locate_free(l);
 *
 * What it does, by URI (RFC 3263 4.1, 4.2):
 *  - TARGET is the maddr parameter when present, else the host.
 *  - numeric TARGET: one target, no DNS. Transport: the transport parameter, else UDP
 *    (TLS for sips); port: the URI's, else 5060 (5061 for TLS).
 *  - a name with an explicit port: A then AAAA of TARGET at that port; transport as for
 *    numeric hosts.
 *  - a name with a transport parameter and no port: the SRV query of that transport
 *    (_sips._tcp for TLS, _sip._tcp, _sip._udp), then A/AAAA of each SRV target.
 *  - otherwise NAPTR: records with flag "s", an empty regexp and a service this client
 *    supports (SIP+D2U, SIP+D2T, SIPS+D2T; a sips URI only SIPS+D2T), by order then
 *    preference. Every such record is followed (up to GOSIP__LOCATE_MAX_SRV_NAMES), so
 *    the list holds the targets of the preferred record first and the others after it:
 *    more to fail over to. No usable NAPTR: SRV queries _sips._tcp, _sip._tcp, _sip._udp
 *    (a sips URI: _sips._tcp only), in that order.
 *  - SRV records are ordered by priority, then weighted random (RFC 2782) with the
 *    injected random function; a target of "." is skipped.
 *  - no SRV record at all: A/AAAA of TARGET at the default port of the transport
 *    determined before (the first NAPTR record's, the transport parameter's, else UDP,
 *    TLS for sips).
 *  - addresses: A before AAAA for each host; duplicates (same transport, address and
 *    port) are dropped; at most max_targets targets.
 *  - a failed query (timeout, SERVFAIL, REFUSED) counts as "no records", so the next
 *    fallback is tried; only an empty final list is an error (GOSIP_ERR_RESOLVE).
 *
 * A target's host is the name its address was found under (the SRV target, or TARGET),
 * for TLS certificate checks (RFC 5922).
 */
#ifndef GOSIP_TRANSPORT_LOCATE_H
#define GOSIP_TRANSPORT_LOCATE_H

#include <gosip/base.h>
#include <gosip/msg.h>
#include <gosip/transport.h>

/* ---------------------------------------------------------------- DNS records */

typedef enum gosip__dns_type {
    GOSIP__DNS_A = 1,
    GOSIP__DNS_AAAA = 28,
    GOSIP__DNS_SRV = 33,
    GOSIP__DNS_NAPTR = 35 /* values are the DNS RR type numbers */
} gosip__dns_type;

/** One resource record of an answer; only the fields of its type are meaningful. */
typedef struct gosip__dns_rr {
    uint32_t ttl;                     /* seconds */
    uint16_t order, pref;             /* NAPTR */
    uint16_t priority, weight, port;  /* SRV */
    gosip_str flags, service, regexp; /* NAPTR */
    gosip_str target;                 /* SRV target; NAPTR replacement (no trailing dot) */
    gosip_addr addr;                  /* A / AAAA (port unused) */
} gosip__dns_rr;

/** The answer to one query. Strings are borrowed for the duration of the call. */
typedef struct gosip__dns_answer {
    int status; /* 0: rr[0..n) (n may be 0: no data); GOSIP_ERR_NOT_FOUND: NXDOMAIN or
                   no data (cached for the negative TTL); GOSIP_ERR_RESOLVE: the query
                   failed (timeout, SERVFAIL, REFUSED...: never cached) */
    const gosip__dns_rr *rr;
    size_t n;
} gosip__dns_answer;

/** A query to make: class IN, `name` without trailing dot, NUL-terminated. */
typedef struct gosip__dns_query {
    const char *name; /* valid until the next call on the planner */
    gosip__dns_type type;
} gosip__dns_query;

/* ---------------------------------------------------------------- the cache */

/** Answers by (name, type), expiring at their smallest TTL, bounded, LRU eviction. */
typedef struct gosip__dns_cache gosip__dns_cache;

#define GOSIP__DNS_CACHE_DEFAULT_MAX 1024u
#define GOSIP__DNS_DEFAULT_NEG_TTL 30u /* seconds; c-ares 1.18 does not hand us the SOA */

/**
 * Creates a cache of at most max_entries answers (0: GOSIP__DNS_CACHE_DEFAULT_MAX);
 * negative answers (NOT_FOUND) live neg_ttl seconds (0: not cached).
 * Errors: NOMEM.
 */
int gosip__dns_cache_new(gosip__dns_cache **out, const gosip_mem *mem, size_t max_entries,
                         uint32_t neg_ttl);
/** Frees the cache; NULL is a no-op. */
void gosip__dns_cache_free(gosip__dns_cache *c);
/** Entries held, expired ones included until they are looked up or evicted. */
size_t gosip__dns_cache_count(const gosip__dns_cache *c);
/**
 * Stores a copy of an answer for `name` (compared case-insensitively), replacing any
 * older one; when full, the least recently used entry goes. Answers with status
 * GOSIP_ERR_RESOLVE, or a smallest TTL of 0, are not stored (returns 0).
 * Errors: INVALID_ARG, NOMEM (the cache is unchanged).
 */
int gosip__dns_cache_put(gosip__dns_cache *c, const char *name, gosip__dns_type type,
                         const gosip__dns_answer *a, gosip_tstamp now);
/**
 * The answer for (name, type) when it has not expired at now, else NULL (an expired
 * entry is dropped). The result, its records and strings are valid until the next
 * put or free; its TTLs are the remaining ones.
 */
const gosip__dns_answer *gosip__dns_cache_get(gosip__dns_cache *c, const char *name,
                                              gosip__dns_type type, gosip_tstamp now);

/* ---------------------------------------------------------------- SRV ordering */

/** A random 32-bit number; injected so that tests are deterministic. */
typedef uint32_t (*gosip__random_fn)(void *ud);

/**
 * Orders SRV records in place as RFC 2782 says: ascending priority; within a priority,
 * repeatedly pick among the remaining records with probability proportional to weight
 * (weight-0 records first in the running sum, so they are picked rarely but can be),
 * using r = rnd(ud) % (sum + 1).
 */
void gosip__srv_order(gosip__dns_rr *rr, size_t n, gosip__random_fn rnd, void *ud);

/* ---------------------------------------------------------------- the planner */

typedef struct gosip__locate gosip__locate;

#define GOSIP__LOCATE_DEFAULT_MAX_TARGETS 16u
#define GOSIP__LOCATE_MAX_SRV_NAMES 4u /* NAPTR records followed */
#define GOSIP__LOCATE_MAX_SRV_RR 32u   /* SRV records used from one answer */

typedef struct gosip__locate_config {
    const gosip_mem *mem; /* NULL: the C library's */
    gosip__random_fn rnd; /* NULL: a fixed-seed xorshift (fine for tests only) */
    void *rnd_ud;
    size_t max_targets; /* 0: GOSIP__LOCATE_DEFAULT_MAX_TARGETS */
} gosip__locate_config;

/**
 * Starts locating uri (copied what is needed: uri may be freed on return). cfg may be
 * NULL. Errors: INVALID_ARG (not sip/sips, no host), UNSUPPORTED (a transport parameter
 * other than udp/tcp/tls, or sips with transport=udp), NOMEM.
 */
int gosip__locate_new(gosip__locate **out, const gosip_uri *uri, const gosip__locate_config *cfg);
void gosip__locate_free(gosip__locate *l);

/**
 * The next step. Answers found in cache (may be NULL) at now are used without asking.
 * Returns 1 with *q filled: make that query and pass its answer to
 * gosip__locate_answer(); 0: done, read gosip__locate_targets(); GOSIP_ERR_RESOLVE: no
 * target at all; GOSIP_ERR_STATE: an answer is awaited.
 */
int gosip__locate_next(gosip__locate *l, gosip__dns_cache *cache, gosip_tstamp now,
                       gosip__dns_query *q);
/**
 * The answer to the query last returned by gosip__locate_next(); stored in cache (may
 * be NULL) first. Errors: STATE (no query pending), NOMEM.
 */
int gosip__locate_answer(gosip__locate *l, gosip__dns_cache *cache, gosip_tstamp now,
                         const gosip__dns_answer *a);
/** The targets in order, valid until gosip__locate_free(). */
void gosip__locate_targets(const gosip__locate *l, const gosip_target **targets, size_t *n);

/** The default port of a transport: 5061 for TLS, else 5060. */
uint16_t gosip__locate_default_port(gosip_tp_kind kind);

#endif
