/*
 * Stream connections of the libuv runtime against raw libuv peers that control every
 * byte: framing across partial reads and several messages in one write, an oversize
 * message, a peer that stops mid-message (read timeout) or hangs up mid-message, a peer
 * over max_conns_per_source, the idle timeout, and raw UDP datagrams (rport answers,
 * oversize datagrams dropped). Small timeouts in the config keep the tests fast.
 */
#define _DEFAULT_SOURCE /* <uv.h> needs POSIX types hidden by -std=c11; mkdtemp */
#include "uv_testutil.h"

typedef struct fixture {
    tuv_loop L;
    tuv_node a;
    gosip_lp *lp;
    gosip_addr addr;
} fixture;

static void setup_with(fixture *f, const gosip_uv_config *cfg, gosip_tp_kind kind, const char *host)
{
    tuv_loop_init(&f->L, 60000);
    tuv_node_new(&f->a, &f->L, cfg);
    f->a.auto_respond = 1;
    assert_int_equal(gosip_uv_listen(f->a.uv, kind, host, 0, &f->lp), 0);
    f->addr = *gosip_lp_addr(f->lp);
}

static void teardown(fixture *f)
{
    tuv_node_close(&f->a, &f->L);
    tuv_loop_finish(&f->L);
}

static int find_err(const tuv_node *n, int code)
{
    for (int i = 0; i < n->nerrs; i++)
        if (n->errs[i].code == code)
            return i;
    return -1;
}

static gosip_addr raw_local(tuv_raw *r)
{
    struct sockaddr_storage ss;
    int len = (int)sizeof ss;
    assert_int_equal(uv_tcp_getsockname(&r->tcp, (struct sockaddr *)&ss, &len), 0);
    gosip_addr a;
    memset(&a, 0, sizeof a);
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;
        a.family = 4;
        a.port = ntohs(s4->sin_port);
        memcpy(a.ip, &s4->sin_addr, 4);
    } else {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;
        a.family = 6;
        a.port = ntohs(s6->sin6_port);
        memcpy(a.ip, &s6->sin6_addr, 16);
    }
    return a;
}

typedef struct raw_count {
    tuv_raw *r;
    const char *needle;
    int want;
} raw_count;

static int raw_count_met(void *p)
{
    raw_count *c = p;
    return tuv_raw_count(c->r, c->needle) >= c->want;
}

static void wait_responses(fixture *f, tuv_raw *r, int want)
{
    raw_count c = {r, "SIP/2.0 200", want};
    tuv_run_until(&f->L, raw_count_met, &c);
}

/* A request written byte by byte (one read each), then the rest in odd chunks. */
static void framing_partial(const char *host)
{
    fixture f;
    setup_with(&f, NULL, GOSIP_TP_TCP, host);
    tuv_raw r;
    assert_int_equal(tuv_raw_connect(&r, &f.L, &f.addr), 1);
    char req[2048];
    size_t n = tuv_raw_request(req, sizeof req, "TCP", "part1", 37);
    for (size_t i = 0; i < n;) {
        size_t k = i < 120 ? 1 : 7;
        if (k > n - i)
            k = n - i;
        tuv_raw_write(&r, req + i, k);
        i += k;
        tuv_run_for(&f.L, 1);
        if (i < n)
            assert_int_equal(f.a.nmsgs, 0);
    }
    tuv_wait_count(&f.L, &f.a.nmsgs, 1);
    assert_int_equal(gosip_msg_body(f.a.msgs[0]).n, 37);
    assert_true(gosip_addr_equal(&f.a.rx[0].peer, &(gosip_addr){0}) == 0);
    gosip_addr me = raw_local(&r);
    assert_true(gosip_addr_equal(&f.a.rx[0].peer, &me));
    wait_responses(&f, &r, 1);
    tuv_raw_close(&r, &f.L);
    teardown(&f);
}

static void framing_partial_v4(void **state)
{
    (void)state;
    framing_partial("127.0.0.1");
}

static void framing_partial_v6(void **state)
{
    (void)state;
    framing_partial("::1");
}

/* Three requests and a keep-alive in one write: three messages, three responses. */
static void several_in_one_write(void **state)
{
    (void)state;
    fixture f;
    setup_with(&f, NULL, GOSIP_TP_TCP, "127.0.0.1");
    tuv_raw r;
    assert_int_equal(tuv_raw_connect(&r, &f.L, &f.addr), 1);
    char all[4096];
    size_t n = 0;
    n += tuv_raw_request(all + n, sizeof all - n, "TCP", "m1", 0);
    n += tuv_raw_request(all + n, sizeof all - n, "TCP", "m2", 10);
    memcpy(all + n, "\r\n\r\n", 4);
    n += 4;
    n += tuv_raw_request(all + n, sizeof all - n, "TCP", "m3", 5);
    tuv_raw_write(&r, all, n);
    tuv_wait_count(&f.L, &f.a.nmsgs, 3);
    wait_responses(&f, &r, 3);
    assert_int_equal(f.a.nerrs, 0);
    tuv_raw_close(&r, &f.L);
    teardown(&f);
}

/* A message over max_msg_size closes the connection and reports TOO_LARGE with the peer. */
static void oversize_closes(void **state)
{
    (void)state;
    gosip_uv_config cfg;
    gosip_uv_config_default(&cfg);
    cfg.tp.limits.max_msg_size = 1024;
    fixture f;
    setup_with(&f, &cfg, GOSIP_TP_TCP, "127.0.0.1");
    tuv_raw r;
    assert_int_equal(tuv_raw_connect(&r, &f.L, &f.addr), 1);
    char req[4096];
    size_t n = tuv_raw_request(req, sizeof req, "TCP", "big", 2000);
    tuv_raw_write(&r, req, n);
    tuv_run_until(&f.L, tuv_raw_got_eof, &r);
    assert_int_equal(f.a.nmsgs, 0);
    tuv_wait_count(&f.L, &f.a.nerrs, 1);
    int i = find_err(&f.a, GOSIP_ERR_TOO_LARGE);
    assert_true(i >= 0);
    gosip_addr me = raw_local(&r);
    assert_true(gosip_addr_equal(&f.a.errs[i].peer, &me));
    assert_int_equal(f.a.errs[i].kind, GOSIP_TP_TCP);
    tuv_raw_close(&r, &f.L);
    teardown(&f);
}

/* A peer that stops mid-message is closed by the read timeout. */
static void stalled_peer_read_timeout(void **state)
{
    (void)state;
    gosip_uv_config cfg;
    gosip_uv_config_default(&cfg);
    cfg.tp.read_timeout = GOSIP_MS(150);
    fixture f;
    setup_with(&f, &cfg, GOSIP_TP_TCP, "::1");
    tuv_raw r;
    assert_int_equal(tuv_raw_connect(&r, &f.L, &f.addr), 1);
    char req[1024];
    size_t n = tuv_raw_request(req, sizeof req, "TCP", "stall", 20);
    uint64_t t0 = uv_hrtime();
    tuv_raw_write(&r, req, n / 2);
    tuv_run_until(&f.L, tuv_raw_got_eof, &r);
    uint64_t waited = uv_hrtime() - t0;
    assert_true(waited >= GOSIP_MS(140));
    assert_true(waited < GOSIP_SEC(30)); /* generous: valgrind, loaded machines */
    tuv_wait_count(&f.L, &f.a.nerrs, 1);
    int i = find_err(&f.a, GOSIP_ERR_TIMEOUT);
    assert_true(i >= 0);
    assert_int_equal(f.a.errs[i].peer.family, 6);
    assert_int_equal(f.a.nmsgs, 0);
    assert_int_equal(gosip_tp_stats_get(f.a.tp)->conns_timed_out, 1);
    tuv_raw_close(&r, &f.L);
    teardown(&f);
}

/* A peer that hangs up mid-message: the connection goes, nothing is delivered, the
 * runtime stays healthy for the next peer. */
static void peer_hangs_up_mid_message(void **state)
{
    (void)state;
    fixture f;
    setup_with(&f, NULL, GOSIP_TP_TCP, "127.0.0.1");
    tuv_raw r;
    assert_int_equal(tuv_raw_connect(&r, &f.L, &f.addr), 1);
    char req[1024];
    size_t n = tuv_raw_request(req, sizeof req, "TCP", "hang", 20);
    tuv_raw_write(&r, req, n - 5);
    tuv_run_for(&f.L, 20);
    tuv_raw_close(&r, &f.L);
    tuv_run_for(&f.L, 50);
    assert_int_equal(f.a.nmsgs, 0);
    tuv_raw r2;
    assert_int_equal(tuv_raw_connect(&r2, &f.L, &f.addr), 1);
    n = tuv_raw_request(req, sizeof req, "TCP", "after", 0);
    tuv_raw_write(&r2, req, n);
    wait_responses(&f, &r2, 1);
    tuv_raw_close(&r2, &f.L);
    teardown(&f);
}

/* Connections over max_conns_per_source are refused (closed at once); those within the
 * limit keep working. */
static void too_many_from_one_source(void **state)
{
    (void)state;
    gosip_uv_config cfg;
    gosip_uv_config_default(&cfg);
    cfg.tp.max_conns_per_source = 2;
    fixture f;
    setup_with(&f, &cfg, GOSIP_TP_TCP, "127.0.0.1");
    tuv_raw r[4];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(tuv_raw_connect(&r[i], &f.L, &f.addr), 1);
        tuv_run_for(&f.L, 10); /* accepted in order */
    }
    tuv_run_until(&f.L, tuv_raw_got_eof, &r[2]);
    tuv_run_until(&f.L, tuv_raw_got_eof, &r[3]);
    assert_int_equal(gosip_tp_stats_get(f.a.tp)->conns_refused, 2);
    for (int i = 0; i < 2; i++) {
        char req[1024], br[16];
        snprintf(br, sizeof br, "lim%d", i);
        size_t n = tuv_raw_request(req, sizeof req, "TCP", br, 0);
        tuv_raw_write(&r[i], req, n);
        wait_responses(&f, &r[i], 1);
        assert_false(r[i].eof);
    }
    /* A refused slot frees when a connection goes. */
    tuv_raw_close(&r[0], &f.L);
    tuv_run_for(&f.L, 30);
    tuv_raw r5;
    assert_int_equal(tuv_raw_connect(&r5, &f.L, &f.addr), 1);
    char req[1024];
    size_t n = tuv_raw_request(req, sizeof req, "TCP", "lim5", 0);
    tuv_raw_write(&r5, req, n);
    wait_responses(&f, &r5, 1);
    for (int i = 1; i < 4; i++)
        tuv_raw_close(&r[i], &f.L);
    tuv_raw_close(&r5, &f.L);
    teardown(&f);
}

/* An idle connection is closed after idle_timeout. */
static void idle_timeout_closes(void **state)
{
    (void)state;
    gosip_uv_config cfg;
    gosip_uv_config_default(&cfg);
    cfg.tp.idle_timeout = GOSIP_MS(100);
    fixture f;
    setup_with(&f, &cfg, GOSIP_TP_TCP, "127.0.0.1");
    tuv_raw r;
    assert_int_equal(tuv_raw_connect(&r, &f.L, &f.addr), 1);
    char req[1024];
    size_t n = tuv_raw_request(req, sizeof req, "TCP", "idle", 0);
    tuv_raw_write(&r, req, n);
    wait_responses(&f, &r, 1);
    uint64_t t0 = uv_hrtime();
    tuv_run_until(&f.L, tuv_raw_got_eof, &r);
    assert_true(uv_hrtime() - t0 >= GOSIP_MS(50));
    tuv_raw_close(&r, &f.L);
    teardown(&f);
}

/* ---------------------------------------------------------------- raw UDP peer */

typedef struct raw_udp {
    uv_udp_t h;
    char rx[4096];
    size_t rxlen;
    int got;
    int closed;
} raw_udp;

static void raw_udp_alloc(uv_handle_t *h, size_t s, uv_buf_t *b)
{
    (void)s;
    raw_udp *u = h->data;
    *b = uv_buf_init(u->rx, sizeof u->rx - 1); /* room for a NUL */
}

static void raw_udp_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *a,
                         unsigned flags)
{
    (void)b;
    (void)flags;
    raw_udp *u = h->data;
    if (n > 0 && a) {
        u->rxlen = (size_t)n;
        u->rx[n] = '\0';
        u->got++;
    }
}

static void raw_udp_closed(uv_handle_t *h)
{
    ((raw_udp *)h->data)->closed = 1;
}

static int raw_udp_is_closed(void *p)
{
    return ((raw_udp *)p)->closed;
}

static void udp_send_to(raw_udp *u, const gosip_addr *to, const void *p, size_t n)
{
    struct sockaddr_in s4;
    memset(&s4, 0, sizeof s4);
    s4.sin_family = AF_INET;
    s4.sin_port = htons(to->port);
    memcpy(&s4.sin_addr, to->ip, 4);
    uv_buf_t b = uv_buf_init((char *)(uintptr_t)p, (unsigned)n);
    assert_int_equal(uv_udp_try_send(&u->h, &b, 1, (struct sockaddr *)&s4), (int)n);
}

/* A request from a raw socket is answered at its source address and port (rport), an
 * oversize datagram is dropped and counted, and the point keeps working. */
static void udp_raw_peer(void **state)
{
    (void)state;
    gosip_uv_config cfg;
    gosip_uv_config_default(&cfg);
    cfg.tp.limits.max_msg_size = 1500;
    fixture f;
    setup_with(&f, &cfg, GOSIP_TP_UDP, "127.0.0.1");
    raw_udp u;
    memset(&u, 0, sizeof u);
    uv_udp_init(&f.L.loop, &u.h);
    u.h.data = &u;
    struct sockaddr_in any;
    uv_ip4_addr("127.0.0.1", 0, &any);
    assert_int_equal(uv_udp_bind(&u.h, (struct sockaddr *)&any, 0), 0);
    uv_udp_recv_start(&u.h, raw_udp_alloc, raw_udp_recv);
    char big[3000];
    size_t n = tuv_raw_request(big, sizeof big, "UDP", "udpbig", 2000);
    udp_send_to(&u, &f.addr, big, n);
    tuv_run_for(&f.L, 30);
    assert_int_equal(f.a.nmsgs, 0);
    assert_int_equal(gosip_tp_stats_get(f.a.tp)->rx_malformed, 1);
    n = tuv_raw_request(big, sizeof big, "UDP", "udpok", 0);
    udp_send_to(&u, &f.addr, big, n);
    tuv_wait_count(&f.L, &u.got, 1);
    assert_true(u.rxlen > 12 && memcmp(u.rx, "SIP/2.0 200", 11) == 0);
    assert_non_null(strstr(u.rx, "rport="));
    uv_close((uv_handle_t *)&u.h, raw_udp_closed);
    tuv_run_until(&f.L, raw_udp_is_closed, &u);
    teardown(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(framing_partial_v4),
        cmocka_unit_test(framing_partial_v6),
        cmocka_unit_test(several_in_one_write),
        cmocka_unit_test(oversize_closes),
        cmocka_unit_test(stalled_peer_read_timeout),
        cmocka_unit_test(peer_hangs_up_mid_message),
        cmocka_unit_test(too_many_from_one_source),
        cmocka_unit_test(idle_timeout_closes),
        cmocka_unit_test(udp_raw_peer),
    };
    /* TUV_FILTER=<glob> runs only the matching tests (debugging under valgrind, gdb). */
    if (getenv("TUV_FILTER"))
        cmocka_set_test_filter(getenv("TUV_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
