/* Transport core, sending: the Via of requests, the 18.1.1 switch to TCP, connection
 * reuse and limits, response routing (18.2.2, RFC 3581). */
#include "tu_transport.h"

static const char *const REQ =
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP placeholder.invalid;branch=z9hG4bKnashds8;x=1\r\n"
    "Max-Forwards: 70\r\n"
    "To: <sip:bob@example.com>\r\n"
    "From: <sip:alice@example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Content-Length: 0\r\n\r\n";

static gosip_target target(gosip_tp_kind kind, const char *ip, unsigned port)
{
    gosip_target t;
    memset(&t, 0, sizeof t);
    t.kind = kind;
    t.addr = tt_addr(ip, port);
    t.host = GOSIP_STR("bob.example.com");
    return t;
}

static void test_send_request_udp(void **state)
{
    (void)state;
    tt_fx fx;
    tt_setup(&fx);
    gosip_msg *m = tt_msg(REQ);
    gosip_target t = target(GOSIP_TP_UDP, "198.51.100.5", 5070);
    gosip_tp_kind used = GOSIP_TP_TLS;
    assert_int_equal(gosip_tp_send_request(fx.tp, m, &t, 0, &used), 0);
    assert_int_equal(used, GOSIP_TP_UDP);
    assert_string_equal(tt_top_via(m), "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnashds8;x=1;rport");
    assert_int_equal(tt_drain(&fx), 1);
    assert_int_equal(fx.tx[0].kind, GOSIP_TX_DATAGRAM);
    assert_ptr_equal(fx.tx[0].lp, fx.udp4);
    assert_true(gosip_addr_equal(&fx.tx[0].dest, &t.addr));
    assert_string_equal(tt_tx_via(&fx.tx[0]), tt_top_via(m));
    /* IPv6 target: the IPv6 listening point; rport is not added twice */
    t = target(GOSIP_TP_UDP, "2001:db8::5", 5060);
    assert_int_equal(gosip_tp_send_request(fx.tp, m, &t, 0, NULL), 0);
    assert_string_equal(tt_top_via(m),
                        "SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKnashds8;x=1;rport");
    assert_int_equal(tt_drain(&fx), 1);
    assert_ptr_equal(fx.tx[1].lp, fx.udp6);
    /* no TLS listening point on IPv6 */
    t = target(GOSIP_TP_TLS, "2001:db8::5", 5061);
    assert_int_equal(gosip_tp_send_request(fx.tp, m, &t, 0, NULL), GOSIP_ERR_NOT_FOUND);
    gosip_msg *resp;
    assert_int_equal(gosip_msg_new_response(&resp, m, 200, GOSIP_STR_NULL, GOSIP_STR_NULL), 0);
    assert_int_equal(gosip_tp_send_request(fx.tp, resp, &t, 0, NULL), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_tp_stats_get(fx.tp)->tx_messages, 2);
    gosip_msg_unref(resp);
    gosip_msg_unref(m);
    tt_teardown(&fx);
}

/* The printed size of REQ once its Via is rewritten for lp. */
static size_t udp_size(void)
{
    tt_fx fx;
    tt_setup(&fx);
    gosip_msg *m = tt_msg(REQ);
    gosip_target t = target(GOSIP_TP_UDP, "198.51.100.5", 5060);
    assert_int_equal(gosip_tp_send_request(fx.tp, m, &t, 0, NULL), 0);
    assert_int_equal(tt_drain(&fx), 1);
    size_t n = gosip_buf_len(fx.tx[0].buf);
    gosip_msg_unref(m);
    tt_teardown(&fx);
    return n;
}

static void test_udp_to_tcp_switch_at_limit(void **state)
{
    (void)state;
    size_t n = udp_size();
    for (int over = 0; over <= 1; over++) {
        tt_fx fx;
        tt_config(&fx);
        fx.cfg.udp_max_request = n - (size_t)over; /* the request is at, then one over, it */
        tt_start(&fx);
        gosip_msg *m = tt_msg(REQ);
        gosip_target t = target(GOSIP_TP_UDP, "198.51.100.5", 5060);
        gosip_tp_kind used;
        assert_int_equal(gosip_tp_send_request(fx.tp, m, &t, 0, &used), 0);
        assert_int_equal(tt_drain(&fx), 1);
        if (!over) {
            assert_int_equal(used, GOSIP_TP_UDP);
            assert_int_equal(fx.tx[0].kind, GOSIP_TX_DATAGRAM);
        } else {
            assert_int_equal(used, GOSIP_TP_TCP);
            assert_int_equal(fx.tx[0].kind, GOSIP_TX_CONNECT);
            assert_ptr_equal(fx.tx[0].lp, fx.tcp4);
            assert_true(gosip_addr_equal(&fx.tx[0].dest, &t.addr));
            assert_string_equal(tt_top_via(m),
                                "SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bKnashds8;x=1;rport");
            gosip_tp_conn_opened(fx.tx[0].conn, 1);
            assert_int_equal(tt_drain(&fx), 1);
            assert_int_equal(fx.tx[1].kind, GOSIP_TX_STREAM);
            assert_string_equal(tt_tx_via(&fx.tx[1]), tt_top_via(m));
        }
        gosip_msg_unref(m);
        tt_teardown(&fx);
    }
}

static void test_connection_reuse_and_queue_limit(void **state)
{
    (void)state;
    size_t n = udp_size();
    tt_fx fx;
    tt_config(&fx);
    fx.cfg.max_conn_queue = 2 * n; /* two requests fit before the connection opens */
    tt_start(&fx);
    gosip_msg *m = tt_msg(REQ);
    gosip_target t = target(GOSIP_TP_TLS, "198.51.100.5", 5061);
    assert_int_equal(gosip_tp_send_request(fx.tp, m, &t, 0, NULL), 0);
    assert_int_equal(gosip_tp_send_request(fx.tp, m, &t, 0, NULL), 0);
    assert_int_equal(gosip_tp_send_request(fx.tp, m, &t, 0, NULL), GOSIP_ERR_LIMIT);
    assert_int_equal(tt_drain(&fx), 1); /* one CONNECT, nothing else yet */
    assert_int_equal(fx.tx[0].kind, GOSIP_TX_CONNECT);
    assert_ptr_equal(fx.tx[0].lp, fx.tls4);
    tu_assert_str(fx.tx[0].tls_host, "bob.example.com");
    gosip_conn *c = fx.tx[0].conn;
    assert_int_equal(gosip_conn_kind(c), GOSIP_TP_TLS);
    gosip_tp_conn_opened(c, 5);
    assert_int_equal(tt_drain(&fx), 2);
    assert_int_equal(fx.tx[1].kind, GOSIP_TX_STREAM);
    assert_int_equal(fx.tx[2].kind, GOSIP_TX_STREAM);
    assert_ptr_equal(fx.tx[2].conn, c);
    /* open: the next request goes straight out on the same connection */
    assert_int_equal(gosip_tp_send_request(fx.tp, m, &t, 6, NULL), 0);
    assert_int_equal(tt_drain(&fx), 1);
    assert_int_equal(fx.tx[3].kind, GOSIP_TX_STREAM);
    assert_ptr_equal(fx.tx[3].conn, c);
    assert_int_equal(gosip_tp_next_expiry(fx.tp), 6 + GOSIP_DEFAULT_IDLE_TIMEOUT);
    /* bytes from the peer before "opened" on a second connection open it too */
    gosip_target t2 = target(GOSIP_TP_TCP, "198.51.100.6", 5060);
    assert_int_equal(gosip_tp_send_request(fx.tp, m, &t2, 6, NULL), 0);
    assert_int_equal(tt_drain(&fx), 1);
    gosip_conn *c2 = fx.tx[fx.ntx - 1].conn;
    assert_int_equal(gosip_tp_conn_recv(c2, "\r\n\r\n", 4, 6), 0);
    assert_int_equal(tt_drain(&fx), 2); /* the queued request, then the pong */
    assert_int_equal(fx.tx[fx.ntx - 2].kind, GOSIP_TX_STREAM);
    assert_true(tt_tx_is(&fx.tx[fx.ntx - 1], "\r\n"));
    /* another port of the same host is another peer */
    t.addr.port = 5062;
    assert_int_equal(gosip_tp_send_request(fx.tp, m, &t, 7, NULL), 0);
    assert_int_equal(tt_drain(&fx), 1);
    assert_int_equal(fx.tx[fx.ntx - 1].kind, GOSIP_TX_CONNECT);
    gosip_msg_unref(m);
    tt_teardown(&fx);
}

static void test_max_conns(void **state)
{
    (void)state;
    tt_fx fx;
    tt_config(&fx);
    fx.cfg.max_conns = 2;
    tt_start(&fx);
    gosip_addr p1 = tt_addr("192.0.2.20", 1), p2 = tt_addr("192.0.2.21", 1);
    gosip_conn *c1, *c2, *c3;
    assert_int_equal(gosip_tp_conn_accepted(fx.tp, fx.tcp4, &p1, 0, &c1), 0);
    assert_int_equal(gosip_tp_conn_accepted(fx.tp, fx.tcp4, &p2, 0, &c2), 0);
    assert_int_equal(gosip_tp_conn_accepted(fx.tp, fx.tcp4, &p2, 0, &c3), GOSIP_ERR_REFUSED);
    gosip_msg *m = tt_msg(REQ);
    gosip_target t = target(GOSIP_TP_TCP, "198.51.100.5", 5060);
    assert_int_equal(gosip_tp_send_request(fx.tp, m, &t, 0, NULL), GOSIP_ERR_REFUSED);
    assert_int_equal(gosip_tp_stats_get(fx.tp)->conns_refused, 1);
    /* the peer is already connected: reuse needs no new connection */
    t = target(GOSIP_TP_TCP, "192.0.2.20", 1);
    assert_int_equal(gosip_tp_send_request(fx.tp, m, &t, 0, NULL), 0);
    assert_int_equal(tt_drain(&fx), 1);
    assert_ptr_equal(fx.tx[0].conn, c1);
    gosip_tp_conn_closed(c2, 0, 1);
    assert_int_equal(fx.nerr, 0); /* orderly close, nothing queued */
    assert_int_equal(gosip_tp_conn_accepted(fx.tp, fx.tcp4, &p2, 0, &c3), 0);
    gosip_msg_unref(m);
    tt_teardown(&fx);
}

static void test_max_conns_per_source(void **state)
{
    (void)state;
    tt_fx fx;
    tt_config(&fx);
    fx.cfg.max_conns_per_source = 2;
    tt_start(&fx);
    gosip_conn *c[3];
    gosip_addr p = tt_addr("192.0.2.20", 1);
    for (unsigned i = 0; i < 2; i++) {
        p.port = (uint16_t)(1000 + i);
        assert_int_equal(gosip_tp_conn_accepted(fx.tp, fx.tcp4, &p, 0, &c[i]), 0);
    }
    p.port = 1002;
    assert_int_equal(gosip_tp_conn_accepted(fx.tp, fx.tcp4, &p, 0, &c[2]), GOSIP_ERR_REFUSED);
    assert_int_equal(gosip_tp_stats_get(fx.tp)->conns_refused, 1);
    gosip_addr q = tt_addr("192.0.2.21", 1002);
    assert_int_equal(gosip_tp_conn_accepted(fx.tp, fx.tcp4, &q, 0, &c[2]), 0);
    gosip_addr q6 = tt_addr("2001:db8::20", 1002);
    gosip_conn *c6;
    assert_int_equal(gosip_tp_conn_accepted(fx.tp, fx.tcp6, &q6, 0, &c6), 0);
    gosip_tp_conn_closed(c[0], 0, 1);
    assert_int_equal(gosip_tp_conn_accepted(fx.tp, fx.tcp4, &p, 0, &c[0]), 0);
    assert_int_equal(gosip_tp_conn_accepted(fx.tp, fx.udp4, &p, 0, &c[0]), GOSIP_ERR_INVALID_ARG);
    tt_teardown(&fx);
}

/* ---------------------------------------------------------------- responses */

typedef struct route_case {
    const char *transport, *via;
    int rc;
    gosip_tp_kind kind;
    const char *ip; /* expected address, or the name to resolve */
    unsigned port;
} route_case;

static const route_case ROUTES[] = {
    {"UDP", "192.0.2.10:5062", 0, GOSIP_TP_UDP, "192.0.2.10", 5062},
    {"UDP", "192.0.2.10", 0, GOSIP_TP_UDP, "192.0.2.10", 5060},
    {"UDP", "pc33.example.com:5062;received=198.51.100.1", 0, GOSIP_TP_UDP, "198.51.100.1", 5062},
    {"UDP", "pc33.example.com;received=198.51.100.1", 0, GOSIP_TP_UDP, "198.51.100.1", 5060},
    {"UDP", "pc33.example.com:5062;rport=40000;received=198.51.100.1", 0, GOSIP_TP_UDP,
     "198.51.100.1", 40000},
    {"UDP", "[2001:db8::9]:5070;received=2001:db8::10;rport=4444", 0, GOSIP_TP_UDP,
     "2001:db8::10", 4444},
    {"UDP", "[2001:db8::9]:5070", 0, GOSIP_TP_UDP, "2001:db8::9", 5070},
    {"UDP", "192.0.2.10:5070;maddr=239.255.255.1;ttl=1;received=198.51.100.1", 0, GOSIP_TP_UDP,
     "239.255.255.1", 5070},
    {"TCP", "192.0.2.10;maddr=239.255.255.1;received=198.51.100.1", 0, GOSIP_TP_TCP,
     "198.51.100.1", 5060},
    {"UDP", "pc33.example.com:5070", GOSIP_ERR_RESOLVE, GOSIP_TP_UDP, "pc33.example.com", 5070},
    {"UDP", "192.0.2.10;maddr=mcast.example.com", GOSIP_ERR_RESOLVE, GOSIP_TP_UDP,
     "mcast.example.com", 5060},
    {"TCP", "pc33.example.com:5070;received=198.51.100.1", 0, GOSIP_TP_TCP, "198.51.100.1",
     5070},
    {"TLS", "pc33.example.com", GOSIP_ERR_RESOLVE, GOSIP_TP_TLS, "pc33.example.com", 5061},
    {"TLS", "[2001:db8::9];received=2001:db8::10", 0, GOSIP_TP_TLS, "2001:db8::10", 5061},
    {"SCTP", "192.0.2.10", GOSIP_ERR_INVALID_ARG, GOSIP_TP_UDP, NULL, 0},
};

static void test_response_target_cases(void **state)
{
    (void)state;
    tt_fx fx;
    tt_setup(&fx);
    for (size_t i = 0; i < sizeof ROUTES / sizeof ROUTES[0]; i++) {
        const route_case *rc = &ROUTES[i];
        char buf[1024];
        tt_response(buf, sizeof buf, rc->transport, rc->via);
        gosip_msg *m = tt_msg(buf);
        gosip_target t;
        gosip_conn *c = (gosip_conn *)&t;
        int r = gosip_tp_response_target(fx.tp, m, NULL, &t, &c);
        if (r != rc->rc)
            fail_msg("case %zu (%s): %d != %d", i, rc->via, r, rc->rc);
        assert_null(c);
        if (r == 0) {
            gosip_addr want = tt_addr(rc->ip, rc->port);
            assert_true(gosip_addr_equal(&t.addr, &want));
            assert_int_equal(t.kind, rc->kind);
        } else if (r == GOSIP_ERR_RESOLVE) {
            tu_assert_str(t.host, rc->ip);
            assert_int_equal(t.addr.port, rc->port);
            assert_int_equal(t.kind, rc->kind);
        }
        gosip_msg_unref(m);
    }
    gosip_msg *m = tt_msg("SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
    gosip_target t;
    assert_int_equal(gosip_tp_response_target(fx.tp, m, NULL, &t, NULL), GOSIP_ERR_INVALID_ARG);
    gosip_msg_unref(m);
    tt_teardown(&fx);
}

/* Receives a request, answers it with send_response, returns the descriptor. */
static void answer(tt_fx *fx, int stream, gosip_conn *c, const char *via, gosip_tx *out)
{
    char buf[1024];
    size_t n = tt_request(buf, sizeof buf, stream ? "TCP" : "UDP", via);
    gosip_addr from = tt_addr("192.0.2.10", 40000);
    if (stream)
        assert_int_equal(gosip_tp_conn_recv(c, buf, n, 1), 0);
    else
        assert_int_equal(gosip_tp_recv_datagram(fx->tp, fx->udp4, &from, buf, n, 1), 0);
    assert_true(fx->nmsg > 0);
    gosip_msg *req = fx->msgs[fx->nmsg - 1];
    gosip_msg *resp;
    assert_int_equal(gosip_msg_new_response(&resp, req, 200, GOSIP_STR_NULL, GOSIP_STR("x")), 0);
    assert_int_equal(gosip_tp_send_response(fx->tp, resp, &fx->rx[fx->nmsg - 1], 2), 0);
    gosip_msg_unref(resp);
    int before = fx->ntx;
    assert_true(tt_drain(fx) >= 1);
    *out = fx->tx[before];
}

static void test_send_response(void **state)
{
    (void)state;
    tt_fx fx;
    tt_setup(&fx);
    gosip_tx tx;
    /* UDP with rport: back to the source address and port */
    answer(&fx, 0, NULL, "pc33.example.com;rport;branch=z9hG4bK1", &tx);
    assert_int_equal(tx.kind, GOSIP_TX_DATAGRAM);
    assert_ptr_equal(tx.lp, fx.udp4);
    gosip_addr want = tt_addr("192.0.2.10", 40000);
    assert_true(gosip_addr_equal(&tx.dest, &want));
    /* TCP: on the connection it came in on */
    gosip_addr peer = tt_addr("192.0.2.10", 40000);
    gosip_conn *c;
    assert_int_equal(gosip_tp_conn_accepted(fx.tp, fx.tcp4, &peer, 0, &c), 0);
    answer(&fx, 1, c, "pc33.example.com:5070;branch=z9hG4bK2", &tx);
    assert_int_equal(tx.kind, GOSIP_TX_STREAM);
    assert_ptr_equal(tx.conn, c);
    /* connection gone: a new one to received and the sent-by port */
    gosip_rx_info rx = fx.rx[fx.nmsg - 1];
    gosip_tp_conn_closed(c, 0, 3);
    gosip_msg *resp;
    assert_int_equal(gosip_msg_new_response(&resp, fx.msgs[fx.nmsg - 1], 200, GOSIP_STR_NULL,
                                            GOSIP_STR("x")), 0);
    gosip_target t;
    gosip_conn *tc;
    assert_int_equal(gosip_tp_response_target(fx.tp, resp, &rx, &t, &tc), 0);
    assert_null(tc);
    want = tt_addr("192.0.2.10", 5070);
    assert_true(gosip_addr_equal(&t.addr, &want));
    assert_int_equal(gosip_tp_send_response(fx.tp, resp, &rx, 4), 0);
    assert_int_equal(tt_drain(&fx), 1);
    assert_int_equal(fx.tx[fx.ntx - 1].kind, GOSIP_TX_CONNECT);
    assert_true(gosip_addr_equal(&fx.tx[fx.ntx - 1].dest, &want));
    gosip_msg_unref(resp);
    tt_teardown(&fx);
}

static void test_send_raw(void **state)
{
    (void)state;
    tt_fx fx;
    tt_setup(&fx);
    gosip_msg *m = tt_msg(REQ);
    gosip_target t = target(GOSIP_TP_UDP, "198.51.100.5", 5060);
    assert_int_equal(gosip_tp_send_raw(fx.tp, m, &t, NULL, 0), 0);
    assert_int_equal(tt_drain(&fx), 1);
    assert_true(tt_tx_is(&fx.tx[0], REQ)); /* as it is: no Via rewriting */
    gosip_addr peer = tt_addr("192.0.2.10", 40000);
    gosip_conn *c;
    assert_int_equal(gosip_tp_conn_accepted(fx.tp, fx.tcp4, &peer, 0, &c), 0);
    assert_int_equal(gosip_tp_send_raw(fx.tp, m, NULL, c, 0), 0);
    assert_int_equal(tt_drain(&fx), 1);
    assert_ptr_equal(fx.tx[1].conn, c);
    assert_int_equal(gosip_tp_send_raw(fx.tp, m, NULL, NULL, 0), GOSIP_ERR_INVALID_ARG);
    gosip_msg_unref(m);
    tt_teardown(&fx);
}

static void test_conn_closed_with_queue(void **state)
{
    (void)state;
    tt_fx fx;
    tt_setup(&fx);
    gosip_msg *m = tt_msg(REQ);
    gosip_target t = target(GOSIP_TP_TCP, "198.51.100.5", 5060);
    assert_int_equal(gosip_tp_send_request(fx.tp, m, &t, 0, NULL), 0);
    /* the CONNECT is still in the output queue when the runtime reports failure */
    gosip_conn *c;
    gosip_tx tx;
    assert_int_equal(gosip_tp_next_tx(fx.tp, &tx), 1);
    c = tx.conn;
    assert_int_equal(gosip_tp_send_request(fx.tp, m, &t, 0, NULL), 0);
    gosip_tp_conn_closed(c, -111, 1);
    assert_int_equal(fx.nerr, 1);
    assert_int_equal(fx.errs[0].code, GOSIP_ERR_IO);
    assert_int_equal(fx.errs[0].sys_error, -111);
    assert_true(gosip_addr_equal(&fx.errs[0].peer, &t.addr));
    assert_int_equal(fx.errs[0].kind, GOSIP_TP_TCP);
    assert_int_equal(gosip_tp_next_expiry(fx.tp), GOSIP_TSTAMP_NONE);
    /* open connection, orderly peer close while bytes wait in the output queue: those
     * are the runtime's; a new connection is opened for the next request */
    assert_int_equal(gosip_tp_send_request(fx.tp, m, &t, 2, NULL), 0);
    assert_int_equal(gosip_tp_next_tx(fx.tp, &tx), 1);
    assert_int_equal(tx.kind, GOSIP_TX_CONNECT);
    assert_int_equal(gosip_tp_send_request(fx.tp, m, &t, 2, NULL), 0);
    gosip_tp_conn_closed(tx.conn, 0, 3); /* orderly, but two requests were waiting */
    assert_int_equal(fx.nerr, 2);
    assert_int_equal(fx.errs[1].code, GOSIP_ERR_CLOSED);
    assert_int_equal(tt_drain(&fx), 0);
    gosip_msg_unref(m);
    tt_teardown(&fx);
}

static void test_lp_remove_closes_connections(void **state)
{
    (void)state;
    tt_fx fx;
    tt_setup(&fx);
    gosip_addr peer = tt_addr("192.0.2.10", 40000);
    gosip_conn *c;
    assert_int_equal(gosip_tp_conn_accepted(fx.tp, fx.tcp4, &peer, 0, &c), 0);
    gosip_tp_lp_remove(fx.tp, fx.tcp4, 1);
    assert_int_equal(tt_drain(&fx), 1);
    assert_int_equal(fx.tx[0].kind, GOSIP_TX_CLOSE);
    assert_ptr_equal(fx.tx[0].lp, fx.tcp4); /* still valid until the close is reported */
    gosip_tp_conn_closed(c, 0, 2);
    gosip_msg *m = tt_msg(REQ);
    gosip_target t = target(GOSIP_TP_TCP, "198.51.100.5", 5060);
    assert_int_equal(gosip_tp_send_request(fx.tp, m, &t, 0, NULL), GOSIP_ERR_NOT_FOUND);
    gosip_tp_lp_remove(fx.tp, fx.udp4, 1); /* no connections: freed at once */
    gosip_msg_unref(m);
    tt_teardown(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_send_request_udp),
        cmocka_unit_test(test_udp_to_tcp_switch_at_limit),
        cmocka_unit_test(test_connection_reuse_and_queue_limit),
        cmocka_unit_test(test_max_conns),
        cmocka_unit_test(test_max_conns_per_source),
        cmocka_unit_test(test_response_target_cases),
        cmocka_unit_test(test_send_response),
        cmocka_unit_test(test_send_raw),
        cmocka_unit_test(test_conn_closed_with_queue),
        cmocka_unit_test(test_lp_remove_closes_connections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
