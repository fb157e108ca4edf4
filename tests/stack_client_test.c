/*
 * The client side of the stack: routing (outbound proxy, loose and strict routes, the
 * next-hop function), RFC 3263 targets through a resolver hook with failover, transport
 * errors, and the exactly-once outcome when transactions or the stack end early.
 */
#include "tu_stack.h"

#define A_HOST "192.0.2.1"

static gosip_txn *start(ts_net *net, gosip_msg *req)
{
    gosip_txn *t = NULL;
    assert_int_equal(
        gosip_provider_new_client_txn(gosip_stack_provider(net->nodes[0].stack), req, &t), 0);
    assert_int_equal(gosip_txn_send_request(t, net->now), 0);
    ts_settle(net);
    return t;
}

static const ts_pkt *last_to(const ts_net *net, const char *host, unsigned port)
{
    gosip_addr a = ts_addr(host, port);
    for (int i = net->n_pkts - 1; i >= 0; i--)
        if (gosip_addr_equal(&net->pkts[i].to, &a))
            return &net->pkts[i];
    return NULL;
}

static void test_outbound_proxy_adds_route(void **state)
{
    (void)state;
    ts_net net = {0};
    gosip_config cfg;
    ts_config(&cfg);
    cfg.outbound_proxy = "sip:192.0.2.77:5070;lr";
    ts_node_add(&net, A_HOST, 5060, &cfg);
    gosip_msg *req = ts_request("OPTIONS", "sip:bob@example.com");
    gosip_txn *t = start(&net, req);
    const ts_pkt *p = last_to(&net, "192.0.2.77", 5070);
    assert_non_null(p);
    assert_non_null(strstr(p->text, "OPTIONS sip:bob@example.com SIP/2.0\r\n"));
    assert_non_null(strstr(p->text, "Route: <sip:192.0.2.77:5070;lr>\r\n"));
    gosip_msg_unref(req);
    gosip_txn_unref(t);
    ts_free(&net);
}

static void test_strict_route_fixup(void **state)
{
    (void)state;
    ts_net net = {0};
    ts_node_add(&net, A_HOST, 5060, NULL);
    gosip_msg *req = ts_request("OPTIONS", "sip:bob@example.com");
    assert_int_equal(gosip_msg_add_hdr_kind(req, GOSIP_HDR_ROUTE,
                                            GOSIP_STR("<sip:192.0.2.80>, <sip:p2.example.com;lr>"),
                                            GOSIP_WHERE_APPEND, NULL, NULL),
                     0);
    gosip_txn *t = start(&net, req);
    const ts_pkt *p = last_to(&net, "192.0.2.80", 5060);
    assert_non_null(p);
    /* 12.2.1.1: the strict router's URI is the Request-URI, the old one the last Route */
    assert_non_null(strstr(p->text, "OPTIONS sip:192.0.2.80 SIP/2.0\r\n"));
    const char *r1 = strstr(p->text, "Route: <sip:p2.example.com;lr>");
    const char *r2 = strstr(p->text, "<sip:bob@example.com>");
    assert_non_null(r1);
    assert_non_null(r2);
    assert_true(r1 < r2);
    assert_null(strstr(p->text, "<sip:192.0.2.80>"));
    gosip_msg_unref(req);
    gosip_txn_unref(t);
    ts_free(&net);
}

static void test_loose_route_goes_to_first_hop(void **state)
{
    (void)state;
    ts_net net = {0};
    ts_node_add(&net, A_HOST, 5060, NULL);
    gosip_msg *req = ts_request("OPTIONS", "sip:bob@192.0.2.99");
    assert_int_equal(gosip_msg_add_hdr_kind(req, GOSIP_HDR_ROUTE,
                                            GOSIP_STR("<sip:192.0.2.81:5080;lr>"),
                                            GOSIP_WHERE_APPEND, NULL, NULL),
                     0);
    gosip_txn *t = start(&net, req);
    const ts_pkt *p = last_to(&net, "192.0.2.81", 5080);
    assert_non_null(p);
    assert_non_null(strstr(p->text, "OPTIONS sip:bob@192.0.2.99 SIP/2.0\r\n"));
    gosip_msg_unref(req);
    gosip_txn_unref(t);
    ts_free(&net);
}

static int hop_fn(gosip_stack *stack, const gosip_msg *req, gosip_hop *hop, void *ud)
{
    (void)stack;
    (void)req;
    int *calls = ud;
    (*calls)++;
    hop->host = GOSIP_STR("192.0.2.90");
    hop->port = 5099;
    return 1;
}

static void test_next_hop_function(void **state)
{
    (void)state;
    ts_net net = {0};
    gosip_config cfg;
    ts_config(&cfg);
    int calls = 0;
    cfg.next_hop = hop_fn;
    cfg.next_hop_data = &calls;
    ts_node_add(&net, A_HOST, 5060, &cfg);
    gosip_msg *req = ts_request("OPTIONS", "sip:bob@192.0.2.99");
    gosip_txn *t = start(&net, req);
    assert_int_equal(calls, 1);
    assert_non_null(last_to(&net, "192.0.2.90", 5099));
    assert_null(last_to(&net, "192.0.2.99", 5060));
    gosip_msg_unref(req);
    gosip_txn_unref(t);
    ts_free(&net);
}

/* ---------------------------------------------------------------- resolver and failover */

typedef struct fake_res {
    gosip_resolve_query *q[4];
    int n, cancelled;
    char host[64];
} fake_res;

static int fake_resolve(void *ud, const gosip_uri *uri, gosip_resolve_query *q)
{
    fake_res *r = ud;
    snprintf(r->host, sizeof r->host, "%.*s", (int)uri->host.n, uri->host.p);
    r->q[r->n++] = q;
    return 0;
}

static void fake_cancel(void *ud, gosip_resolve_query *q)
{
    (void)q;
    ((fake_res *)ud)->cancelled++;
}

static void two_targets(gosip_target *tg)
{
    memset(tg, 0, 2 * sizeof *tg);
    tg[0].kind = tg[1].kind = GOSIP_TP_UDP;
    tg[0].addr = ts_addr("192.0.2.101", 5060);
    tg[1].addr = ts_addr("192.0.2.102", 5060);
    tg[0].host = tg[1].host = GOSIP_STR("example.net");
}

static gosip_txn *resolved_start(ts_net *net, fake_res *res, const char *method)
{
    memset(net, 0, sizeof *net);
    memset(res, 0, sizeof *res);
    ts_node_add(net, A_HOST, 5060, NULL);
    gosip_resolver r = {fake_resolve, fake_cancel, res};
    gosip_stack_set_resolver(net->nodes[0].stack, &r);
    gosip_msg *req = ts_request(method, "sip:bob@example.net");
    gosip_txn *t = start(net, req);
    gosip_msg_unref(req);
    assert_int_equal(res->n, 1);
    assert_string_equal(res->host, "example.net");
    assert_int_equal(net->n_pkts, 0);
    gosip_target tg[2];
    two_targets(tg);
    assert_int_equal(gosip_resolve_done(res->q[0], 0, tg, 2, net->now), 0);
    ts_settle(net);
    return t;
}

static void test_failover_on_timeout(void **state)
{
    (void)state;
    ts_net net;
    fake_res res;
    gosip_txn *t = resolved_start(&net, &res, "OPTIONS");
    assert_non_null(last_to(&net, "192.0.2.101", 5060));
    gosip_str first = gosip_txn_branch(t);
    char b1[64];
    snprintf(b1, sizeof b1, "%.*s", (int)first.n, first.p);
    ts_run(&net, GOSIP_SEC(32));
    /* Timer F on the first target moved the request to the second, with a new branch */
    const ts_pkt *p = last_to(&net, "192.0.2.102", 5060);
    assert_non_null(p);
    assert_int_equal(p->sent, GOSIP_SEC(32));
    assert_null(strstr(p->text, b1));
    assert_int_equal(ts_count_ev(&net, 0, 't'), 0);
    ts_run(&net, GOSIP_SEC(70));
    assert_int_equal(ts_count_ev(&net, 0, 't'), 1);
    assert_int_equal(ts_count_ev(&net, 0, 'x'), 1);
    assert_int_equal(gosip_stack_stats_get(net.nodes[0].stack)->failovers, 1);
    gosip_txn_unref(t);
    ts_free(&net);
}

static void test_failover_on_503(void **state)
{
    (void)state;
    ts_net net;
    fake_res res;
    gosip_txn *t = resolved_start(&net, &res, "INVITE");
    const ts_pkt *p = last_to(&net, "192.0.2.101", 5060);
    assert_non_null(p);
    /* the first server answers 503: the client ACKs it and tries the second */
    gosip_msg *req = NULL, *resp = NULL;
    assert_int_equal(gosip_msg_parse(&req, p->text, p->len, NULL, NULL), 0);
    assert_int_equal(gosip_msg_new_response(&resp, req, 503, GOSIP_STR_NULL, GOSIP_STR("s1")), 0);
    char buf[2048];
    size_t n = gosip_msg_print(resp, buf, sizeof buf);
    gosip_addr from = ts_addr("192.0.2.101", 5060);
    ts_queue(&net, &from, &net.nodes[0].addr, buf, n, net.now);
    ts_settle(&net);
    assert_non_null(last_to(&net, "192.0.2.102", 5060));
    assert_int_equal(ts_count_ev(&net, 0, 'r'), 0); /* the 503 is not an outcome */
    gosip_msg_unref(req);
    gosip_msg_unref(resp);
    gosip_txn_unref(t);
    ts_free(&net);
}

static void test_resolution_failure_is_an_outcome(void **state)
{
    (void)state;
    ts_net net = {0};
    fake_res res = {0};
    ts_node_add(&net, A_HOST, 5060, NULL);
    gosip_resolver r = {fake_resolve, fake_cancel, &res};
    gosip_stack_set_resolver(net.nodes[0].stack, &r);
    gosip_msg *req = ts_request("OPTIONS", "sip:bob@nowhere.invalid");
    gosip_txn *t = start(&net, req);
    assert_int_equal(gosip_resolve_done(res.q[0], GOSIP_ERR_RESOLVE, NULL, 0, net.now), 0);
    assert_int_equal(net.n_evs, 2);
    assert_int_equal(net.evs[0].kind, 'e');
    assert_int_equal(net.evs[0].code, GOSIP_ERR_RESOLVE);
    assert_int_equal(net.evs[1].kind, 'x');
    gosip_msg_unref(req);
    gosip_txn_unref(t);
    ts_free(&net);
}

static void test_resolver_removed_fails_lookups(void **state)
{
    (void)state;
    ts_net net = {0};
    fake_res res = {0};
    ts_node_add(&net, A_HOST, 5060, NULL);
    gosip_resolver r = {fake_resolve, fake_cancel, &res};
    gosip_stack_set_resolver(net.nodes[0].stack, &r);
    gosip_msg *req = ts_request("OPTIONS", "sip:bob@example.org");
    gosip_txn *t = start(&net, req);
    assert_int_equal(net.n_evs, 0);
    gosip_stack_set_resolver(net.nodes[0].stack, NULL);
    assert_int_equal(res.cancelled, 1);
    assert_int_equal(net.n_evs, 2);
    assert_int_equal(net.evs[0].kind, 'e');
    assert_int_equal(net.evs[0].code, GOSIP_ERR_DESTROYED);
    assert_int_equal(net.evs[1].kind, 'x');
    gosip_msg_unref(req);
    gosip_txn_unref(t);
    ts_free(&net);
}

static void test_no_listening_point_for_tcp(void **state)
{
    (void)state;
    ts_net net = {0};
    ts_node_add(&net, A_HOST, 5060, NULL);
    gosip_msg *req = ts_request("OPTIONS", "sip:bob@192.0.2.9;transport=tcp");
    gosip_txn *t = start(&net, req);
    assert_int_equal(net.n_evs, 2);
    assert_int_equal(net.evs[0].kind, 'e');
    assert_int_equal(net.evs[0].code, GOSIP_ERR_NOT_FOUND);
    assert_int_equal(net.evs[1].kind, 'x');
    gosip_msg_unref(req);
    gosip_txn_unref(t);
    ts_free(&net);
}

/* ---------------------------------------------------------------- exactly once */

static void test_free_with_pending_transactions(void **state)
{
    (void)state;
    ts_net net = {0};
    fake_res res = {0};
    ts_node_add(&net, A_HOST, 5060, NULL);
    gosip_resolver r = {fake_resolve, fake_cancel, &res};
    gosip_stack_set_resolver(net.nodes[0].stack, &r);
    gosip_msg *req = ts_request("INVITE", "sip:bob@192.0.2.9");
    gosip_msg *req2 = ts_request("OPTIONS", "sip:bob@example.org");
    gosip_txn *t = start(&net, req);
    gosip_txn *t2 = start(&net, req2); /* waiting on its lookup */
    gosip_msg *req3 = ts_request("OPTIONS", "sip:bob@192.0.2.9");
    gosip_txn *t3 = NULL; /* created, never sent */
    assert_int_equal(
        gosip_provider_new_client_txn(gosip_stack_provider(net.nodes[0].stack), req3, &t3), 0);
    gosip_stack_free(net.nodes[0].stack);
    net.nodes[0].stack = NULL;
    assert_int_equal(res.cancelled, 1);
    gosip_txn *all[3] = {t, t2, t3};
    for (int i = 0; i < 3; i++) {
        int errs = 0, ends = 0;
        for (int k = 0; k < net.n_evs; k++) {
            errs += net.evs[k].txn == all[i] && net.evs[k].kind == 'e' &&
                    net.evs[k].code == GOSIP_ERR_DESTROYED;
            ends += net.evs[k].txn == all[i] && net.evs[k].kind == 'x' &&
                    net.evs[k].code == GOSIP_ERR_DESTROYED;
        }
        assert_int_equal(errs, 1);
        assert_int_equal(ends, 1);
    }
    assert_int_equal(net.n_evs, 6);
    /* the application's references outlive the stack */
    assert_int_equal(gosip_txn_state_of(t), GOSIP_TXN_TERMINATED);
    assert_int_equal(gosip_txn_send_request(t3, 0), GOSIP_ERR_DESTROYED);
    gosip_txn_unref(t);
    gosip_txn_unref(t2);
    gosip_txn_unref(t3);
    gosip_msg_unref(req);
    gosip_msg_unref(req2);
    gosip_msg_unref(req3);
    ts_free(&net);
}

static int recursive_rc;

static void free_in_callback(gosip_provider *p, const gosip_timeout_event *ev, void *ud)
{
    (void)ev;
    (void)ud;
    gosip_stack *s = gosip_provider_stack(p);
    recursive_rc = gosip_stack_handle_expiry(s, 0);
    gosip_stack_free(s);
}

static void on_x(gosip_provider *p, const gosip_txn_terminated_event *ev, void *ud)
{
    (void)p;
    (void)ev;
    (*(int *)ud)++;
}

static void test_free_inside_callback_is_deferred(void **state)
{
    (void)state;
    gosip_config cfg;
    ts_config(&cfg);
    int terminated = 0;
    gosip_listener lis = {0};
    lis.on_timeout = free_in_callback;
    lis.on_transaction_terminated = on_x;
    gosip_stack *s = NULL;
    assert_int_equal(gosip_stack_new(&s, &cfg, &lis, &terminated), 0);
    gosip_addr a = ts_addr(A_HOST, 5060);
    assert_int_equal(
        gosip_tp_lp_add(gosip_stack_transport(s), GOSIP_TP_UDP, &a, GOSIP_STR_NULL, NULL), 0);
    gosip_msg *req = ts_request("OPTIONS", "sip:bob@192.0.2.9");
    gosip_txn *t = NULL;
    assert_int_equal(gosip_provider_new_client_txn(gosip_stack_provider(s), req, &t), 0);
    assert_int_equal(gosip_txn_send_request(t, 0), 0);
    gosip_tx tx;
    while (gosip_stack_next_tx(s, &tx) == 1)
        gosip_buf_unref(tx.buf);
    /* Timer F fires inside handle_expiry; the callback frees the stack */
    assert_int_equal(gosip_stack_handle_expiry(s, GOSIP_SEC(32)), 0);
    assert_int_equal(recursive_rc, GOSIP_ERR_RECURSIVE);
    assert_int_equal(terminated, 1);
    gosip_txn_unref(t);
    gosip_msg_unref(req);
}

static void test_terminate_gives_one_outcome(void **state)
{
    (void)state;
    ts_net net = {0};
    ts_node_add(&net, A_HOST, 5060, NULL);
    gosip_msg *req = ts_request("INVITE", "sip:bob@192.0.2.9");
    gosip_txn *t = start(&net, req);
    assert_int_equal(gosip_txn_terminate(t, GOSIP_SEC(1)), 0);
    assert_int_equal(gosip_txn_terminate(t, GOSIP_SEC(1)), GOSIP_ERR_STATE);
    assert_int_equal(net.n_evs, 2);
    assert_int_equal(net.evs[0].code, GOSIP_ERR_DESTROYED);
    assert_int_equal(net.evs[1].kind, 'x');
    ts_run(&net, GOSIP_SEC(60));
    assert_int_equal(net.n_evs, 2);
    assert_int_equal(ts_count_sent(&net, &net.nodes[0].addr, "INVITE"), 1);
    gosip_msg_unref(req);
    gosip_txn_unref(t);
    ts_free(&net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outbound_proxy_adds_route),
        cmocka_unit_test(test_strict_route_fixup),
        cmocka_unit_test(test_loose_route_goes_to_first_hop),
        cmocka_unit_test(test_next_hop_function),
        cmocka_unit_test(test_failover_on_timeout),
        cmocka_unit_test(test_failover_on_503),
        cmocka_unit_test(test_resolution_failure_is_an_outcome),
        cmocka_unit_test(test_resolver_removed_fails_lookups),
        cmocka_unit_test(test_no_listening_point_for_tcp),
        cmocka_unit_test(test_free_with_pending_transactions),
        cmocka_unit_test(test_free_inside_callback_is_deferred),
        cmocka_unit_test(test_terminate_gives_one_outcome),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
