/* Transport core: read, idle and connect timeouts on a virtual clock, ten thousand
 * connections, re-entrancy, and a run with every allocation failing in turn. */
#include "tu_transport.h"

static gosip_conn *accept_at(tt_fx *fx, const char *ip, unsigned port, gosip_tstamp now)
{
    gosip_addr a = tt_addr(ip, port);
    gosip_conn *c = NULL;
    assert_int_equal(gosip_tp_conn_accepted(fx->tp, fx->tcp4, &a, now, &c), 0);
    return c;
}

static void test_read_timeout(void **state)
{
    (void)state;
    tt_fx fx;
    tt_setup(&fx);
    gosip_conn *c = accept_at(&fx, "192.0.2.20", 40001, 0);
    assert_int_equal(gosip_tp_next_expiry(fx.tp), GOSIP_DEFAULT_IDLE_TIMEOUT);
    static const char part[] = "OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h";
    assert_int_equal(gosip_tp_conn_recv(c, part, sizeof part - 1, GOSIP_SEC(1)), 0);
    gosip_tstamp due = GOSIP_SEC(1) + GOSIP_DEFAULT_READ_TIMEOUT;
    assert_int_equal(gosip_tp_next_expiry(fx.tp), due);
    /* more bytes of the same message do not restart the read timer */
    assert_int_equal(gosip_tp_conn_recv(c, "x", 1, GOSIP_SEC(20)), 0);
    assert_int_equal(gosip_tp_next_expiry(fx.tp), due);
    assert_int_equal(gosip_tp_handle_expiry(fx.tp, due - 1), 0);
    assert_int_equal(tt_drain(&fx), 0);
    assert_int_equal(gosip_tp_handle_expiry(fx.tp, due), 0);
    assert_int_equal(fx.nerr, 1);
    assert_int_equal(fx.errs[0].code, GOSIP_ERR_TIMEOUT);
    assert_int_equal(fx.errs[0].peer.port, 40001);
    assert_int_equal(tt_drain(&fx), 1);
    assert_int_equal(fx.tx[0].kind, GOSIP_TX_CLOSE);
    assert_int_equal(gosip_tp_stats_get(fx.tp)->conns_timed_out, 1);
    assert_int_equal(gosip_tp_next_expiry(fx.tp), GOSIP_TSTAMP_NONE);
    gosip_tp_conn_closed(c, 0, due);
    assert_int_equal(fx.nerr, 1);
    tt_teardown(&fx);
}

static void test_idle_timeout(void **state)
{
    (void)state;
    tt_fx fx;
    tt_setup(&fx);
    gosip_conn *c = accept_at(&fx, "192.0.2.20", 40001, 0);
    char buf[1024];
    size_t n = tt_request(buf, sizeof buf, "TCP", "192.0.2.20;branch=z9hG4bK1");
    assert_int_equal(gosip_tp_conn_recv(c, buf, n, GOSIP_SEC(5)), 0);
    assert_int_equal(gosip_tp_next_expiry(fx.tp), GOSIP_SEC(305));
    /* sending is traffic too */
    gosip_msg *resp;
    assert_int_equal(gosip_msg_new_response(&resp, fx.msgs[0], 200, GOSIP_STR_NULL, GOSIP_STR("t")),
                     0);
    assert_int_equal(gosip_tp_send_response(fx.tp, resp, &fx.rx[0], GOSIP_SEC(7)), 0);
    gosip_msg_unref(resp);
    assert_int_equal(gosip_tp_next_expiry(fx.tp), GOSIP_SEC(307));
    assert_int_equal(gosip_tp_handle_expiry(fx.tp, GOSIP_SEC(307) - 1), 0);
    assert_int_equal(tt_drain(&fx), 1); /* the response */
    assert_int_equal(gosip_tp_handle_expiry(fx.tp, GOSIP_SEC(307)), 0);
    assert_int_equal(tt_drain(&fx), 1);
    assert_int_equal(fx.tx[1].kind, GOSIP_TX_CLOSE);
    assert_int_equal(fx.nerr, 0); /* an idle close loses nothing: not reported */
    assert_int_equal(gosip_tp_stats_get(fx.tp)->conns_timed_out, 1);
    gosip_tp_conn_closed(c, 0, GOSIP_SEC(308));
    tt_teardown(&fx);
}

static void test_connect_timeout(void **state)
{
    (void)state;
    tt_fx fx;
    tt_config(&fx);
    fx.cfg.connect_timeout = GOSIP_SEC(4);
    tt_start(&fx);
    char buf[1024];
    tt_request(buf, sizeof buf, "TCP", "x.invalid;branch=z9hG4bK1");
    gosip_msg *m = tt_msg(buf);
    gosip_target t;
    memset(&t, 0, sizeof t);
    t.kind = GOSIP_TP_TLS;
    t.addr = tt_addr("198.51.100.5", 5061);
    assert_int_equal(gosip_tp_send_request(fx.tp, m, &t, GOSIP_SEC(2), NULL), 0);
    assert_int_equal(tt_drain(&fx), 1);
    gosip_conn *c = fx.tx[0].conn;
    assert_int_equal(gosip_tp_next_expiry(fx.tp), GOSIP_SEC(6));
    assert_int_equal(gosip_tp_handle_expiry(fx.tp, GOSIP_SEC(6) - 1), 0);
    assert_int_equal(fx.nerr, 0);
    assert_int_equal(gosip_tp_handle_expiry(fx.tp, GOSIP_SEC(6)), 0);
    assert_int_equal(fx.nerr, 1);
    assert_int_equal(fx.errs[0].code, GOSIP_ERR_TIMEOUT);
    assert_ptr_equal(fx.errs[0].conn, c);
    assert_true(gosip_addr_equal(&fx.errs[0].peer, &t.addr));
    assert_int_equal(fx.errs[0].kind, GOSIP_TP_TLS);
    assert_int_equal(tt_drain(&fx), 1);
    assert_int_equal(fx.tx[1].kind, GOSIP_TX_CLOSE);
    /* a late "opened" for a closing connection changes nothing */
    gosip_tp_conn_opened(c, GOSIP_SEC(7));
    assert_int_equal(tt_drain(&fx), 0);
    gosip_tp_conn_closed(c, 0, GOSIP_SEC(7));
    assert_int_equal(fx.nerr, 1);
    gosip_msg_unref(m);
    tt_teardown(&fx);
}

/* ---------------------------------------------------------------- many connections */

static void test_ten_thousand_connections(void **state)
{
    (void)state;
    enum { N = 10000 };
    tt_fx fx;
    tt_config(&fx);
    fx.cfg.max_conns = N;
    fx.cfg.max_conns_per_source = N;
    fx.cfg.mem = gosip_mem_default(); /* cmocka's tracked heap is slow at this size */
    tt_start(&fx);
    gosip_conn **conns = calloc(N, sizeof *conns);
    assert_non_null(conns);
    /* accepted in a scrambled order of times, from 100 addresses x 100 ports */
    for (unsigned i = 0; i < N; i++) {
        unsigned k = (i * 7919u) % N; /* 7919 is prime: a permutation of 0..N-1 */
        gosip_addr a = tt_addr("192.0.2.0", 10000 + k % 100);
        a.ip[3] = (uint8_t)(k / 100);
        assert_int_equal(gosip_tp_conn_accepted(fx.tp, fx.tcp4, &a, GOSIP_MS(k), &conns[k]), 0);
    }
    gosip_addr extra = tt_addr("192.0.2.200", 1);
    gosip_conn *x;
    assert_int_equal(gosip_tp_conn_accepted(fx.tp, fx.tcp4, &extra, 0, &x), GOSIP_ERR_REFUSED);
    /* they expire in the order of their times, each exactly at its deadline */
    unsigned next = 0;
    gosip_tstamp prev = 0;
    for (;;) {
        gosip_tstamp due = gosip_tp_next_expiry(fx.tp);
        if (due == GOSIP_TSTAMP_NONE)
            break;
        assert_true(due >= prev);
        prev = due;
        assert_int_equal(due, GOSIP_MS(next) + GOSIP_DEFAULT_IDLE_TIMEOUT);
        assert_int_equal(gosip_tp_handle_expiry(fx.tp, due + GOSIP_MS(1) - 1), 0);
        gosip_tx tx;
        while (gosip_tp_next_tx(fx.tp, &tx) == 1) {
            assert_int_equal(tx.kind, GOSIP_TX_CLOSE);
            assert_ptr_equal(tx.conn, conns[next]);
            next++;
            gosip_tp_conn_closed(tx.conn, 0, due);
        }
    }
    assert_int_equal(next, N);
    assert_int_equal(gosip_tp_stats_get(fx.tp)->conns_timed_out, N);
    assert_int_equal(gosip_tp_conn_accepted(fx.tp, fx.tcp4, &extra, 0, &x), 0);
    free(conns);
    tt_teardown(&fx);
}

/* ---------------------------------------------------------------- re-entrancy */

static void reenter(tt_fx *fx, gosip_msg *m, const gosip_rx_info *rx)
{
    (void)m;
    gosip_addr a = tt_addr("192.0.2.30", 5060);
    fx->hook_rc[0] = gosip_tp_recv_datagram(fx->tp, fx->udp4, &a, "x", 1, 0);
    fx->hook_rc[1] = rx->conn ? gosip_tp_conn_recv(rx->conn, "x", 1, 0) : GOSIP_ERR_RECURSIVE;
    fx->hook_rc[2] = gosip_tp_handle_expiry(fx->tp, 0);
    /* sending is allowed: it only queues */
    gosip_msg *resp;
    assert_int_equal(gosip_msg_new_response(&resp, m, 200, GOSIP_STR_NULL, GOSIP_STR("t")), 0);
    fx->hook_rc[3] = gosip_tp_send_response(fx->tp, resp, rx, 0);
    gosip_msg_unref(resp);
}

static void test_recursive_calls_refused(void **state)
{
    (void)state;
    tt_fx fx;
    tt_setup(&fx);
    fx.hook = reenter;
    char buf[1024];
    size_t n = tt_request(buf, sizeof buf, "UDP", "192.0.2.30;branch=z9hG4bK1");
    gosip_addr a = tt_addr("192.0.2.30", 5060);
    assert_int_equal(gosip_tp_recv_datagram(fx.tp, fx.udp4, &a, buf, n, 0), 0);
    assert_int_equal(fx.hook_rc[0], GOSIP_ERR_RECURSIVE);
    assert_int_equal(fx.hook_rc[1], GOSIP_ERR_RECURSIVE);
    assert_int_equal(fx.hook_rc[2], GOSIP_ERR_RECURSIVE);
    assert_int_equal(fx.hook_rc[3], 0);
    gosip_conn *c = accept_at(&fx, "192.0.2.30", 40000, 0);
    n = tt_request(buf, sizeof buf, "TCP", "192.0.2.30;branch=z9hG4bK2");
    assert_int_equal(gosip_tp_conn_recv(c, buf, n, 0), 0);
    assert_int_equal(fx.hook_rc[1], GOSIP_ERR_RECURSIVE);
    assert_int_equal(fx.hook_rc[3], 0);
    assert_int_equal(tt_drain(&fx), 2);
    assert_int_equal(fx.tx[1].kind, GOSIP_TX_STREAM);
    tt_teardown(&fx);
}

/* The runtime closes the connection from inside on_message (say, on a fatal verdict). */
static void close_inside(tt_fx *fx, gosip_msg *m, const gosip_rx_info *rx)
{
    (void)fx;
    (void)m;
    gosip_tp_conn_closed(rx->conn, 0, 0);
}

static void test_closed_inside_callback(void **state)
{
    (void)state;
    tt_fx fx;
    tt_setup(&fx);
    fx.hook = close_inside;
    gosip_conn *c = accept_at(&fx, "192.0.2.30", 40000, 0);
    char buf[2048];
    size_t n = tt_request(buf, sizeof buf, "TCP", "192.0.2.30;branch=z9hG4bK2");
    memcpy(buf + n, buf, n); /* two messages: the second is never delivered */
    assert_int_equal(gosip_tp_conn_recv(c, buf, 2 * n, 0), 0);
    assert_int_equal(fx.nmsg, 1);
    assert_int_equal(gosip_tp_next_expiry(fx.tp), GOSIP_TSTAMP_NONE);
    tt_teardown(&fx);
}

/* ---------------------------------------------------------------- allocation failures */

/* Every operation once; any may fail, none may leak or crash. */
static void exercise(tu_failmem *fm)
{
    tt_fx fx;
    tt_config(&fx);
    fx.cfg.mem = &fm->mem;
    static const gosip_tp_callbacks cb = {tt__on_message, tt__on_error};
    if (gosip_transport_new(&fx.tp, &fx.cfg, &cb, &fx) != 0)
        return;
    gosip_addr a4 = tt_addr("192.0.2.1", 5060);
    gosip_lp *udp = NULL, *tcp = NULL;
    gosip_tp_lp_add(fx.tp, GOSIP_TP_UDP, &a4, GOSIP_STR_NULL, &udp);
    gosip_tp_lp_add(fx.tp, GOSIP_TP_TCP, &a4, GOSIP_STR_NULL, &tcp);
    char buf[1024];
    size_t n = tt_request(buf, sizeof buf, "UDP", "192.0.2.9;rport;branch=z9hG4bK1");
    gosip_addr peer = tt_addr("192.0.2.9", 4000);
    if (udp)
        gosip_tp_recv_datagram(fx.tp, udp, &peer, buf, n, 0);
    gosip_conn *c = NULL;
    if (tcp && gosip_tp_conn_accepted(fx.tp, tcp, &peer, 0, &c) == 0) {
        n = tt_request(buf, sizeof buf, "TCP", "192.0.2.9;rport;branch=z9hG4bK1");
        gosip_tp_conn_recv(c, "\r\n\r\n", 4, 1);
        gosip_tp_conn_recv(c, buf, n, 1);
    }
    for (int i = 0; i < fx.nmsg; i++) {
        gosip_msg *resp;
        if (gosip_msg_new_response(&resp, fx.msgs[i], 200, GOSIP_STR_NULL, GOSIP_STR_NULL) == 0) {
            gosip_tp_send_response(fx.tp, resp, &fx.rx[i], 2);
            gosip_msg_unref(resp);
        }
    }
    gosip_msg *m = NULL;
    if (gosip_msg_parse(&m, buf, n, &(gosip_parse_opts){.mem = &fm->mem}, NULL) == 0) {
        gosip_target t = {GOSIP_TP_TCP, tt_addr("198.51.100.5", 5060), GOSIP_STR_NULL};
        gosip_tp_send_request(fx.tp, m, &t, 3, NULL);
        gosip_tp_send_request(fx.tp, m, &t, 3, NULL);
        t.kind = GOSIP_TP_UDP;
        gosip_tp_send_request(fx.tp, m, &t, 3, NULL);
        gosip_msg_unref(m);
    }
    gosip_tx tx;
    while (gosip_tp_next_tx(fx.tp, &tx) == 1) {
        if (tx.kind == GOSIP_TX_CONNECT)
            gosip_tp_conn_opened(tx.conn, 4);
        gosip_buf_unref(tx.buf);
    }
    gosip_tp_handle_expiry(fx.tp, GOSIP_SEC(1000));
    tt_teardown(&fx);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    tu_failmem fm;
    long total = 0;
    for (long at = 0;; at++) {
        tu_failmem_init(&fm, at);
        exercise(&fm);
        if (fm.failed == 0) {
            total = fm.calls;
            break;
        }
    }
    assert_true(total > 10); /* it did reach every allocation */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_timeout),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_connect_timeout),
        cmocka_unit_test(test_ten_thousand_connections),
        cmocka_unit_test(test_recursive_calls_refused),
        cmocka_unit_test(test_closed_inside_callback),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
