/* Transport core, receiving: datagrams (received/rport, our Via), stream framing,
 * keep-alives, framing errors and the size limit. */
#include "tu_transport.h"

static gosip_str via_param(const gosip_msg *m, const char *name)
{
    const gosip_via *v = gosip_msg_via(m);
    assert_non_null(v);
    const gosip_param *p = gosip_param_find(v->params, name);
    return p ? p->value : GOSIP_STR_NULL;
}

static int has_param(const gosip_msg *m, const char *name)
{
    const gosip_via *v = gosip_msg_via(m);
    return v && gosip_param_find(v->params, name) != NULL;
}

static void rx_dgram(tt_fx *fx, gosip_lp *lp, const char *from, unsigned port, const char *text)
{
    gosip_addr a = tt_addr(from, port);
    assert_int_equal(gosip_tp_recv_datagram(fx->tp, lp, &a, text, strlen(text), 0), 0);
}

/* ---------------------------------------------------------------- datagram requests */

static void test_request_received_when_sent_by_differs(void **state)
{
    (void)state;
    tt_fx fx;
    tt_setup(&fx);
    char buf[1024];
    tt_request(buf, sizeof buf, "UDP", "pc33.example.com;branch=z9hG4bK776asdhds");
    rx_dgram(&fx, fx.udp4, "192.0.2.10", 5062, buf);
    tt_request(buf, sizeof buf, "UDP", "192.0.2.99:5060;branch=z9hG4bK776asdhds");
    rx_dgram(&fx, fx.udp4, "192.0.2.10", 5062, buf);
    tt_request(buf, sizeof buf, "UDP", "192.0.2.10:5062;branch=z9hG4bK776asdhds");
    rx_dgram(&fx, fx.udp4, "192.0.2.10", 5062, buf);
    assert_int_equal(fx.nmsg, 3);
    tu_assert_str(via_param(fx.msgs[0], "received"), "192.0.2.10");
    tu_assert_str(via_param(fx.msgs[1], "received"), "192.0.2.10");
    assert_false(has_param(fx.msgs[2], "received")); /* same address: nothing to add */
    assert_false(has_param(fx.msgs[0], "rport"));
    assert_null(fx.rx[0].conn);
    assert_ptr_equal(fx.rx[0].lp, fx.udp4);
    assert_int_equal(fx.rx[0].kind, GOSIP_TP_UDP);
    assert_int_equal(fx.rx[0].peer.port, 5062);
    assert_int_equal(gosip_tp_stats_get(fx.tp)->rx_messages, 3);
    tt_teardown(&fx);
}

static void test_request_rport(void **state)
{
    (void)state;
    tt_fx fx;
    tt_setup(&fx);
    char buf[1024];
    /* RFC 3581 4: received is added even though it equals sent-by */
    tt_request(buf, sizeof buf, "UDP", "192.0.2.10:5060;rport;branch=z9hG4bK776asdhds");
    rx_dgram(&fx, fx.udp4, "192.0.2.10", 40000, buf);
    assert_int_equal(fx.nmsg, 1);
    tu_assert_str(via_param(fx.msgs[0], "received"), "192.0.2.10");
    tu_assert_str(via_param(fx.msgs[0], "rport"), "40000");
    assert_int_equal(gosip_msg_via(fx.msgs[0])->rport, 40000);
    /* an rport that already has a value is left alone */
    tt_request(buf, sizeof buf, "UDP", "192.0.2.10:5060;rport=7;branch=z9hG4bK776asdhds");
    rx_dgram(&fx, fx.udp4, "192.0.2.10", 40000, buf);
    tu_assert_str(via_param(fx.msgs[1], "rport"), "7");
    tt_teardown(&fx);
}

static void test_request_ipv6(void **state)
{
    (void)state;
    tt_fx fx;
    tt_setup(&fx);
    char buf[1024];
    tt_request(buf, sizeof buf, "UDP", "[2001:db8::9]:5060;rport;branch=z9hG4bK776asdhds");
    rx_dgram(&fx, fx.udp6, "2001:db8::10", 5070, buf);
    tt_request(buf, sizeof buf, "UDP", "[2001:DB8::10];branch=z9hG4bK776asdhds");
    rx_dgram(&fx, fx.udp6, "2001:db8::10", 5070, buf);
    assert_int_equal(fx.nmsg, 2);
    tu_assert_str(via_param(fx.msgs[0], "received"), "2001:db8::10");
    tu_assert_str(via_param(fx.msgs[0], "rport"), "5070");
    assert_false(has_param(fx.msgs[1], "received")); /* compared as addresses */
    assert_int_equal(fx.rx[0].peer.family, 6);
    tt_teardown(&fx);
}

static void test_request_defect_delivered_no_via_dropped(void **state)
{
    (void)state;
    tt_fx fx;
    tt_setup(&fx);
    rx_dgram(&fx, fx.udp4, "192.0.2.10", 5060,
             "OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\n"
             "CSeq: x OPTIONS\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(fx.nmsg, 1); /* the layer above answers 400 */
    rx_dgram(&fx, fx.udp4, "192.0.2.10", 5060,
             "OPTIONS sip:bob@example.com SIP/2.0\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(fx.nmsg, 1);
    assert_int_equal(gosip_tp_stats_get(fx.tp)->rx_malformed, 1);
    rx_dgram(&fx, fx.udp4, "192.0.2.10", 5060, "hello world\r\n\r\n");
    assert_int_equal(gosip_tp_stats_get(fx.tp)->rx_malformed, 2);
    rx_dgram(&fx, fx.udp4, "192.0.2.10", 5060, "\r\n\r\n"); /* keep-alive: not malformed */
    assert_int_equal(gosip_tp_stats_get(fx.tp)->rx_malformed, 2);
    assert_int_equal(gosip_tp_recv_datagram(fx.tp, NULL, &fx.rx[0].peer, "x", 1, 0),
                     GOSIP_ERR_INVALID_ARG);
    tt_teardown(&fx);
}

/* ---------------------------------------------------------------- datagram responses */

static void test_response_ours_and_not_ours(void **state)
{
    (void)state;
    tt_fx fx;
    tt_config(&fx);
    tt_start(&fx);
    gosip_addr a = tt_addr("192.0.2.7", 5080);
    gosip_lp *named;
    assert_int_equal(gosip_tp_lp_add(fx.tp, GOSIP_TP_UDP, &a, GOSIP_STR("proxy.example.com"),
                                     &named), 0);
    assert_int_equal(gosip_tp_lp_add(fx.tp, GOSIP_TP_UDP, &a, GOSIP_STR_NULL, NULL),
                     GOSIP_ERR_EXISTS);
    static const char *const ours[] = {
        "192.0.2.1:5060;branch=z9hG4bK1", "192.0.2.1;branch=z9hG4bK1",
        "PROXY.Example.COM:5080;branch=z9hG4bK1", "[2001:db8:0::1]:5060;branch=z9hG4bK1"};
    static const char *const theirs[] = {
        "192.0.2.1:5070;branch=z9hG4bK1", "192.0.2.2:5060;branch=z9hG4bK1",
        "proxy.example.com;branch=z9hG4bK1", "other.example.com:5080;branch=z9hG4bK1"};
    char buf[1024];
    for (size_t i = 0; i < 4; i++) {
        tt_response(buf, sizeof buf, "UDP", ours[i]);
        rx_dgram(&fx, fx.udp4, "192.0.2.10", 5060, buf);
        assert_int_equal(fx.nmsg, (int)i + 1);
    }
    for (size_t i = 0; i < 4; i++) {
        tt_response(buf, sizeof buf, "UDP", theirs[i]);
        rx_dgram(&fx, fx.udp4, "192.0.2.10", 5060, buf);
    }
    /* TLS's default port is 5061 */
    tt_response(buf, sizeof buf, "TLS", "192.0.2.1;branch=z9hG4bK1");
    rx_dgram(&fx, fx.udp4, "192.0.2.10", 5060, buf);
    assert_int_equal(fx.nmsg, 5);
    assert_int_equal(gosip_tp_stats_get(fx.tp)->rx_not_ours, 4);
    /* a defective response is dropped as malformed */
    rx_dgram(&fx, fx.udp4, "192.0.2.10", 5060,
             "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\nCSeq: x\r\n"
             "Content-Length: 0\r\n\r\n");
    assert_int_equal(fx.nmsg, 5);
    assert_int_equal(gosip_tp_stats_get(fx.tp)->rx_malformed, 1);
    tt_teardown(&fx);
}

/* ---------------------------------------------------------------- streams */

static gosip_conn *accept_tcp(tt_fx *fx, const char *ip, unsigned port, gosip_tstamp now)
{
    gosip_addr a = tt_addr(ip, port);
    gosip_conn *c = NULL;
    assert_int_equal(gosip_tp_conn_accepted(fx->tp, fx->tcp4, &a, now, &c), 0);
    assert_non_null(c);
    return c;
}

static void test_stream_one_byte_reads(void **state)
{
    (void)state;
    tt_fx fx;
    tt_setup(&fx);
    gosip_conn *c = accept_tcp(&fx, "192.0.2.20", 40001, 0);
    char buf[1024];
    size_t n = tt_request(buf, sizeof buf, "TCP", "192.0.2.20:5060;rport;branch=z9hG4bK9");
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(gosip_tp_conn_recv(c, buf + i, 1, GOSIP_MS(i)), 0);
        assert_int_equal(fx.nmsg, i + 1 == n ? 1 : 0);
    }
    assert_ptr_equal(fx.rx[0].conn, c);
    assert_int_equal(fx.rx[0].kind, GOSIP_TP_TCP);
    tu_assert_str(via_param(fx.msgs[0], "rport"), "40001");
    tu_assert_str(via_param(fx.msgs[0], "received"), "192.0.2.20");
    assert_ptr_equal(gosip_conn_lp(c), fx.tcp4);
    assert_int_equal(gosip_conn_peer(c)->port, 40001);
    tt_teardown(&fx);
}

static void test_stream_three_in_one_read(void **state)
{
    (void)state;
    tt_fx fx;
    tt_setup(&fx);
    gosip_conn *c = accept_tcp(&fx, "192.0.2.20", 40001, 0);
    char one[1024], all[4096];
    size_t n = tt_request(one, sizeof one, "TCP", "192.0.2.20;branch=z9hG4bK9");
    size_t body = 5;
    /* a message with a body, then two without, with a pong CRLF between */
    int k = snprintf(all, sizeof all,
                     "MESSAGE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.20;"
                     "branch=z9hG4bK8\r\nTo: <sip:b@example.com>\r\nFrom: <sip:a@example.com>;tag=1"
                     "\r\nCall-ID: x\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n"
                     "Content-Length: %zu\r\n\r\nhello%s\r\n%s",
                     body, one, one);
    assert_true(k > 0);
    assert_int_equal(gosip_tp_conn_recv(c, all, (size_t)k, 1), 0);
    assert_int_equal(fx.nmsg, 3);
    tu_assert_str(gosip_msg_body(fx.msgs[0]), "hello");
    assert_int_equal(tt_drain(&fx), 0); /* a lone CRLF is a pong: no answer */
    (void)n;
    tt_teardown(&fx);
}

static void test_stream_ping_pong(void **state)
{
    (void)state;
    tt_fx fx;
    tt_setup(&fx);
    gosip_conn *c = accept_tcp(&fx, "192.0.2.20", 40001, 0);
    assert_int_equal(gosip_tp_conn_recv(c, "\r\n\r\n", 4, 1), 0);
    assert_int_equal(tt_drain(&fx), 1);
    assert_int_equal(fx.tx[0].kind, GOSIP_TX_STREAM);
    assert_ptr_equal(fx.tx[0].conn, c);
    assert_true(tt_tx_is(&fx.tx[0], "\r\n"));
    /* a ping split across reads is still a ping */
    assert_int_equal(gosip_tp_conn_recv(c, "\r\n", 2, 2), 0);
    assert_int_equal(tt_drain(&fx), 0);
    assert_int_equal(gosip_tp_conn_recv(c, "\r\n", 2, 3), 0);
    assert_int_equal(tt_drain(&fx), 1);
    /* a lone pong followed by a message: consumed, not answered */
    char buf[1024];
    size_t n = tt_request(buf + 2, sizeof buf - 2, "TCP", "192.0.2.20;branch=z9hG4bK9");
    memcpy(buf, "\r\n", 2);
    assert_int_equal(gosip_tp_conn_recv(c, buf, n + 2, 4), 0);
    assert_int_equal(tt_drain(&fx), 0);
    assert_int_equal(fx.nmsg, 1);
    assert_int_equal(gosip_tp_stats_get(fx.tp)->keepalives, 2);
    assert_int_equal(gosip_tp_next_expiry(fx.tp), 4 + GOSIP_DEFAULT_IDLE_TIMEOUT);
    tt_teardown(&fx);
}

static void test_stream_framing_error_closes(void **state)
{
    (void)state;
    tt_fx fx;
    tt_setup(&fx);
    gosip_conn *c = accept_tcp(&fx, "192.0.2.20", 40001, 0);
    static const char bad[] = "OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1"
                              "\r\nCSeq: 1 OPTIONS\r\n\r\n";
    assert_int_equal(gosip_tp_conn_recv(c, bad, sizeof bad - 1, 1), 0);
    assert_int_equal(fx.nmsg, 0);
    assert_int_equal(fx.nerr, 1);
    assert_int_equal(fx.errs[0].code, GOSIP_ERR_FRAMING);
    assert_ptr_equal(fx.errs[0].conn, c);
    assert_int_equal(fx.errs[0].peer.port, 40001);
    assert_int_equal(tt_drain(&fx), 1);
    assert_int_equal(fx.tx[0].kind, GOSIP_TX_CLOSE);
    assert_ptr_equal(fx.tx[0].conn, c);
    assert_int_equal(gosip_tp_conn_recv(c, "x", 1, 2), GOSIP_ERR_CLOSED);
    assert_int_equal(gosip_tp_next_expiry(fx.tp), GOSIP_TSTAMP_NONE);
    gosip_tp_conn_closed(c, 0, 3);
    assert_int_equal(fx.nerr, 1); /* reported once, when we closed it */
    tt_teardown(&fx);
}

static void test_stream_oversize_closes(void **state)
{
    (void)state;
    tt_fx fx;
    tt_config(&fx);
    fx.cfg.limits.max_msg_size = 300;
    tt_start(&fx);
    gosip_conn *c = accept_tcp(&fx, "192.0.2.20", 40001, 0);
    char big[400];
    memset(big, 'a', sizeof big);
    memcpy(big, "OPTIONS sip:b@example.com SIP/2.0\r\nX: ", 38);
    /* 300 octets are accepted while incomplete; the read that goes past closes */
    for (size_t i = 0; i < sizeof big; i += 50) {
        int rc = gosip_tp_conn_recv(c, big + i, 50, 1);
        assert_int_equal(rc, i <= 300 ? 0 : GOSIP_ERR_CLOSED);
        assert_int_equal(fx.nerr, i < 300 ? 0 : 1);
    }
    assert_int_equal(fx.nerr, 1);
    assert_int_equal(fx.errs[0].code, GOSIP_ERR_TOO_LARGE);
    assert_int_equal(tt_drain(&fx), 1);
    assert_int_equal(fx.tx[0].kind, GOSIP_TX_CLOSE);
    gosip_tp_conn_closed(c, 0, 2);
    /* a Content-Length announcing too much closes at once */
    c = accept_tcp(&fx, "192.0.2.20", 40002, 0);
    static const char cl[] = "OPTIONS sip:b@example.com SIP/2.0\r\nContent-Length: 5000\r\n\r\n";
    assert_int_equal(gosip_tp_conn_recv(c, cl, sizeof cl - 1, 3), 0);
    assert_int_equal(fx.nerr, 2);
    assert_int_equal(fx.errs[1].code, GOSIP_ERR_TOO_LARGE);
    gosip_tp_conn_closed(c, 0, 4);
    tt_teardown(&fx);
}

static void test_stream_request_without_via_and_bad_response(void **state)
{
    (void)state;
    tt_fx fx;
    tt_setup(&fx);
    gosip_conn *c = accept_tcp(&fx, "192.0.2.20", 40001, 0);
    static const char novia[] = "OPTIONS sip:b@example.com SIP/2.0\r\nContent-Length: 0\r\n\r\n";
    assert_int_equal(gosip_tp_conn_recv(c, novia, sizeof novia - 1, 1), 0);
    char buf[1024];
    size_t n = tt_response(buf, sizeof buf, "TCP", "198.51.100.1;branch=z9hG4bK1");
    assert_int_equal(gosip_tp_conn_recv(c, buf, n, 2), 0);
    n = tt_response(buf, sizeof buf, "TCP", "192.0.2.1;branch=z9hG4bK1");
    assert_int_equal(gosip_tp_conn_recv(c, buf, n, 2), 0);
    assert_int_equal(fx.nmsg, 1);
    assert_int_equal(gosip_tp_stats_get(fx.tp)->rx_malformed, 1);
    assert_int_equal(gosip_tp_stats_get(fx.tp)->rx_not_ours, 1);
    assert_int_equal(tt_drain(&fx), 0); /* the connection stays open */
    tt_teardown(&fx);
}

/* ---------------------------------------------------------------- addresses */

static void test_addr_and_kind(void **state)
{
    (void)state;
    gosip_addr a, b;
    char buf[64];
    assert_int_equal(gosip_addr_from_str(&a, GOSIP_STR("[2001:DB8::1]"), 5060), 0);
    assert_int_equal(a.family, 6);
    assert_int_equal(gosip_addr_print(&a, buf, sizeof buf), strlen("[2001:db8::1]:5060"));
    assert_string_equal(buf, "[2001:db8::1]:5060");
    gosip_addr_print_host(&a, buf, sizeof buf);
    assert_string_equal(buf, "2001:db8::1");
    assert_int_equal(gosip_addr_from_str(&b, GOSIP_STR("2001:db8:0:0::1"), 5060), 0);
    assert_true(gosip_addr_equal(&a, &b));
    b.port = 5061;
    assert_false(gosip_addr_equal(&a, &b));
    assert_int_equal(gosip_addr_from_str(&a, GOSIP_STR("192.0.2.1"), 65535), 0);
    assert_int_equal(a.family, 4);
    assert_int_equal(gosip_addr_print(&a, buf, 8), strlen("192.0.2.1:65535"));
    assert_string_equal(buf, "192.0.2");
    assert_int_equal(gosip_addr_from_str(&a, GOSIP_STR("192.0.2.1"), 65536), GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_addr_from_str(&a, GOSIP_STR("example.com"), 1), GOSIP_ERR_PARSE);
    assert_int_equal(gosip_addr_from_str(&a, GOSIP_STR("[192.0.2.1]"), 1), GOSIP_ERR_PARSE);
    assert_int_equal(gosip_addr_from_str(&a, GOSIP_STR("192.0.2.256"), 1), GOSIP_ERR_PARSE);
    gosip_tp_kind k;
    assert_int_equal(gosip_tp_kind_from_str(GOSIP_STR("tls"), &k), 0);
    assert_int_equal(k, GOSIP_TP_TLS);
    assert_int_equal(gosip_tp_kind_from_str(GOSIP_STR("SCTP"), &k), GOSIP_ERR_UNSUPPORTED);
    assert_string_equal(gosip_tp_kind_name(GOSIP_TP_TCP), "TCP");
    assert_true(gosip_tp_kind_reliable(GOSIP_TP_TLS));
    assert_false(gosip_tp_kind_reliable(GOSIP_TP_UDP));
    gosip_buf_unref(NULL);
    gosip_transport_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr_and_kind),
        cmocka_unit_test(test_request_received_when_sent_by_differs),
        cmocka_unit_test(test_request_rport),
        cmocka_unit_test(test_request_ipv6),
        cmocka_unit_test(test_request_defect_delivered_no_via_dropped),
        cmocka_unit_test(test_response_ours_and_not_ours),
        cmocka_unit_test(test_stream_one_byte_reads),
        cmocka_unit_test(test_stream_three_in_one_read),
        cmocka_unit_test(test_stream_ping_pong),
        cmocka_unit_test(test_stream_framing_error_closes),
        cmocka_unit_test(test_stream_oversize_closes),
        cmocka_unit_test(test_stream_request_without_via_and_bad_response),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
