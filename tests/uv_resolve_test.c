/*
 * RFC 3263 server location through c-ares on libuv (src/uv/resolve.c) against a real
 * dnsmasq that this test starts on 127.0.0.1 and a free port, serving NAPTR, SRV, A and
 * AAAA records from its command line. Needs the dnsmasq binary (Debian: dnsmasq-base,
 * or dnsmasq); without it every test is skipped. dnsmasq is killed at the end, also when
 * a test fails (group teardown and an atexit handler).
 */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L
#include "tu_base.h"

#include "tu_dnsmasq.h"
#include "uv/resolve.h"

#define TEST_DEADLINE_MS 10000 /* no single resolution may take longer */

/* ---------------------------------------------------------------- dnsmasq */

/* The zone. TTL 300 for records (--local-ttl); names under .test that are not here get
 * NXDOMAIN (--local=/test/), which the resolver caches for 30 s. */
static const char *zone_args[] = {
    /* NAPTR -> SRV -> A: TCP preferred by order, then UDP */
    "--naptr-record=naptr.test,10,10,s,SIP+D2T,,_sip._tcp.naptr.test",
    "--naptr-record=naptr.test,20,10,s,SIP+D2U,,_sip._udp.naptr.test",
    "--naptr-record=naptr.test,5,10,s,SIP+D2S,,_sip._sctp.naptr.test", /* not ours */
    "--srv-host=_sip._tcp.naptr.test,tcp1.naptr.test,5070,10,10",
    "--srv-host=_sip._udp.naptr.test,udp1.naptr.test,5071,10,10",
    "--host-record=tcp1.naptr.test,127.0.1.1",
    "--host-record=udp1.naptr.test,127.0.1.2",
    /* SRV priorities and weights, and a first target that does not answer */
    "--srv-host=_sip._udp.prio.test,dead.prio.test,5999,10,0",
    "--srv-host=_sip._udp.prio.test,b1.prio.test,5062,20,50",
    "--srv-host=_sip._udp.prio.test,b2.prio.test,5063,20,50",
    "--srv-host=_sip._udp.prio.test,c.prio.test,5064,30,0",
    "--host-record=dead.prio.test,127.0.2.1",
    "--host-record=b1.prio.test,127.0.2.2",
    "--host-record=b2.prio.test,127.0.2.3",
    "--host-record=c.prio.test,127.0.2.4",
    /* no NAPTR: SRV */
    "--srv-host=_sip._tcp.nonaptr.test,h.nonaptr.test,5080,10,0",
    "--host-record=h.nonaptr.test,127.0.3.1",
    /* no SRV: A, AAAA */
    "--host-record=plain.test,127.0.4.1",
    "--host-record=v6.test,::1",
    "--host-record=dual.test,127.0.5.1,::1",
    "--host-record=ready.test,127.0.0.1",
};

static int dns_start(void)
{
    return dns_start_zone("--local=/test/", zone_args, sizeof zone_args / sizeof zone_args[0],
                          "ready.test");
}

static int group_setup(void **state)
{
    (void)state;
    atexit(dns_stop);
    if (!dnsmasq_path()) {
        fprintf(stderr, "uv_resolve: no dnsmasq binary (apt-get install dnsmasq-base): "
                        "tests are skipped\n");
        return 0;
    }
    if (dns_start() != 0) {
        fprintf(stderr, "uv_resolve: dnsmasq did not start on loopback\n");
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    dns_stop();
    return 0;
}

/* ---------------------------------------------------------------- a loop per test */

typedef struct ctx {
    uv_loop_t loop;
    uv_timer_t deadline;
    gosip__resolver *r;
    int in_call, called, status, timed_out, closed;
    size_t n;
    gosip_target t[16];
    char host[16][64];
} ctx;

static void on_deadline(uv_timer_t *h)
{
    ctx *c = h->data;
    c->timed_out = 1;
}

static void on_resolved(int status, const gosip_target *t, size_t n, void *ud)
{
    ctx *c = ud;
    assert_false(c->in_call); /* never inside gosip__resolver_resolve() */
    c->called++;
    c->status = status;
    c->n = n < 16 ? n : 16;
    for (size_t i = 0; i < c->n; i++) {
        c->t[i] = t[i];
        size_t hn = t[i].host.n < 63 ? t[i].host.n : 63;
        memcpy(c->host[i], t[i].host.p, hn);
        c->host[i][hn] = '\0';
    }
}

/* Runs the loop until *flag is set, within TEST_DEADLINE_MS. */
static void run_until(ctx *c, const int *flag)
{
    c->timed_out = 0;
    uv_timer_start(&c->deadline, on_deadline, TEST_DEADLINE_MS, 0);
    while (!*flag && !c->timed_out)
        uv_run(&c->loop, UV_RUN_ONCE);
    uv_timer_stop(&c->deadline);
    assert_false(c->timed_out);
}

static int setup(void **state)
{
    ctx *c = calloc(1, sizeof *c);
    assert_non_null(c);
    assert_int_equal(uv_loop_init(&c->loop), 0);
    uv_timer_init(&c->loop, &c->deadline);
    c->deadline.data = c;
    *state = c;
    return 0;
}

static void on_closed(void *ud)
{
    ((ctx *)ud)->closed = 1;
}

/* The resolver lives within the test body (open_r .. close_r) because cmocka checks the
 * tracked heap for leaks between the test and its teardown. */
static void open_r(ctx *c)
{
    if (dns_pid <= 0)
        skip(); /* no dnsmasq binary (group setup said so) */
    assert_int_equal(gosip__resolver_new(&c->r, &c->loop, dns_servers, tu_mem_tracked()), 0);
}

static void close_r(ctx *c)
{
    c->closed = 0;
    gosip__resolver_close(c->r, on_closed, c);
    c->r = NULL;
    run_until(c, &c->closed);
}

static int teardown(void **state)
{
    ctx *c = *state;
    if (!c)
        return 0;
    if (c->r)
        return 0; /* the test failed midway: cmocka has freed the resolver's memory */
    uv_close((uv_handle_t *)&c->deadline, NULL);
    uv_run(&c->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&c->loop), 0); /* every handle of the resolver closed */
    free(c);
    return 0;
}

static void resolve(ctx *c, const char *text)
{
    gosip_uri *uri;
    assert_int_equal(gosip_uri_new(&uri, NULL, gosip_str_from_cstr(text)), 0);
    c->called = 0;
    c->in_call = 1;
    int rc = gosip__resolver_resolve(c->r, uri, on_resolved, c);
    c->in_call = 0;
    gosip_uri_free(uri);
    assert_int_equal(rc, 0);
    assert_int_equal(c->called, 0);
    run_until(c, &c->called);
    assert_int_equal(c->called, 1);
}

static void check(const ctx *c, size_t i, gosip_tp_kind kind, const char *ip, unsigned port,
                  const char *host)
{
    assert_true(i < c->n);
    char buf[64];
    const gosip_target *t = &c->t[i];
    assert_non_null(
        inet_ntop(t->addr.family == 6 ? AF_INET6 : AF_INET, t->addr.ip, buf, sizeof buf));
    assert_string_equal(buf, ip);
    assert_int_equal(t->kind, kind);
    assert_int_equal(t->addr.port, port);
    assert_string_equal(c->host[i], host);
}

/* ---------------------------------------------------------------- tests */

static void test_naptr_srv_a(void **state)
{
    ctx *c = *state;
    open_r(c);
    resolve(c, "sip:alice@naptr.test");
    assert_int_equal(c->status, 0);
    assert_int_equal(c->n, 2);
    check(c, 0, GOSIP_TP_TCP, "127.0.1.1", 5070, "tcp1.naptr.test");
    check(c, 1, GOSIP_TP_UDP, "127.0.1.2", 5071, "udp1.naptr.test");
    close_r(c);
}

/* Priority first; the two of equal priority in either order (weighted random); the
 * first target has nothing listening: the list is what the transaction layer fails
 * over along, to b1/b2 and then c. */
static void test_srv_priority_and_failover_list(void **state)
{
    ctx *c = *state;
    open_r(c);
    resolve(c, "sip:prio.test");
    assert_int_equal(c->status, 0);
    assert_int_equal(c->n, 4);
    check(c, 0, GOSIP_TP_UDP, "127.0.2.1", 5999, "dead.prio.test");
    int b1_first = strcmp(c->host[1], "b1.prio.test") == 0;
    check(c, 1, GOSIP_TP_UDP, b1_first ? "127.0.2.2" : "127.0.2.3", b1_first ? 5062 : 5063,
          b1_first ? "b1.prio.test" : "b2.prio.test");
    check(c, 2, GOSIP_TP_UDP, b1_first ? "127.0.2.3" : "127.0.2.2", b1_first ? 5063 : 5062,
          b1_first ? "b2.prio.test" : "b1.prio.test");
    check(c, 3, GOSIP_TP_UDP, "127.0.2.4", 5064, "c.prio.test");
    close_r(c);
}

static void test_srv_without_naptr(void **state)
{
    ctx *c = *state;
    open_r(c);
    resolve(c, "sip:nonaptr.test");
    assert_int_equal(c->status, 0);
    assert_int_equal(c->n, 1);
    check(c, 0, GOSIP_TP_TCP, "127.0.3.1", 5080, "h.nonaptr.test");
    close_r(c);
}

static void test_a_without_srv(void **state)
{
    ctx *c = *state;
    open_r(c);
    resolve(c, "sip:plain.test");
    assert_int_equal(c->status, 0);
    assert_int_equal(c->n, 1);
    check(c, 0, GOSIP_TP_UDP, "127.0.4.1", 5060, "plain.test");
    resolve(c, "sips:plain.test");
    check(c, 0, GOSIP_TP_TLS, "127.0.4.1", 5061, "plain.test");
    resolve(c, "sip:plain.test:5090;transport=tcp");
    check(c, 0, GOSIP_TP_TCP, "127.0.4.1", 5090, "plain.test");
    close_r(c);
}

static void test_aaaa(void **state)
{
    ctx *c = *state;
    open_r(c);
    resolve(c, "sip:v6.test");
    assert_int_equal(c->status, 0);
    assert_int_equal(c->n, 1);
    check(c, 0, GOSIP_TP_UDP, "::1", 5060, "v6.test");
    resolve(c, "sip:dual.test");
    assert_int_equal(c->n, 2);
    check(c, 0, GOSIP_TP_UDP, "127.0.5.1", 5060, "dual.test");
    check(c, 1, GOSIP_TP_UDP, "::1", 5060, "dual.test");
    close_r(c);
}

static void test_numeric_is_async(void **state)
{
    ctx *c = *state;
    open_r(c);
    resolve(c, "sip:127.0.0.1:5099;transport=tcp");
    assert_int_equal(c->status, 0);
    assert_int_equal(c->n, 1);
    check(c, 0, GOSIP_TP_TCP, "127.0.0.1", 5099, "127.0.0.1");
    close_r(c);
}

static void test_failure(void **state)
{
    ctx *c = *state;
    open_r(c);
    resolve(c, "sip:nothing.test");
    assert_int_equal(c->status, GOSIP_ERR_RESOLVE);
    assert_int_equal(c->n, 0);
    gosip_uri *uri;
    assert_int_equal(gosip_uri_new(&uri, NULL, GOSIP_STR("tel:+15551234")), 0);
    assert_int_equal(gosip__resolver_resolve(c->r, uri, on_resolved, c), GOSIP_ERR_INVALID_ARG);
    gosip_uri_free(uri);
    close_r(c);
}

static void test_close_cancels(void **state)
{
    ctx *c = *state;
    open_r(c);
    gosip_uri *uri;
    assert_int_equal(gosip_uri_new(&uri, NULL, GOSIP_STR("sip:naptr.test")), 0);
    c->called = 0;
    assert_int_equal(gosip__resolver_resolve(c->r, uri, on_resolved, c), 0);
    uv_run(&c->loop, UV_RUN_NOWAIT); /* the first query goes out */
    gosip__resolver *r = c->r;
    gosip__resolver_close(r, on_closed, c);
    c->r = NULL;
    assert_int_equal(c->called, 1);
    assert_int_equal(c->status, GOSIP_ERR_DESTROYED);
    assert_int_equal(gosip__resolver_resolve(r, uri, on_resolved, c), GOSIP_ERR_STATE);
    gosip_uri_free(uri);
    run_until(c, &c->closed);
}

/* Closing from inside a resolve callback: the other pending resolution ends with
 * DESTROYED, nothing runs after done. */
static void on_resolved_close(int status, const gosip_target *t, size_t n, void *ud)
{
    ctx *c = ud;
    on_resolved(status, t, n, ud);
    gosip__resolver *r = c->r;
    c->r = NULL;
    gosip__resolver_close(r, on_closed, c);
}

static void test_close_from_callback(void **state)
{
    ctx *c = *state;
    open_r(c);
    gosip_uri *num, *name;
    assert_int_equal(gosip_uri_new(&num, NULL, GOSIP_STR("sip:127.0.0.1")), 0);
    assert_int_equal(gosip_uri_new(&name, NULL, GOSIP_STR("sip:naptr.test")), 0);
    c->called = 0;
    c->closed = 0;
    assert_int_equal(gosip__resolver_resolve(c->r, num, on_resolved_close, c), 0);
    assert_int_equal(gosip__resolver_resolve(c->r, name, on_resolved, c), 0);
    gosip_uri_free(num);
    gosip_uri_free(name);
    run_until(c, &c->closed);
    assert_int_equal(c->called, 2);
    assert_int_equal(c->status, GOSIP_ERR_DESTROYED); /* the second, cancelled */
}

/* Last: stops dnsmasq. Within the TTL the same answer comes from the cache. */
static void test_cache_after_server_stops(void **state)
{
    ctx *c = *state;
    open_r(c);
    resolve(c, "sip:naptr.test");
    assert_int_equal(c->status, 0);
    assert_true(gosip__resolver_cache_count(c->r) >= 5);
    dns_stop();
    resolve(c, "sip:naptr.test");
    assert_int_equal(c->status, 0);
    assert_int_equal(c->n, 2);
    check(c, 0, GOSIP_TP_TCP, "127.0.1.1", 5070, "tcp1.naptr.test");
    check(c, 1, GOSIP_TP_UDP, "127.0.1.2", 5071, "udp1.naptr.test");
    /* Not cached and no server: the location fails, within c-ares' timeouts. */
    resolve(c, "sip:plain.test");
    assert_int_equal(c->status, GOSIP_ERR_RESOLVE);
    close_r(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_naptr_srv_a, setup, teardown),
        cmocka_unit_test_setup_teardown(test_srv_priority_and_failover_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_srv_without_naptr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_without_srv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aaaa, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numeric_is_async, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_cancels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_from_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_after_server_stops, setup, teardown),
    };
    return cmocka_run_group_tests_name("uv_resolve", tests, group_setup, group_teardown);
}
