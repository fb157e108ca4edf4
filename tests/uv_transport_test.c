/*
 * The libuv runtime end to end on loopback: two GoSIP runtimes on one loop exchange a
 * request and its response over UDP and TCP, IPv4 and IPv6; port 0 reports the real
 * port; listening points come and go while the loop runs; a large request switches from
 * UDP to TCP (RFC 3261 18.1.1) and its response comes back over the same connection;
 * datagrams queued together leave in batches, in order.
 */
#define _DEFAULT_SOURCE /* <uv.h> needs POSIX types hidden by -std=c11; mkdtemp */
#include "uv_testutil.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static void listen_ok(tuv_node *n, gosip_tp_kind kind, const char *host, unsigned port,
                      gosip_lp **lp)
{
    assert_int_equal(gosip_uv_listen(n->uv, kind, host, port, lp), 0);
    assert_int_not_equal(gosip_lp_addr(*lp)->port, 0);
}

/* B sends a request to A's point; A answers 200; B must see the response. */
static void exchange(tuv_loop *L, tuv_node *a, tuv_node *b, gosip_tp_kind kind,
                     const gosip_lp *a_lp, const char *branch)
{
    int a0 = a->nmsgs, b0 = b->nmsgs;
    gosip_msg *req = tuv_request("OPTIONS", branch, 0);
    gosip_target t = tuv_target(kind, a_lp);
    gosip_tp_kind used;
    assert_int_equal(gosip_tp_send_request(b->tp, req, &t, uv_hrtime(), &used), 0);
    assert_int_equal(used, kind);
    gosip_msg_unref(req);
    tuv_wait_count(L, &a->nmsgs, a0 + 1);
    tuv_wait_count(L, &b->nmsgs, b0 + 1);
    assert_true(gosip_msg_is_request(a->msgs[a0]));
    assert_int_equal(a->rx[a0].kind, kind);
    assert_int_equal(a->rx[a0].peer.family, gosip_lp_addr(a_lp)->family);
    assert_int_equal(gosip_msg_status(b->msgs[b0]), 200);
    assert_int_equal(b->rx[b0].kind, kind);
    assert_true(gosip_addr_equal(&b->rx[b0].peer, gosip_lp_addr(a_lp)) || kind != GOSIP_TP_UDP);
}

static void run_pair(gosip_tp_kind kind, const char *host)
{
    tuv_loop L;
    tuv_loop_init(&L, 60000);
    tuv_node a, b;
    tuv_node_new(&a, &L, NULL);
    tuv_node_new(&b, &L, NULL);
    a.auto_respond = 1;
    gosip_lp *alp, *blp;
    listen_ok(&a, kind, host, 0, &alp);
    listen_ok(&b, kind, host, 0, &blp);
    exchange(&L, &a, &b, kind, alp, "pair1");
    /* The request left from B's listening point address (UDP: its very socket). */
    if (kind == GOSIP_TP_UDP)
        assert_true(gosip_addr_equal(&a.rx[0].peer, gosip_lp_addr(blp)));
    else
        assert_memory_equal(a.rx[0].peer.ip, gosip_lp_addr(blp)->ip, 16);
    exchange(&L, &a, &b, kind, alp, "pair2");
    if (kind != GOSIP_TP_UDP) {
        /* One connection, reused for the second request (same source port). */
        assert_true(gosip_addr_equal(&a.rx[0].peer, &a.rx[1].peer));
        assert_non_null(a.rx[1].conn);
    }
    assert_int_equal(a.nerrs, 0);
    assert_int_equal(b.nerrs, 0);
    tuv_node_close(&a, &L);
    tuv_node_close(&b, &L);
    tuv_loop_finish(&L);
}

static void udp_v4(void **state)
{
    (void)state;
    run_pair(GOSIP_TP_UDP, "127.0.0.1");
}

static void udp_v6(void **state)
{
    (void)state;
    run_pair(GOSIP_TP_UDP, "::1");
}

static void tcp_v4(void **state)
{
    (void)state;
    run_pair(GOSIP_TP_TCP, "127.0.0.1");
}

static void tcp_v6(void **state)
{
    (void)state;
    run_pair(GOSIP_TP_TCP, "::1");
}

/* Port 0 gives a real port, readable at once; a bad host or a taken port is refused
 * without leaving anything on the loop; a TLS point without a certificate is
 * outbound-only. */
static void port0_and_bad_args(void **state)
{
    (void)state;
    tuv_loop L;
    tuv_loop_init(&L, 60000);
    tuv_node a;
    tuv_node_new(&a, &L, NULL);
    gosip_lp *u, *t, *dup = NULL;
    listen_ok(&a, GOSIP_TP_UDP, "127.0.0.1", 0, &u);
    listen_ok(&a, GOSIP_TP_TCP, "127.0.0.1", 0, &t);
    assert_int_equal(gosip_lp_kind(u), GOSIP_TP_UDP);
    assert_int_equal(gosip_lp_kind(t), GOSIP_TP_TCP);
    assert_int_equal(gosip_uv_listen(a.uv, GOSIP_TP_UDP, "not-an-ip", 0, &dup),
                     GOSIP_ERR_INVALID_ARG);
    /* no server certificate: an outbound-only TLS point, bound to a real port */
    gosip_lp *tls_out = NULL;
    assert_int_equal(gosip_uv_listen(a.uv, GOSIP_TP_TLS, "127.0.0.1", 0, &tls_out), 0);
    assert_int_equal(gosip_lp_kind(tls_out), GOSIP_TP_TLS);
    assert_true(gosip_lp_addr(tls_out)->port != 0);
    /* The port is taken: bind fails with IO and the libuv error is kept. */
    assert_int_equal(gosip_uv_listen(a.uv, GOSIP_TP_UDP, "127.0.0.1", gosip_lp_addr(u)->port, &dup),
                     GOSIP_ERR_IO);
    assert_int_equal(gosip_uv_last_error(a.uv), UV_EADDRINUSE);
    assert_null(dup);
    tuv_node_close(&a, &L);
    tuv_loop_finish(&L);
}

/* Listening points added and removed while the loop runs; removing a TCP point closes
 * its connections. */
static void add_remove_running(void **state)
{
    (void)state;
    tuv_loop L;
    tuv_loop_init(&L, 60000);
    tuv_node a, b;
    tuv_node_new(&a, &L, NULL);
    tuv_node_new(&b, &L, NULL);
    a.auto_respond = 1;
    gosip_lp *a1, *a2, *bu, *bt, *at;
    listen_ok(&b, GOSIP_TP_UDP, "127.0.0.1", 0, &bu);
    listen_ok(&b, GOSIP_TP_TCP, "127.0.0.1", 0, &bt);
    listen_ok(&a, GOSIP_TP_UDP, "127.0.0.1", 0, &a1);
    exchange(&L, &a, &b, GOSIP_TP_UDP, a1, "ar1");
    assert_int_equal(gosip_uv_unlisten(a.uv, a1), 0);
    listen_ok(&a, GOSIP_TP_UDP, "127.0.0.1", 0, &a2);
    exchange(&L, &a, &b, GOSIP_TP_UDP, a2, "ar2");

    listen_ok(&a, GOSIP_TP_TCP, "127.0.0.1", 0, &at);
    gosip_addr at_addr = *gosip_lp_addr(at);
    tuv_raw r;
    assert_int_equal(tuv_raw_connect(&r, &L, &at_addr), 1);
    tuv_run_for(&L, 20); /* let A accept it */
    assert_int_equal(gosip_uv_unlisten(a.uv, at), 0);
    tuv_run_until(&L, tuv_raw_got_eof, &r);
    tuv_raw_close(&r, &L);
    /* Nothing listens there any more. */
    tuv_raw r2;
    assert_true(tuv_raw_connect(&r2, &L, &at_addr) < 0);
    tuv_raw_close(&r2, &L);
    tuv_node_close(&a, &L);
    tuv_node_close(&b, &L);
    tuv_loop_finish(&L);
}

/* Binds A's UDP and TCP points on one port (ephemeral for UDP, then the same for TCP). */
static void listen_udp_tcp_same_port(tuv_node *a, const char *host, gosip_lp **u, gosip_lp **t)
{
    for (int tries = 0; tries < 20; tries++) {
        listen_ok(a, GOSIP_TP_UDP, host, 0, u);
        if (gosip_uv_listen(a->uv, GOSIP_TP_TCP, host, gosip_lp_addr(*u)->port, t) == 0)
            return;
        assert_int_equal(gosip_uv_unlisten(a->uv, *u), 0);
    }
    fail_msg("no port free for both UDP and TCP");
}

/* RFC 3261 18.1.1: a request over udp_max_request goes over TCP to the same address and
 * port, and the response returns over that connection (18.2.2). */
static void large_request_switches_to_tcp(void **state)
{
    (void)state;
    tuv_loop L;
    tuv_loop_init(&L, 60000);
    tuv_node a, b;
    tuv_node_new(&a, &L, NULL);
    tuv_node_new(&b, &L, NULL);
    a.auto_respond = 1;
    gosip_lp *au, *at, *bu, *bt;
    listen_udp_tcp_same_port(&a, "127.0.0.1", &au, &at);
    listen_ok(&b, GOSIP_TP_UDP, "127.0.0.1", 0, &bu);
    listen_ok(&b, GOSIP_TP_TCP, "127.0.0.1", 0, &bt);
    gosip_msg *req = tuv_request("MESSAGE", "big1", 3000);
    gosip_target t = tuv_target(GOSIP_TP_UDP, au);
    gosip_tp_kind used;
    assert_int_equal(gosip_tp_send_request(b.tp, req, &t, uv_hrtime(), &used), 0);
    assert_int_equal(used, GOSIP_TP_TCP);
    gosip_msg_unref(req);
    tuv_wait_count(&L, &a.nmsgs, 1);
    tuv_wait_count(&L, &b.nmsgs, 1);
    assert_int_equal(a.rx[0].kind, GOSIP_TP_TCP);
    assert_ptr_equal(a.rx[0].lp, at);
    assert_int_equal(gosip_msg_body(a.msgs[0]).n, 3000);
    assert_int_equal(gosip_msg_status(b.msgs[0]), 200);
    assert_int_equal(b.rx[0].kind, GOSIP_TP_TCP);
    assert_non_null(b.rx[0].conn);
    /* A small one still goes over UDP. */
    exchange(&L, &a, &b, GOSIP_TP_UDP, au, "small1");
    tuv_node_close(&a, &L);
    tuv_node_close(&b, &L);
    tuv_loop_finish(&L);
}

/* A send made outside any callback goes out before the loop blocks (prepare handle), and
 * closing a runtime with traffic in flight leaves nothing behind. */
static void send_outside_callbacks_and_close_busy(void **state)
{
    (void)state;
    tuv_loop L;
    tuv_loop_init(&L, 60000);
    tuv_node a, b;
    tuv_node_new(&a, &L, NULL);
    tuv_node_new(&b, &L, NULL);
    gosip_lp *at, *bt;
    listen_ok(&a, GOSIP_TP_TCP, "::1", 0, &at);
    listen_ok(&b, GOSIP_TP_TCP, "::1", 0, &bt);
    for (int i = 0; i < 5; i++) {
        char branch[16];
        snprintf(branch, sizeof branch, "busy%d", i);
        gosip_msg *req = tuv_request("OPTIONS", branch, 100);
        gosip_target t = tuv_target(GOSIP_TP_TCP, at);
        assert_int_equal(gosip_tp_send_request(b.tp, req, &t, uv_hrtime(), NULL), 0);
        gosip_msg_unref(req);
    }
    tuv_wait_count(&L, &a.nmsgs, 5);
    /* More in flight, then both close at once. */
    gosip_msg *req = tuv_request("OPTIONS", "busy9", 100);
    gosip_target t = tuv_target(GOSIP_TP_TCP, at);
    assert_int_equal(gosip_tp_send_request(b.tp, req, &t, uv_hrtime(), NULL), 0);
    gosip_msg_unref(req);
    tuv_node_close(&b, &L);
    tuv_node_close(&a, &L);
    tuv_loop_finish(&L);
}

/* Two runtimes on one loop, each with a UDP point on 127.0.0.1 and one on ::1. */
typedef struct udp_pair {
    tuv_loop L;
    tuv_node a, b;
    gosip_lp *a4, *a6, *b4, *b6;
} udp_pair;

static void udp_pair_open(udp_pair *p)
{
    tuv_loop_init(&p->L, 60000);
    tuv_node_new(&p->a, &p->L, NULL);
    tuv_node_new(&p->b, &p->L, NULL);
    listen_ok(&p->a, GOSIP_TP_UDP, "127.0.0.1", 0, &p->a4);
    listen_ok(&p->a, GOSIP_TP_UDP, "::1", 0, &p->a6);
    listen_ok(&p->b, GOSIP_TP_UDP, "127.0.0.1", 0, &p->b4);
    listen_ok(&p->b, GOSIP_TP_UDP, "::1", 0, &p->b6);
}

static void udp_pair_close(udp_pair *p)
{
    tuv_node_close(&p->a, &p->L);
    tuv_node_close(&p->b, &p->L);
    tuv_loop_finish(&p->L);
}

static int branch_no(const gosip_msg *m)
{
    gosip_str b = gosip_msg_via(m)->branch;
    return atoi(b.p + 7 + 3); /* z9hG4bK + "bat" */
}

/* Many datagrams queued at once leave in batches (one sendmmsg per run of one socket):
 * each arrives once and in order, over IPv4 and IPv6 points in the same flush, and a
 * destination the kernel refuses (broadcast without SO_BROADCAST) is reported as an I/O
 * error without holding back the datagrams after it. */
static void udp_batches_in_order(void **state)
{
    (void)state;
    udp_pair p;
    udp_pair_open(&p);
    tuv_loop *L = &p.L;
    tuv_node *a = &p.a, *b = &p.b;
    gosip_lp *a4 = p.a4, *a6 = p.a6;
    enum { PER_FAMILY = 45 }; /* more than one batch of 32 each */
    for (int i = 0; i < 2 * PER_FAMILY; i++) {
        char branch[16];
        snprintf(branch, sizeof branch, "bat%d", i);
        gosip_msg *req = tuv_request("OPTIONS", branch, 0);
        gosip_target t = tuv_target(GOSIP_TP_UDP, i < PER_FAMILY ? a4 : a6);
        assert_int_equal(gosip_tp_send_request(b->tp, req, &t, uv_hrtime(), NULL), 0);
        if (i == 10) {
            gosip_target bcast = tuv_target(GOSIP_TP_UDP, a4);
            memset(bcast.addr.ip, 0xff, 4);
            assert_int_equal(gosip_tp_send_request(b->tp, req, &bcast, uv_hrtime(), NULL), 0);
        }
        gosip_msg_unref(req);
    }
    tuv_wait_count(L, &a->nmsgs, 2 * PER_FAMILY);
    tuv_wait_count(L, &b->nerrs, 1);
    int last4 = -1, last6 = -1;
    for (int i = 0; i < a->nmsgs; i++) {
        int no = branch_no(a->msgs[i]);
        int *last = a->rx[i].lp == a4 ? &last4 : &last6;
        assert_true(no > *last);
        assert_int_equal(no < PER_FAMILY, a->rx[i].lp == a4);
        *last = no;
    }
    assert_int_equal(last4, PER_FAMILY - 1);
    assert_int_equal(last6, 2 * PER_FAMILY - 1);
    assert_int_equal(b->errs[0].code, GOSIP_ERR_IO);
    assert_int_equal(b->errs[0].peer.ip[0], 0xff);
    udp_pair_close(&p);
}

/* A listening point removed from inside on_error while its datagrams wait in the batch
 * being sent: those are dropped, the one already sent is not given back twice (ASan), and
 * the other point's datagrams still arrive. */
static void udp_unlisten_inside_batch_error(void **state)
{
    (void)state;
    udp_pair p;
    udp_pair_open(&p);
    tuv_loop *L = &p.L;
    tuv_node *a = &p.a, *b = &p.b;
    gosip_lp *a4 = p.a4, *a6 = p.a6, *b4 = p.b4;
    b->unlisten_on_error = b4;
    gosip_msg *req = tuv_request("OPTIONS", "unl", 0);
    gosip_target bcast = tuv_target(GOSIP_TP_UDP, a4);
    memset(bcast.addr.ip, 0xff, 4);
    gosip_target t4 = tuv_target(GOSIP_TP_UDP, a4), t6 = tuv_target(GOSIP_TP_UDP, a6);
    /* one sent before the refused one: its buffer is already given back when the point goes */
    assert_int_equal(gosip_tp_send_request(b->tp, req, &t4, uv_hrtime(), NULL), 0);
    assert_int_equal(gosip_tp_send_request(b->tp, req, &bcast, uv_hrtime(), NULL), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(gosip_tp_send_request(b->tp, req, &t4, uv_hrtime(), NULL), 0);
        assert_int_equal(gosip_tp_send_request(b->tp, req, &t6, uv_hrtime(), NULL), 0);
    }
    gosip_msg_unref(req);
    tuv_wait_count(L, &a->nmsgs, 4);
    tuv_run_for(L, 50);
    assert_int_equal(b->nerrs, 1);
    assert_null(b->unlisten_on_error);
    assert_int_equal(a->nmsgs, 4);
    int on4 = 0;
    for (int i = 0; i < a->nmsgs; i++)
        on4 += a->rx[i].lp == a4;
    assert_int_equal(on4, 1);
    udp_pair_close(&p);
}

/* Closing the runtime from inside on_message, with more messages of the same read still
 * to dispatch and a response just queued: nothing more is delivered, no callback runs
 * after close_cb, nothing leaks (ASan), and the peer sees the connection go. */
static void close_inside_callback(void **state)
{
    (void)state;
    tuv_loop L;
    tuv_loop_init(&L, 60000);
    tuv_node a;
    tuv_node_new(&a, &L, NULL);
    a.auto_respond = 1;
    a.close_in_callback = 1;
    gosip_lp *at;
    listen_ok(&a, GOSIP_TP_TCP, "127.0.0.1", 0, &at);
    gosip_addr addr = *gosip_lp_addr(at);
    tuv_raw r;
    assert_int_equal(tuv_raw_connect(&r, &L, &addr), 1);
    char all[4096];
    size_t n = 0;
    for (int i = 0; i < 3; i++) {
        char br[16];
        snprintf(br, sizeof br, "cic%d", i);
        n += tuv_raw_request(all + n, sizeof all - n, "TCP", br, 0);
    }
    tuv_raw_write(&r, all, n);
    tuv_run_until(&L, tuv_node_is_closed, &a);
    assert_int_equal(a.nmsgs, 1);
    tuv_run_until(&L, tuv_raw_got_eof, &r);
    tuv_raw_close(&r, &L);
    tuv_node_close(&a, &L);
    tuv_loop_finish(&L);
}

/* An outbound connection the peer refuses reaches on_error as an I/O error with libuv's
 * code and the peer's address; the request is lost, the runtime stays usable. */
static void connect_refused(void **state)
{
    (void)state;
    tuv_loop L;
    tuv_loop_init(&L, 60000);
    tuv_node a, b;
    tuv_node_new(&a, &L, NULL);
    tuv_node_new(&b, &L, NULL);
    a.auto_respond = 1;
    gosip_lp *at, *bt;
    listen_ok(&b, GOSIP_TP_TCP, "127.0.0.1", 0, &bt);
    gosip_addr dead;
    int holder = tuv_refusing_port(&dead);
    gosip_msg *req = tuv_request("OPTIONS", "refused", 0);
    gosip_target t = {GOSIP_TP_TCP, dead, GOSIP_STR_NULL};
    assert_int_equal(gosip_tp_send_request(b.tp, req, &t, uv_hrtime(), NULL), 0);
    gosip_msg_unref(req);
    tuv_wait_count(&L, &b.nerrs, 1);
    assert_int_equal(b.errs[0].code, GOSIP_ERR_IO);
    assert_int_equal(b.errs[0].sys_error, UV_ECONNREFUSED);
    assert_true(gosip_addr_equal(&b.errs[0].peer, &dead));
    close(holder);
    listen_ok(&a, GOSIP_TP_TCP, "127.0.0.1", 0, &at);
    exchange(&L, &a, &b, GOSIP_TP_TCP, at, "afterref");
    tuv_node_close(&a, &L);
    tuv_node_close(&b, &L);
    tuv_loop_finish(&L);
}

static int own_done(void *p)
{
    tuv_node *b = p;
    return b->nmsgs >= 1;
}

/* A runtime on a loop it creates: another runtime shares that loop, they exchange a
 * request, and gosip_uv_run frees the loop once the owner has closed (ASan: no leak). */
static void own_loop(void **state)
{
    (void)state;
    static const gosip_tp_callbacks cb = {tuv_on_message, tuv_on_error};
    tuv_node a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.auto_respond = 1;
    assert_int_equal(gosip_uv_new(&a.uv, NULL, NULL, &cb, &a), 0);
    a.tp = gosip_uv_transport(a.uv);
    uv_loop_t *loop = gosip_uv_loop(a.uv);
    assert_non_null(loop);
    assert_int_equal(gosip_uv_new(&b.uv, loop, NULL, &cb, &b), 0);
    b.tp = gosip_uv_transport(b.uv);
    gosip_lp *alp, *blp;
    listen_ok(&a, GOSIP_TP_UDP, "127.0.0.1", 0, &alp);
    listen_ok(&b, GOSIP_TP_UDP, "127.0.0.1", 0, &blp);
    gosip_msg *req = tuv_request("OPTIONS", "own1", 0);
    gosip_target t = tuv_target(GOSIP_TP_UDP, alp);
    assert_int_equal(gosip_tp_send_request(b.tp, req, &t, uv_hrtime(), NULL), 0);
    gosip_msg_unref(req);
    uint64_t t0 = uv_hrtime();
    while (!own_done(&b) && uv_hrtime() - t0 < GOSIP_SEC(5))
        gosip_uv_run(a.uv, UV_RUN_ONCE);
    assert_int_equal(b.nmsgs, 1);
    gosip_uv_close(b.uv, tuv_on_node_closed, &b);
    gosip_uv_close(a.uv, tuv_on_node_closed, &a);
    gosip_uv_run(a.uv, UV_RUN_DEFAULT); /* returns with a and its loop freed */
    assert_true(a.closed && b.closed);
    for (int i = 0; i < a.nmsgs; i++)
        gosip_msg_unref(a.msgs[i]);
    gosip_msg_unref(b.msgs[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(udp_v4),
        cmocka_unit_test(udp_v6),
        cmocka_unit_test(tcp_v4),
        cmocka_unit_test(tcp_v6),
        cmocka_unit_test(port0_and_bad_args),
        cmocka_unit_test(add_remove_running),
        cmocka_unit_test(large_request_switches_to_tcp),
        cmocka_unit_test(send_outside_callbacks_and_close_busy),
        cmocka_unit_test(udp_batches_in_order),
        cmocka_unit_test(udp_unlisten_inside_batch_error),
        cmocka_unit_test(close_inside_callback),
        cmocka_unit_test(connect_refused),
        cmocka_unit_test(own_loop),
    };
    /* TUV_FILTER=<glob> runs only the matching tests (debugging under valgrind, gdb). */
    if (getenv("TUV_FILTER"))
        cmocka_set_test_filter(getenv("TUV_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
