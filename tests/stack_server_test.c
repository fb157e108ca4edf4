/*
 * The server side of the stack against a scripted peer: the automatic 100 Trying, the
 * transaction limit (503), merged requests (482), CANCEL (200, 481), validation
 * answers, the default listener, and retransmissions before and after a transaction.
 */
#include "tu_stack.h"

#define B_HOST "192.0.2.2"
#define PEER "192.0.2.50"

static gosip_txn *held[8];
static int n_held;

static void keep_txn(ts_node *n, const gosip_request_event *ev)
{
    if (ev->txn || gosip_msg_method(ev->msg) == GOSIP_METHOD_ACK ||
        gosip_msg_method(ev->msg) == GOSIP_METHOD_CANCEL)
        return;
    gosip_txn *t = NULL;
    assert_int_equal(gosip_provider_new_server_txn(gosip_stack_provider(n->stack), ev->msg, &t), 0);
    assert_true(n_held < 8);
    held[n_held++] = t;
}

static void release_held(void)
{
    for (int i = 0; i < n_held; i++)
        gosip_txn_unref(held[i]);
    n_held = 0;
}

static const char *request_text(char *buf, size_t cap, const char *method, const char *branch,
                                const char *from_tag, const char *extra)
{
    snprintf(buf, cap,
             "%s sip:bob@" B_HOST " SIP/2.0\r\n"
             "Via: SIP/2.0/UDP " PEER ":5060;branch=%s\r\n"
             "Max-Forwards: 70\r\n"
             "To: <sip:bob@" B_HOST ">\r\n"
             "From: <sip:alice@" PEER ">;tag=%s\r\n"
             "Call-ID: call-1@" PEER "\r\n"
             "CSeq: 1 %s\r\n"
             "%s"
             "Content-Length: 0\r\n\r\n",
             method, branch, from_tag, method, extra ? extra : "");
    return buf;
}

static int server(ts_net *net, const gosip_config *cfg)
{
    memset(net, 0, sizeof *net);
    int b = ts_node_add(net, B_HOST, 5060, cfg);
    net->nodes[b].on_request = keep_txn;
    n_held = 0;
    return b;
}

static void test_auto_trying_at_200ms(void **state)
{
    (void)state;
    ts_net net;
    int b = server(&net, NULL);
    char buf[1024];
    ts_inject(&net, b, PEER, 5060,
              request_text(buf, sizeof buf, "INVITE", "z9hG4bKinv1", "a1", NULL));
    assert_int_equal(n_held, 1);
    ts_run(&net, GOSIP_MS(199));
    assert_int_equal(ts_count_sent(&net, &net.nodes[b].addr, "SIP/2.0 100"), 0);
    ts_run(&net, GOSIP_MS(200));
    const ts_pkt *p = ts_sent(&net, &net.nodes[b].addr, "SIP/2.0 100", 0);
    assert_non_null(p);
    assert_int_equal(p->sent, GOSIP_MS(200));
    assert_non_null(strstr(p->text, "To: <sip:bob@" B_HOST ">\r\n")); /* no To tag on a 100 */
    /* the INVITE retransmission is answered with the 100 again, not passed up */
    ts_inject(&net, b, PEER, 5060, buf);
    assert_int_equal(ts_count_sent(&net, &net.nodes[b].addr, "SIP/2.0 100"), 2);
    assert_int_equal(ts_count_ev(&net, b, 'q'), 1);
    assert_int_equal(gosip_stack_stats_get(net.nodes[b].stack)->auto_trying, 1);
    release_held();
    ts_free(&net);
}

static void test_no_auto_trying_when_answered(void **state)
{
    (void)state;
    ts_net net;
    int b = server(&net, NULL);
    char buf[1024];
    ts_inject(&net, b, PEER, 5060,
              request_text(buf, sizeof buf, "INVITE", "z9hG4bKinv2", "a1", NULL));
    gosip_msg *r = NULL;
    assert_int_equal(gosip_msg_new_response(&r, gosip_txn_request(held[0]), 180, GOSIP_STR_NULL,
                                            GOSIP_STR("bt")),
                     0);
    assert_int_equal(gosip_txn_send_response(held[0], r, GOSIP_MS(50)), 0);
    gosip_msg_unref(r);
    ts_run(&net, GOSIP_SEC(1));
    assert_int_equal(ts_count_sent(&net, &net.nodes[b].addr, "SIP/2.0 100"), 0);
    assert_int_equal(ts_count_sent(&net, &net.nodes[b].addr, "SIP/2.0 180"), 1);
    release_held();
    ts_free(&net);
}

static void test_transaction_limit_503(void **state)
{
    (void)state;
    ts_net net;
    gosip_config cfg;
    ts_config(&cfg);
    cfg.max_transactions = 2;
    cfg.retry_after = 7;
    int b = server(&net, &cfg);
    char buf[1024];
    ts_inject(&net, b, PEER, 5060,
              request_text(buf, sizeof buf, "MESSAGE", "z9hG4bKm1", "a1", NULL));
    ts_inject(&net, b, PEER, 5060,
              request_text(buf, sizeof buf, "MESSAGE", "z9hG4bKm2", "a2", NULL));
    assert_int_equal(n_held, 2); /* at the limit: both accepted */
    ts_inject(&net, b, PEER, 5060,
              request_text(buf, sizeof buf, "MESSAGE", "z9hG4bKm3", "a3", NULL));
    assert_int_equal(n_held, 2);
    const ts_pkt *p = ts_sent(&net, &net.nodes[b].addr, "SIP/2.0 503", 0);
    assert_non_null(p);
    assert_non_null(strstr(p->text, "Retry-After: 7\r\n"));
    assert_int_equal(gosip_stack_stats_get(net.nodes[b].stack)->rejected_limit, 1);
    /* a client transaction is refused too */
    gosip_msg *req = ts_request("OPTIONS", "sip:carol@192.0.2.9");
    gosip_txn *t = NULL;
    assert_int_equal(
        gosip_provider_new_client_txn(gosip_stack_provider(net.nodes[b].stack), req, &t),
        GOSIP_ERR_LIMIT);
    assert_null(t);
    /* answered and ended (Timer J), there is room again */
    for (int i = 0; i < 2; i++) {
        gosip_msg *r = NULL;
        assert_int_equal(gosip_msg_new_response(&r, gosip_txn_request(held[i]), 200, GOSIP_STR_NULL,
                                                GOSIP_STR("bt")),
                         0);
        assert_int_equal(gosip_txn_send_response(held[i], r, net.now), 0);
        gosip_msg_unref(r);
    }
    ts_run(&net, GOSIP_SEC(33));
    assert_int_equal(gosip_stack_stats_get(net.nodes[b].stack)->txns_live, 0);
    assert_int_equal(
        gosip_provider_new_client_txn(gosip_stack_provider(net.nodes[b].stack), req, &t), 0);
    gosip_txn_unref(t);
    gosip_msg_unref(req);
    release_held();
    ts_free(&net);
}

static void test_merged_request_482(void **state)
{
    (void)state;
    ts_net net;
    int b = server(&net, NULL);
    char buf[1024];
    ts_inject(&net, b, PEER, 5060,
              request_text(buf, sizeof buf, "INVITE", "z9hG4bKpath1", "a1", NULL));
    assert_int_equal(n_held, 1);
    /* the same request by another path: same From tag, Call-ID and CSeq, other branch */
    ts_inject(&net, b, PEER, 5060,
              request_text(buf, sizeof buf, "INVITE", "z9hG4bKpath2", "a1", NULL));
    assert_int_equal(n_held, 1);
    assert_int_equal(ts_count_ev(&net, b, 'q'), 1);
    assert_non_null(ts_sent(&net, &net.nodes[b].addr, "SIP/2.0 482", 0));
    assert_int_equal(gosip_stack_stats_get(net.nodes[b].stack)->rejected_merged, 1);
    release_held();
    ts_free(&net);
}

static void test_unmatched_cancel_481(void **state)
{
    (void)state;
    ts_net net;
    int b = server(&net, NULL);
    char buf[1024];
    ts_inject(&net, b, PEER, 5060,
              request_text(buf, sizeof buf, "CANCEL", "z9hG4bKnone", "a1", NULL));
    assert_non_null(ts_sent(&net, &net.nodes[b].addr, "SIP/2.0 481", 0));
    assert_int_equal(ts_count_ev(&net, b, 'q'), 0);
    assert_int_equal(gosip_stack_stats_get(net.nodes[b].stack)->cancels_unmatched, 1);
    ts_free(&net);
}

static void test_cancel_after_final_only_200(void **state)
{
    (void)state;
    ts_net net;
    int b = server(&net, NULL);
    char buf[1024], cbuf[1024];
    ts_inject(&net, b, PEER, 5060,
              request_text(buf, sizeof buf, "INVITE", "z9hG4bKinv3", "a1", NULL));
    gosip_msg *r = NULL;
    assert_int_equal(gosip_msg_new_response(&r, gosip_txn_request(held[0]), 603, GOSIP_STR_NULL,
                                            GOSIP_STR("bt")),
                     0);
    assert_int_equal(gosip_txn_send_response(held[0], r, net.now), 0);
    gosip_msg_unref(r);
    ts_inject(&net, b, PEER, 5060,
              request_text(cbuf, sizeof cbuf, "CANCEL", "z9hG4bKinv3", "a1", NULL));
    const ts_pkt *ok = ts_sent(&net, &net.nodes[b].addr, "SIP/2.0 200", 0);
    assert_non_null(ok);
    assert_non_null(strstr(ok->text, "tag=bt")); /* the To tag of the INVITE's responses */
    assert_int_equal(ts_count_sent(&net, &net.nodes[b].addr, "SIP/2.0 487"), 0);
    /* a retransmitted CANCEL gets the same 200 from the CANCEL's own transaction */
    ts_inject(&net, b, PEER, 5060, cbuf);
    assert_int_equal(ts_count_sent(&net, &net.nodes[b].addr, "SIP/2.0 200"), 2);
    assert_int_equal(ts_count_ev(&net, b, 'q'), 2); /* INVITE and the first CANCEL */
    release_held();
    ts_free(&net);
}

/* 9.2: a CANCEL of a pending non-INVITE request gets 200 and leaves the request alone */
static void test_cancel_non_invite_200(void **state)
{
    (void)state;
    ts_net net;
    int b = server(&net, NULL);
    char buf[1024], cbuf[1024];
    ts_inject(&net, b, PEER, 5060,
              request_text(buf, sizeof buf, "MESSAGE", "z9hG4bKmsg1", "a1", NULL));
    assert_int_equal(n_held, 1);
    ts_inject(&net, b, PEER, 5060,
              request_text(cbuf, sizeof cbuf, "CANCEL", "z9hG4bKmsg1", "a1", NULL));
    const ts_pkt *ok = ts_sent(&net, &net.nodes[b].addr, "SIP/2.0 200", 0);
    assert_non_null(ok);
    assert_non_null(strstr(ok->text, "CSeq: 1 CANCEL"));
    assert_int_equal(ts_count_sent(&net, &net.nodes[b].addr, "SIP/2.0 487"), 0);
    const ts_event *q = ts_ev(&net, b, 'q', 1);
    assert_string_equal(q->method, "CANCEL");
    assert_ptr_equal(q->cancelled, held[0]);
    assert_int_equal(gosip_stack_stats_get(net.nodes[b].stack)->cancels_unmatched, 0);
    /* the MESSAGE is still the application's to answer */
    assert_int_equal(gosip_txn_state_of(held[0]), GOSIP_TXN_TRYING);
    gosip_msg *r = NULL;
    assert_int_equal(
        gosip_msg_new_response(&r, gosip_txn_request(held[0]), 202, GOSIP_STR_NULL, GOSIP_STR_NULL),
        0);
    assert_int_equal(gosip_txn_send_response(held[0], r, net.now), 0);
    gosip_msg_unref(r);
    ts_settle(&net);
    const ts_pkt *accepted = ts_sent(&net, &net.nodes[b].addr, "SIP/2.0 202", 0);
    assert_non_null(accepted);
    assert_non_null(strstr(accepted->text, "CSeq: 1 MESSAGE"));
    /* 9.2: the final response carries the To tag the CANCEL's 200 had */
    const char *to = strstr(ok->text, "\r\nTo:");
    assert_non_null(to);
    const char *tag = strstr(to, ";tag=");
    assert_non_null(tag);
    char want[32];
    snprintf(want, sizeof want, "%.*s", (int)(1 + strcspn(tag + 1, "\r\n;>")), tag);
    assert_true(strlen(want) > 5);
    const char *to202 = strstr(accepted->text, "\r\nTo:");
    assert_non_null(to202);
    assert_non_null(strstr(to202, want));
    assert_true(strstr(to202, want) < strstr(to202 + 2, "\r\n"));
    release_held();
    ts_free(&net);
}

static void test_validation_answers_420(void **state)
{
    (void)state;
    ts_net net;
    int b = server(&net, NULL);
    char buf[1024];
    ts_inject(&net, b, PEER, 5060,
              request_text(buf, sizeof buf, "OPTIONS", "z9hG4bKv1", "a1", "Require: foo\r\n"));
    const ts_pkt *p = ts_sent(&net, &net.nodes[b].addr, "SIP/2.0 420", 0);
    assert_non_null(p);
    assert_non_null(strstr(p->text, "Unsupported: foo"));
    assert_int_equal(ts_count_ev(&net, b, 'q'), 0);
    ts_free(&net);
}

static void test_supported_extension_passes(void **state)
{
    (void)state;
    ts_net net;
    gosip_config cfg;
    ts_config(&cfg);
    cfg.supported = "100rel, foo";
    int b = server(&net, &cfg);
    char buf[1024];
    ts_inject(&net, b, PEER, 5060,
              request_text(buf, sizeof buf, "OPTIONS", "z9hG4bKv2", "a1", "Require: foo\r\n"));
    assert_int_equal(ts_count_ev(&net, b, 'q'), 1);
    release_held();
    ts_free(&net);
}

static void test_default_listener_answers_501(void **state)
{
    (void)state;
    ts_net net;
    memset(&net, 0, sizeof net);
    gosip_config cfg;
    ts_config(&cfg);
    static const gosip_listener empty = {0};
    net.n_nodes = 1;
    ts_node *n = &net.nodes[0];
    n->net = &net;
    n->addr = ts_addr(B_HOST, 5060);
    assert_int_equal(gosip_stack_new(&n->stack, &cfg, &empty, NULL), 0);
    assert_int_equal(gosip_tp_lp_add(gosip_stack_transport(n->stack), GOSIP_TP_UDP, &n->addr,
                                     GOSIP_STR_NULL, &n->lp),
                     0);
    char buf[1024];
    ts_inject(&net, 0, PEER, 5060,
              request_text(buf, sizeof buf, "MESSAGE", "z9hG4bKd1", "a1", NULL));
    assert_non_null(ts_sent(&net, &n->addr, "SIP/2.0 501", 0));
    ts_free(&net);
}

static void test_retransmission_before_transaction_is_new(void **state)
{
    (void)state;
    ts_net net;
    int b = server(&net, NULL);
    net.nodes[b].on_request = NULL; /* the application answers nothing statefully */
    char buf[1024];
    request_text(buf, sizeof buf, "MESSAGE", "z9hG4bKr1", "a1", NULL);
    ts_inject(&net, b, PEER, 5060, buf);
    ts_inject(&net, b, PEER, 5060, buf);
    assert_int_equal(ts_count_ev(&net, b, 'q'), 2);
    /* once a transaction exists, creating another for the same request is refused */
    gosip_msg *m = NULL;
    gosip_txn *t = NULL, *t2 = NULL;
    assert_int_equal(gosip_msg_parse(&m, buf, strlen(buf), NULL, NULL), 0);
    assert_int_equal(gosip_provider_new_server_txn(gosip_stack_provider(net.nodes[b].stack), m, &t),
                     GOSIP_ERR_INVALID_ARG); /* never received: no origin */
    gosip_msg_unref(m);
    net.nodes[b].on_request = keep_txn;
    ts_inject(&net, b, PEER, 5060, buf);
    assert_int_equal(n_held, 1);
    ts_inject(&net, b, PEER, 5060, buf);
    assert_int_equal(ts_count_ev(&net, b, 'q'), 3); /* the fourth copy was absorbed */
    (void)t2;
    release_held();
    ts_free(&net);
}

/* A server transaction with T1 = 100 ms: Timer G from 100 ms, Timer H at 64*T1. */
static void busy_fast(ts_node *n, const gosip_request_event *ev)
{
    if (ev->txn || gosip_msg_method(ev->msg) != GOSIP_METHOD_INVITE)
        return;
    gosip_txn *t = NULL;
    assert_int_equal(gosip_provider_new_server_txn(gosip_stack_provider(n->stack), ev->msg, &t), 0);
    assert_int_equal(gosip_txn_set_timers(t, GOSIP_MS(100), 0, 0), 0);
    gosip_msg *r = NULL;
    assert_int_equal(gosip_msg_new_response(&r, ev->msg, 486, GOSIP_STR_NULL, GOSIP_STR("bt")), 0);
    assert_int_equal(gosip_txn_send_response(t, r, ev->now), 0);
    assert_int_equal(gosip_txn_set_timers(t, GOSIP_MS(200), 0, 0), GOSIP_ERR_STATE);
    gosip_msg_unref(r);
    held[n_held++] = t;
}

static void test_server_per_transaction_timers(void **state)
{
    (void)state;
    ts_net net;
    int b = server(&net, NULL);
    net.nodes[b].on_request = busy_fast;
    char buf[1024];
    ts_inject(&net, b, PEER, 5060,
              request_text(buf, sizeof buf, "INVITE", "z9hG4bKt1", "a1", NULL));
    ts_run(&net, GOSIP_SEC(10));
    static const uint64_t want[] = {0, 100, 300, 700, 1500, 3100, 6300};
    int n = ts_count_sent(&net, &net.nodes[b].addr, "SIP/2.0 486");
    assert_int_equal(n, 7);
    for (int i = 0; i < n; i++)
        assert_int_equal(ts_sent(&net, &net.nodes[b].addr, "SIP/2.0 486", i)->sent / 1000000u,
                         want[i]);
    const ts_event *h = ts_ev(&net, b, 't', 0);
    assert_non_null(h);
    assert_int_equal(h->timer, 'H');
    assert_int_equal(h->at, GOSIP_MS(6400));
    release_held();
    ts_free(&net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auto_trying_at_200ms),
        cmocka_unit_test(test_no_auto_trying_when_answered),
        cmocka_unit_test(test_transaction_limit_503),
        cmocka_unit_test(test_merged_request_482),
        cmocka_unit_test(test_unmatched_cancel_481),
        cmocka_unit_test(test_cancel_after_final_only_200),
        cmocka_unit_test(test_cancel_non_invite_200),
        cmocka_unit_test(test_validation_answers_420),
        cmocka_unit_test(test_supported_extension_passes),
        cmocka_unit_test(test_default_listener_answers_501),
        cmocka_unit_test(test_retransmission_before_transaction_is_new),
        cmocka_unit_test(test_server_per_transaction_timers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
