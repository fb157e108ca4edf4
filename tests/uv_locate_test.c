/*
 * RFC 3263 server location, sans-I/O (src/uv/locate.c): every branch of 4.1/4.2
 * against a fake zone, RFC 2782 ordering with a fixed random function, and the TTL cache
 * on a virtual clock. No network, no clock.
 */
#define _POSIX_C_SOURCE 200809L /* inet_pton, inet_ntop */
#include "tu_base.h"

#include "uv/locate.h"

#include <arpa/inet.h>

/* ---------------------------------------------------------------- a fake zone */

/* One record (or, with status set, the failure of the whole (name, type) query). */
typedef struct zrec {
    const char *name;
    gosip__dns_type type;
    uint32_t ttl;
    uint16_t order, pref;
    const char *flags, *service, *regexp, *target;
    uint16_t prio, weight, port;
    const char *ip;
    int status;
} zrec;

#define NAPTR(n, o, p, svc, repl) {n, GOSIP__DNS_NAPTR, 300, o, p, "s", svc, "", repl, 0, 0, 0, NULL, 0}
#define SRV(n, pr, w, po, tgt) {n, GOSIP__DNS_SRV, 300, 0, 0, NULL, NULL, NULL, tgt, pr, w, po, NULL, 0}
#define A(n, ip) {n, GOSIP__DNS_A, 300, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, ip, 0}
#define AAAA(n, ip) {n, GOSIP__DNS_AAAA, 300, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, ip, 0}
#define FAIL(n, t) {n, t, 0, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, GOSIP_ERR_RESOLVE}

typedef struct run_result {
    int rc;
    size_t n;
    gosip_target t[32];
    char host[32][64];
    char log[2048]; /* "NAPTR name;SRV name;..." of the queries that reached the zone */
    int queries;
} run_result;

static const char *type_name(gosip__dns_type t)
{
    switch (t) {
    case GOSIP__DNS_NAPTR:
        return "NAPTR";
    case GOSIP__DNS_SRV:
        return "SRV";
    case GOSIP__DNS_A:
        return "A";
    default:
        return "AAAA";
    }
}

static gosip_str cs(const char *s)
{
    return gosip_str_from_cstr(s);
}

/* The zone's answer to (name, type): matching records, a failure, or NOT_FOUND. */
static gosip__dns_answer zone_answer(const zrec *z, size_t nz, const gosip__dns_query *q,
                                     gosip__dns_rr *rr)
{
    gosip__dns_answer a = {GOSIP_ERR_NOT_FOUND, rr, 0};
    for (size_t i = 0; i < nz; i++) {
        if (z[i].type != q->type || strcmp(z[i].name, q->name) != 0)
            continue;
        if (z[i].status)
            return (gosip__dns_answer){z[i].status, NULL, 0};
        gosip__dns_rr *r = &rr[a.n++];
        memset(r, 0, sizeof *r);
        *r = (gosip__dns_rr){.ttl = z[i].ttl, .order = z[i].order, .pref = z[i].pref,
                             .flags = cs(z[i].flags), .service = cs(z[i].service),
                             .regexp = cs(z[i].regexp), .target = cs(z[i].target),
                             .priority = z[i].prio, .weight = z[i].weight, .port = z[i].port};
        if (z[i].ip) {
            r->addr.family = strchr(z[i].ip, ':') ? 6 : 4;
            assert_int_equal(inet_pton(r->addr.family == 6 ? AF_INET6 : AF_INET, z[i].ip, r->addr.ip), 1);
        }
        a.status = 0;
    }
    return a;
}

static void copy_targets(gosip__locate *l, run_result *res)
{
    const gosip_target *t;
    size_t n;
    gosip__locate_targets(l, &t, &n);
    assert_true(n <= 32);
    res->n = n;
    for (size_t i = 0; i < n; i++) {
        res->t[i] = t[i];
        assert_true(t[i].host.n < 64);
        memcpy(res->host[i], t[i].host.p, t[i].host.n);
        res->host[i][t[i].host.n] = '\0';
    }
}

static int drive(gosip__locate *l, const zrec *z, size_t nz, gosip__dns_cache *cache,
                 gosip_tstamp now, run_result *res)
{
    for (int guard = 0; guard < 200; guard++) {
        gosip__dns_query q;
        int rc = gosip__locate_next(l, cache, now, &q);
        if (rc != 1) {
            if (rc == 0)
                copy_targets(l, res);
            return rc;
        }
        size_t len = strlen(res->log);
        snprintf(res->log + len, sizeof res->log - len, "%s%s %s", len ? ";" : "",
                 type_name(q.type), q.name);
        res->queries++;
        gosip__dns_rr rr[32];
        gosip__dns_answer a = zone_answer(z, nz, &q, rr);
        rc = gosip__locate_answer(l, cache, now, &a);
        if (rc)
            return rc;
    }
    fail_msg("the planner did not finish");
    return -1;
}

/* Locates uri_text against the zone; cache and cfg may be NULL. */
static int run_cfg(const char *uri_text, const zrec *z, size_t nz, gosip__dns_cache *cache,
                   gosip_tstamp now, const gosip__locate_config *cfg, run_result *res)
{
    memset(res, 0, sizeof *res);
    gosip_uri *uri;
    assert_int_equal(gosip_uri_new(&uri, NULL, cs(uri_text)), 0);
    gosip__locate *l = NULL;
    res->rc = gosip__locate_new(&l, uri, cfg);
    gosip_uri_free(uri); /* the planner must not keep pointers into the URI */
    if (res->rc == 0) {
        res->rc = drive(l, z, nz, cache, now, res);
        gosip__locate_free(l);
    }
    return res->rc;
}

static int run(const char *uri_text, const zrec *z, size_t nz, run_result *res)
{
    return run_cfg(uri_text, z, nz, NULL, 0, NULL, res);
}

#define RUN(uri, zone, res) run(uri, zone, sizeof(zone) / sizeof((zone)[0]), res)

static void check_target(const run_result *res, size_t i, gosip_tp_kind kind, const char *ip,
                         unsigned port, const char *host)
{
    assert_true(i < res->n);
    char buf[64];
    const gosip_target *t = &res->t[i];
    assert_non_null(inet_ntop(t->addr.family == 6 ? AF_INET6 : AF_INET, t->addr.ip, buf, sizeof buf));
    assert_string_equal(buf, ip);
    assert_int_equal(t->kind, kind);
    assert_int_equal(t->addr.port, port);
    assert_string_equal(res->host[i], host);
}

/* ---------------------------------------------------------------- 4.1: no DNS at all */

static const zrec no_zone[] = {A("unused.test", "192.0.2.99")};

static void test_numeric_ipv4(void **state)
{
    (void)state;
    run_result r;
    assert_int_equal(RUN("sip:192.0.2.1", no_zone, &r), 0);
    assert_int_equal(r.queries, 0);
    assert_int_equal(r.n, 1);
    check_target(&r, 0, GOSIP_TP_UDP, "192.0.2.1", 5060, "192.0.2.1");
    assert_int_equal(RUN("sips:192.0.2.1", no_zone, &r), 0);
    check_target(&r, 0, GOSIP_TP_TLS, "192.0.2.1", 5061, "192.0.2.1");
    assert_int_equal(RUN("sip:alice@192.0.2.1:5070;transport=tcp", no_zone, &r), 0);
    assert_int_equal(r.queries, 0);
    check_target(&r, 0, GOSIP_TP_TCP, "192.0.2.1", 5070, "192.0.2.1");
    assert_int_equal(RUN("sip:192.0.2.1;transport=TLS", no_zone, &r), 0);
    check_target(&r, 0, GOSIP_TP_TLS, "192.0.2.1", 5061, "192.0.2.1");
    assert_int_equal(RUN("sips:192.0.2.1;transport=tcp", no_zone, &r), 0);
    check_target(&r, 0, GOSIP_TP_TLS, "192.0.2.1", 5061, "192.0.2.1");
}

static void test_numeric_ipv6(void **state)
{
    (void)state;
    run_result r;
    assert_int_equal(RUN("sip:[2001:db8::1]", no_zone, &r), 0);
    assert_int_equal(r.queries, 0);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.t[0].addr.family, 6);
    check_target(&r, 0, GOSIP_TP_UDP, "2001:db8::1", 5060, "2001:db8::1");
    assert_int_equal(RUN("sips:bob@[::1]:6000", no_zone, &r), 0);
    check_target(&r, 0, GOSIP_TP_TLS, "::1", 6000, "::1");
}

static void test_maddr_is_the_target(void **state)
{
    (void)state;
    static const zrec z[] = {A("proxy.test", "192.0.2.7")};
    run_result r;
    assert_int_equal(RUN("sip:example.test;maddr=192.0.2.9", z, &r), 0);
    assert_int_equal(r.queries, 0);
    check_target(&r, 0, GOSIP_TP_UDP, "192.0.2.9", 5060, "192.0.2.9");
    assert_int_equal(RUN("sip:192.0.2.1:5080;maddr=proxy.test", z, &r), 0);
    assert_string_equal(r.log, "A proxy.test;AAAA proxy.test");
    check_target(&r, 0, GOSIP_TP_UDP, "192.0.2.7", 5080, "proxy.test");
}

static void test_bad_uris(void **state)
{
    (void)state;
    run_result r;
    assert_int_equal(RUN("tel:+15551234", no_zone, &r), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(RUN("http://example.test/", no_zone, &r), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(RUN("sip:example.test;transport=sctp", no_zone, &r), GOSIP_ERR_UNSUPPORTED);
    assert_int_equal(RUN("sip:example.test;transport=ws", no_zone, &r), GOSIP_ERR_UNSUPPORTED);
    assert_int_equal(RUN("sips:example.test;transport=udp", no_zone, &r), GOSIP_ERR_UNSUPPORTED);
    assert_int_equal(RUN("sips:192.0.2.1;transport=udp", no_zone, &r), GOSIP_ERR_UNSUPPORTED);
    gosip__locate *l = NULL;
    assert_int_equal(gosip__locate_new(&l, NULL, NULL), GOSIP_ERR_INVALID_ARG);
    assert_null(l);
}

/* ---------------------------------------------------------------- 4.1/4.2: explicit port */

static const zrec port_zone[] = {
    NAPTR("example.test", 10, 10, "SIP+D2T", "_sip._tcp.example.test"),
    SRV("_sip._tcp.example.test", 10, 10, 5090, "srv.example.test"),
    A("example.test", "192.0.2.10"),
    A("example.test", "192.0.2.11"),
    AAAA("example.test", "2001:db8::10"),
};

static void test_explicit_port(void **state)
{
    (void)state;
    run_result r;
    assert_int_equal(RUN("sip:example.test:5080", port_zone, &r), 0);
    assert_string_equal(r.log, "A example.test;AAAA example.test"); /* no NAPTR, no SRV */
    assert_int_equal(r.n, 3);
    check_target(&r, 0, GOSIP_TP_UDP, "192.0.2.10", 5080, "example.test");
    check_target(&r, 1, GOSIP_TP_UDP, "192.0.2.11", 5080, "example.test");
    check_target(&r, 2, GOSIP_TP_UDP, "2001:db8::10", 5080, "example.test");
    assert_int_equal(RUN("sips:example.test:5081", port_zone, &r), 0);
    check_target(&r, 0, GOSIP_TP_TLS, "192.0.2.10", 5081, "example.test");
    assert_int_equal(RUN("sip:example.test:5082;transport=tcp", port_zone, &r), 0);
    assert_string_equal(r.log, "A example.test;AAAA example.test");
    check_target(&r, 0, GOSIP_TP_TCP, "192.0.2.10", 5082, "example.test");
}

/* ---------------------------------------------------------------- 4.1: transport parameter */

static const zrec tp_zone[] = {
    NAPTR("example.test", 10, 10, "SIP+D2U", "_sip._udp.example.test"),
    SRV("_sip._tcp.example.test", 10, 10, 5070, "tcp.example.test"),
    SRV("_sips._tcp.example.test", 10, 10, 5071, "tls.example.test"),
    A("tcp.example.test", "192.0.2.20"),
    A("tls.example.test", "192.0.2.21"),
    A("example.test", "192.0.2.22"),
};

static void test_transport_param(void **state)
{
    (void)state;
    run_result r;
    assert_int_equal(RUN("sip:example.test;transport=tcp", tp_zone, &r), 0);
    assert_string_equal(r.log, "SRV _sip._tcp.example.test;A tcp.example.test;AAAA tcp.example.test");
    assert_int_equal(r.n, 1);
    check_target(&r, 0, GOSIP_TP_TCP, "192.0.2.20", 5070, "tcp.example.test");
    assert_int_equal(RUN("sips:example.test;transport=tcp", tp_zone, &r), 0);
    assert_string_equal(r.log, "SRV _sips._tcp.example.test;A tls.example.test;AAAA tls.example.test");
    check_target(&r, 0, GOSIP_TP_TLS, "192.0.2.21", 5071, "tls.example.test");
    assert_int_equal(RUN("sip:example.test;transport=tls", tp_zone, &r), 0);
    check_target(&r, 0, GOSIP_TP_TLS, "192.0.2.21", 5071, "tls.example.test");
    /* transport=udp and no _sip._udp SRV: A/AAAA of the host at 5060 with UDP. */
    assert_int_equal(RUN("sip:example.test;transport=udp", tp_zone, &r), 0);
    assert_string_equal(r.log, "SRV _sip._udp.example.test;A example.test;AAAA example.test");
    check_target(&r, 0, GOSIP_TP_UDP, "192.0.2.22", 5060, "example.test");
}

/* ---------------------------------------------------------------- 4.1: NAPTR */

static const zrec naptr_zone[] = {
    NAPTR("example.test", 20, 10, "SIP+D2U", "_sip._udp.example.test"),
    NAPTR("example.test", 10, 20, "SIP+D2T", "_sip._tcp.example.test"),
    NAPTR("example.test", 10, 10, "SIPS+D2T", "_sips._tcp.example.test"),
    NAPTR("example.test", 1, 1, "SIP+D2S", "_sip._sctp.example.test"),   /* not ours */
    NAPTR("example.test", 1, 2, "E2U+sip", "ignored.example.test"),      /* not SIP */
    {"example.test", GOSIP__DNS_NAPTR, 300, 1, 3, "a", "SIP+D2T", "", "aflag.example.test", 0, 0, 0, NULL, 0},
    {"example.test", GOSIP__DNS_NAPTR, 300, 1, 4, "s", "SIP+D2T", "!^.*$!x!", "re.example.test", 0, 0, 0, NULL, 0},
    SRV("_sip._udp.example.test", 10, 10, 5060, "udp.example.test"),
    SRV("_sip._tcp.example.test", 10, 10, 5060, "tcp.example.test"),
    SRV("_sips._tcp.example.test", 10, 10, 5061, "tls.example.test"),
    A("udp.example.test", "192.0.2.30"),
    A("tcp.example.test", "192.0.2.31"),
    A("tls.example.test", "192.0.2.32"),
    AAAA("tls.example.test", "2001:db8::32"),
};

static void test_naptr_order_and_filter(void **state)
{
    (void)state;
    run_result r;
    assert_int_equal(RUN("sip:example.test", naptr_zone, &r), 0);
    assert_string_equal(r.log, "NAPTR example.test;SRV _sips._tcp.example.test;"
                               "SRV _sip._tcp.example.test;SRV _sip._udp.example.test;"
                               "A tls.example.test;AAAA tls.example.test;"
                               "A tcp.example.test;AAAA tcp.example.test;"
                               "A udp.example.test;AAAA udp.example.test");
    assert_int_equal(r.n, 4);
    check_target(&r, 0, GOSIP_TP_TLS, "192.0.2.32", 5061, "tls.example.test");
    check_target(&r, 1, GOSIP_TP_TLS, "2001:db8::32", 5061, "tls.example.test");
    check_target(&r, 2, GOSIP_TP_TCP, "192.0.2.31", 5060, "tcp.example.test");
    check_target(&r, 3, GOSIP_TP_UDP, "192.0.2.30", 5060, "udp.example.test");
}

static void test_naptr_sips_only_tls(void **state)
{
    (void)state;
    run_result r;
    assert_int_equal(RUN("sips:example.test", naptr_zone, &r), 0);
    assert_string_equal(r.log, "NAPTR example.test;SRV _sips._tcp.example.test;"
                               "A tls.example.test;AAAA tls.example.test");
    assert_int_equal(r.n, 2);
    check_target(&r, 0, GOSIP_TP_TLS, "192.0.2.32", 5061, "tls.example.test");
}

/* NAPTR found, but its SRV name is empty: A/AAAA of the domain with the NAPTR's
 * transport and that transport's default port (RFC 3263 4.2). */
static void test_naptr_without_srv(void **state)
{
    (void)state;
    static const zrec z[] = {
        NAPTR("example.test", 10, 10, "SIP+D2T", "_sip._tcp.example.test"),
        A("example.test", "192.0.2.40"),
    };
    run_result r;
    assert_int_equal(RUN("sip:example.test", z, &r), 0);
    assert_string_equal(r.log, "NAPTR example.test;SRV _sip._tcp.example.test;"
                               "A example.test;AAAA example.test");
    check_target(&r, 0, GOSIP_TP_TCP, "192.0.2.40", 5060, "example.test");
}

/* ---------------------------------------------------------------- fallbacks */

static const zrec srv_zone[] = {
    SRV("_sip._udp.example.test", 10, 0, 5062, "a.example.test"),
    SRV("_sip._tcp.example.test", 10, 0, 5063, "b.example.test"),
    A("a.example.test", "192.0.2.50"),
    A("b.example.test", "192.0.2.51"),
    A("example.test", "192.0.2.52"),
};

static void test_no_naptr_srv(void **state)
{
    (void)state;
    run_result r;
    assert_int_equal(RUN("sip:example.test", srv_zone, &r), 0);
    assert_string_equal(r.log, "NAPTR example.test;SRV _sips._tcp.example.test;"
                               "SRV _sip._tcp.example.test;SRV _sip._udp.example.test;"
                               "A b.example.test;AAAA b.example.test;"
                               "A a.example.test;AAAA a.example.test");
    assert_int_equal(r.n, 2);
    check_target(&r, 0, GOSIP_TP_TCP, "192.0.2.51", 5063, "b.example.test");
    check_target(&r, 1, GOSIP_TP_UDP, "192.0.2.50", 5062, "a.example.test");
    /* A sips URI only looks for _sips._tcp; none: A of the host, TLS on 5061. */
    assert_int_equal(RUN("sips:example.test", srv_zone, &r), 0);
    assert_string_equal(r.log, "NAPTR example.test;SRV _sips._tcp.example.test;"
                               "A example.test;AAAA example.test");
    check_target(&r, 0, GOSIP_TP_TLS, "192.0.2.52", 5061, "example.test");
}

static void test_no_srv_a_aaaa(void **state)
{
    (void)state;
    static const zrec z[] = {
        A("example.test", "192.0.2.60"),
        AAAA("example.test", "2001:db8::60"),
    };
    run_result r;
    assert_int_equal(RUN("sip:example.test", z, &r), 0);
    assert_int_equal(r.n, 2);
    check_target(&r, 0, GOSIP_TP_UDP, "192.0.2.60", 5060, "example.test");
    check_target(&r, 1, GOSIP_TP_UDP, "2001:db8::60", 5060, "example.test");
}

/* A failed query (timeout, SERVFAIL) is a missing answer: the next fallback runs. */
static void test_failed_queries_fall_through(void **state)
{
    (void)state;
    static const zrec z[] = {
        FAIL("example.test", GOSIP__DNS_NAPTR),
        FAIL("_sips._tcp.example.test", GOSIP__DNS_SRV),
        SRV("_sip._tcp.example.test", 10, 0, 5070, "b.example.test"),
        FAIL("b.example.test", GOSIP__DNS_A),
        AAAA("b.example.test", "2001:db8::70"),
    };
    run_result r;
    assert_int_equal(RUN("sip:example.test", z, &r), 0);
    assert_int_equal(r.n, 1);
    check_target(&r, 0, GOSIP_TP_TCP, "2001:db8::70", 5070, "b.example.test");
}

static void test_nothing_found(void **state)
{
    (void)state;
    run_result r;
    assert_int_equal(RUN("sip:nowhere.test", no_zone, &r), GOSIP_ERR_RESOLVE);
    assert_string_equal(r.log, "NAPTR nowhere.test;SRV _sips._tcp.nowhere.test;"
                               "SRV _sip._tcp.nowhere.test;SRV _sip._udp.nowhere.test;"
                               "A nowhere.test;AAAA nowhere.test");
    assert_int_equal(RUN("sip:nowhere.test:5060", no_zone, &r), GOSIP_ERR_RESOLVE);
    static const zrec dot[] = {SRV("_sip._udp.x.test", 0, 0, 5060, ".")};
    assert_int_equal(RUN("sip:x.test;transport=udp", dot, &r), GOSIP_ERR_RESOLVE);
    /* "." in SRV: the service is not there; no A query for "." */
    assert_null(strstr(r.log, "A ."));
}

static void test_call_order_errors(void **state)
{
    (void)state;
    gosip_uri *uri;
    assert_int_equal(gosip_uri_new(&uri, NULL, cs("sip:example.test")), 0);
    gosip__locate *l;
    assert_int_equal(gosip__locate_new(&l, uri, NULL), 0);
    gosip__dns_answer a = {GOSIP_ERR_NOT_FOUND, NULL, 0};
    assert_int_equal(gosip__locate_answer(l, NULL, 0, &a), GOSIP_ERR_STATE);
    gosip__dns_query q;
    assert_int_equal(gosip__locate_next(l, NULL, 0, &q), 1);
    assert_int_equal(q.type, GOSIP__DNS_NAPTR);
    assert_int_equal(gosip__locate_next(l, NULL, 0, &q), GOSIP_ERR_STATE);
    gosip__locate_free(l);
    gosip_uri_free(uri);
}

/* ---------------------------------------------------------------- RFC 2782 ordering */

static uint32_t fixed_rnd(void *ud)
{
    return *(uint32_t *)ud;
}

static void srv_set(gosip__dns_rr *rr)
{
    static const struct { uint16_t prio, weight; const char *t; } in[] = {
        {20, 0, "a"}, {10, 10, "b"}, {10, 90, "c"}, {10, 0, "d"}, {5, 7, "e"}};
    for (size_t i = 0; i < 5; i++)
        rr[i] = (gosip__dns_rr){.priority = in[i].prio, .weight = in[i].weight, .target = cs(in[i].t)};
}

static void assert_order(const gosip__dns_rr *rr, const char *expect)
{
    char got[8] = {0};
    for (size_t i = 0; i < 5; i++)
        got[i] = rr[i].target.p[0];
    assert_string_equal(got, expect);
}

static void test_srv_order_weighted(void **state)
{
    (void)state;
    gosip__dns_rr rr[5];
    uint32_t r = 0; /* r = 0: the first of the running sum, weight-0 records first */
    srv_set(rr);
    gosip__srv_order(rr, 5, fixed_rnd, &r);
    assert_order(rr, "edbca");
    r = 50; /* sum 100 over d(0) b(10) c(90): 50 falls in c; then 50 % 11 = 6 falls in b */
    srv_set(rr);
    gosip__srv_order(rr, 5, fixed_rnd, &r);
    assert_order(rr, "ecbda");
    r = 5; /* 5 falls in b (running 0, 10); then d(0) c(90): 5 falls in c */
    srv_set(rr);
    gosip__srv_order(rr, 5, fixed_rnd, &r);
    assert_order(rr, "ebcda");
}

/* Weights honoured statistically with a real (xorshift) source: 90 vs 10. */
static uint32_t xs(void *ud)
{
    uint32_t *s = ud;
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void test_srv_order_distribution(void **state)
{
    (void)state;
    uint32_t seed = 12345;
    int c_first = 0;
    for (int i = 0; i < 2000; i++) {
        gosip__dns_rr rr[2] = {{.priority = 1, .weight = 10, .target = cs("b")},
                               {.priority = 1, .weight = 90, .target = cs("c")}};
        gosip__srv_order(rr, 2, xs, &seed);
        c_first += rr[0].target.p[0] == 'c';
    }
    assert_in_range(c_first, 1700, 1900); /* expected 1800 */
}

static void test_planner_uses_srv_order(void **state)
{
    (void)state;
    static const zrec z[] = {
        SRV("_sip._udp.example.test", 20, 0, 5001, "late.example.test"),
        SRV("_sip._udp.example.test", 10, 10, 5002, "b.example.test"),
        SRV("_sip._udp.example.test", 10, 90, 5003, "c.example.test"),
        A("late.example.test", "192.0.2.81"),
        A("b.example.test", "192.0.2.82"),
        A("c.example.test", "192.0.2.83"),
    };
    uint32_t r = 50;
    gosip__locate_config cfg = {NULL, fixed_rnd, &r, 0};
    run_result res;
    assert_int_equal(run_cfg("sip:example.test;transport=udp", z, 6, NULL, 0, &cfg, &res), 0);
    assert_int_equal(res.n, 3);
    check_target(&res, 0, GOSIP_TP_UDP, "192.0.2.83", 5003, "c.example.test");
    check_target(&res, 1, GOSIP_TP_UDP, "192.0.2.82", 5002, "b.example.test");
    check_target(&res, 2, GOSIP_TP_UDP, "192.0.2.81", 5001, "late.example.test");
    r = 0;
    assert_int_equal(run_cfg("sip:example.test;transport=udp", z, 6, NULL, 0, &cfg, &res), 0);
    check_target(&res, 0, GOSIP_TP_UDP, "192.0.2.82", 5002, "b.example.test");
}

static void test_dedup_and_max_targets(void **state)
{
    (void)state;
    static const zrec z[] = {
        SRV("_sip._udp.example.test", 10, 0, 5060, "a.example.test"),
        SRV("_sip._udp.example.test", 20, 0, 5060, "a.example.test"),
        A("a.example.test", "192.0.2.90"),
        A("a.example.test", "192.0.2.91"),
        A("a.example.test", "192.0.2.92"),
    };
    run_result r;
    assert_int_equal(RUN("sip:example.test;transport=udp", z, &r), 0);
    assert_int_equal(r.n, 3); /* the same host twice gives its addresses once */
    gosip__locate_config cfg = {NULL, NULL, NULL, 2};
    assert_int_equal(run_cfg("sip:example.test;transport=udp", z, 5, NULL, 0, &cfg, &r), 0);
    assert_int_equal(r.n, 2);
}

/* ---------------------------------------------------------------- the cache */

static void test_cache_ttl_virtual_clock(void **state)
{
    (void)state;
    gosip__dns_cache *c;
    assert_int_equal(gosip__dns_cache_new(&c, tu_mem_tracked(), 0, 30), 0);
    run_result r;
    size_t nz = sizeof naptr_zone / sizeof naptr_zone[0];
    assert_int_equal(run_cfg("sip:example.test", naptr_zone, nz, c, 0, NULL, &r), 0);
    int first = r.queries;
    assert_int_equal(first, 10);
    assert_int_equal(gosip__dns_cache_count(c), 10); /* 2 negative AAAA included */
    /* Within the TTL (300 s, negatives 30 s): the answer with no query at all. */
    assert_int_equal(run_cfg("sip:EXAMPLE.test", naptr_zone, nz, c, GOSIP_SEC(29), NULL, &r), 0);
    assert_int_equal(r.queries, 0);
    assert_int_equal(r.n, 4);
    check_target(&r, 0, GOSIP_TP_TLS, "192.0.2.32", 5061, "tls.example.test");
    /* Negative answers expired (30 s), positive ones not. */
    assert_int_equal(run_cfg("sip:example.test", naptr_zone, nz, c, GOSIP_SEC(31), NULL, &r), 0);
    assert_string_equal(r.log, "AAAA tcp.example.test;AAAA udp.example.test");
    /* Past the TTL: every query again. */
    assert_int_equal(run_cfg("sip:example.test", naptr_zone, nz, c, GOSIP_SEC(300), NULL, &r), 0);
    assert_int_equal(r.queries, first);
    gosip__dns_cache_free(c);
}

static void put_a(gosip__dns_cache *c, const char *name, uint32_t ttl, gosip_tstamp now)
{
    gosip__dns_rr rr = {.ttl = ttl, .addr = {4, 0, {192, 0, 2, 1}}};
    gosip__dns_answer a = {0, &rr, 1};
    assert_int_equal(gosip__dns_cache_put(c, name, GOSIP__DNS_A, &a, now), 0);
}

static void test_cache_entries(void **state)
{
    (void)state;
    gosip__dns_cache *c;
    assert_int_equal(gosip__dns_cache_new(&c, tu_mem_tracked(), 8, 0), 0);
    put_a(c, "Host.Test", 60, GOSIP_SEC(100));
    const gosip__dns_answer *a = gosip__dns_cache_get(c, "host.test", GOSIP__DNS_A, GOSIP_SEC(110));
    assert_non_null(a);
    assert_int_equal(a->n, 1);
    assert_int_equal(a->rr[0].ttl, 50); /* the remaining TTL */
    assert_null(gosip__dns_cache_get(c, "host.test", GOSIP__DNS_AAAA, GOSIP_SEC(110)));
    assert_null(gosip__dns_cache_get(c, "host.test", GOSIP__DNS_A, GOSIP_SEC(160)));
    assert_int_equal(gosip__dns_cache_count(c), 0); /* expired: dropped at lookup */
    /* Not stored: a TTL of 0, a failed query, a negative answer with neg_ttl 0. */
    put_a(c, "zero.test", 0, 0);
    gosip__dns_answer fail = {GOSIP_ERR_RESOLVE, NULL, 0}, neg = {GOSIP_ERR_NOT_FOUND, NULL, 0};
    assert_int_equal(gosip__dns_cache_put(c, "f.test", GOSIP__DNS_A, &fail, 0), 0);
    assert_int_equal(gosip__dns_cache_put(c, "n.test", GOSIP__DNS_A, &neg, 0), 0);
    assert_int_equal(gosip__dns_cache_count(c), 0);
    /* Replacing an entry keeps one. */
    put_a(c, "r.test", 60, 0);
    put_a(c, "r.test", 90, 0);
    assert_int_equal(gosip__dns_cache_count(c), 1);
    assert_int_equal(gosip__dns_cache_get(c, "r.test", GOSIP__DNS_A, 0)->rr[0].ttl, 90);
    gosip__dns_cache_free(c);
}

static void test_cache_bound(void **state)
{
    (void)state;
    gosip__dns_cache *c;
    assert_int_equal(gosip__dns_cache_new(&c, tu_mem_tracked(), 4, 30), 0);
    char name[32];
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "h%d.test", i);
        put_a(c, name, 60, 0);
    }
    assert_int_equal(gosip__dns_cache_count(c), 4); /* at the limit */
    assert_non_null(gosip__dns_cache_get(c, "h0.test", GOSIP__DNS_A, 0)); /* h0 now recent */
    put_a(c, "h4.test", 60, 0);                                           /* over: h1 goes */
    assert_int_equal(gosip__dns_cache_count(c), 4);
    assert_null(gosip__dns_cache_get(c, "h1.test", GOSIP__DNS_A, 0));
    assert_non_null(gosip__dns_cache_get(c, "h0.test", GOSIP__DNS_A, 0));
    assert_non_null(gosip__dns_cache_get(c, "h4.test", GOSIP__DNS_A, 0));
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "x%d.test", i);
        put_a(c, name, 60, 0);
        assert_true(gosip__dns_cache_count(c) <= 4);
    }
    gosip__dns_cache_free(c);
    /* The default bound. */
    assert_int_equal(gosip__dns_cache_new(&c, tu_mem_tracked(), 0, 30), 0);
    for (unsigned i = 0; i < GOSIP__DNS_CACHE_DEFAULT_MAX + 10; i++) {
        snprintf(name, sizeof name, "d%u.test", i);
        put_a(c, name, 60, 0);
    }
    assert_int_equal(gosip__dns_cache_count(c), GOSIP__DNS_CACHE_DEFAULT_MAX);
    assert_null(gosip__dns_cache_get(c, "d0.test", GOSIP__DNS_A, 0));
    assert_non_null(gosip__dns_cache_get(c, "d1033.test", GOSIP__DNS_A, 0));
    gosip__dns_cache_free(c);
}

/* ---------------------------------------------------------------- allocation failures */

static void test_alloc_failures(void **state)
{
    (void)state;
    size_t nz = sizeof naptr_zone / sizeof naptr_zone[0];
    int succeeded = 0;
    for (long fail_at = 0; fail_at < 200 && !succeeded; fail_at++) {
        tu_failmem fm;
        tu_failmem_init(&fm, fail_at);
        gosip__dns_cache *c = NULL;
        int rc = gosip__dns_cache_new(&c, &fm.mem, 0, 30);
        if (rc == 0) {
            gosip__locate_config cfg = {&fm.mem, NULL, NULL, 0};
            run_result r;
            rc = run_cfg("sip:example.test", naptr_zone, nz, c, 0, &cfg, &r);
            if (rc == 0)
                assert_int_equal(r.n, 4); /* a cache entry that failed only costs a query */
        }
        assert_true(rc == 0 || rc == GOSIP_ERR_NOMEM);
        succeeded = rc == 0 && fm.failed == 0;
        gosip__dns_cache_free(c); /* cmocka reports any leak at the end of the test */
    }
    assert_true(succeeded);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numeric_ipv4),
        cmocka_unit_test(test_numeric_ipv6),
        cmocka_unit_test(test_maddr_is_the_target),
        cmocka_unit_test(test_bad_uris),
        cmocka_unit_test(test_explicit_port),
        cmocka_unit_test(test_transport_param),
        cmocka_unit_test(test_naptr_order_and_filter),
        cmocka_unit_test(test_naptr_sips_only_tls),
        cmocka_unit_test(test_naptr_without_srv),
        cmocka_unit_test(test_no_naptr_srv),
        cmocka_unit_test(test_no_srv_a_aaaa),
        cmocka_unit_test(test_failed_queries_fall_through),
        cmocka_unit_test(test_nothing_found),
        cmocka_unit_test(test_call_order_errors),
        cmocka_unit_test(test_srv_order_weighted),
        cmocka_unit_test(test_srv_order_distribution),
        cmocka_unit_test(test_planner_uses_srv_order),
        cmocka_unit_test(test_dedup_and_max_targets),
        cmocka_unit_test(test_cache_ttl_virtual_clock),
        cmocka_unit_test(test_cache_entries),
        cmocka_unit_test(test_cache_bound),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests_name("transport_locate", tests, NULL, NULL);
}
