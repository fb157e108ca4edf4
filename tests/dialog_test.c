/*
 * Dialogs and INVITE sessions on the virtual network: call set-up and BYE, lost ACK and
 * lost 2xx, forking, glare, CANCEL racing the 200, in-dialog checks (481, 500, RFC 5057)
 * and the offer/answer events.
 */
#include "tu_stack.h"

#define A_HOST "192.0.2.1"
#define B_HOST "192.0.2.2"
#define B_URI "sip:bob@" B_HOST

static const char sdp[] = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
                          "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";

static int callee_final = 200; /* INVITE's final status; 0: none */
static int callee_body = 1;    /* the 200 carries SDP */
static int callee_info = 200;  /* answer to in-dialog INFO */
static gosip_txn *callee_txn;

static void respond(gosip_txn *t, gosip_msg *req, int status, int body, gosip_tstamp now)
{
    gosip_msg *r = NULL;
    assert_int_equal(gosip_msg_new_response(&r, req, status, GOSIP_STR_NULL, GOSIP_STR("b1")), 0);
    if (body)
        assert_int_equal(gosip_msg_set_body(r, GOSIP_STR("application/sdp"), sdp, sizeof sdp - 1),
                         0);
    assert_int_equal(gosip_txn_send_response(t, r, now), 0);
    gosip_msg_unref(r);
}

static void callee(ts_node *n, const gosip_request_event *ev)
{
    gosip_method m = gosip_msg_method(ev->msg);
    if (ev->txn || m == GOSIP_METHOD_ACK || m == GOSIP_METHOD_CANCEL || m == GOSIP_METHOD_BYE)
        return;
    gosip_txn *t = NULL;
    assert_int_equal(gosip_provider_new_server_txn(gosip_stack_provider(n->stack), ev->msg, &t), 0);
    if (m == GOSIP_METHOD_INFO) {
        respond(t, ev->msg, callee_info, 0, ev->now);
    } else if (ev->dialog) { /* a re-INVITE */
        respond(t, ev->msg, 200, 1, ev->now);
    } else {
        respond(t, ev->msg, 180, 0, ev->now);
        if (callee_final)
            respond(t, ev->msg, callee_final, callee_body, ev->now);
        gosip_txn_unref(callee_txn);
        callee_txn = gosip_txn_ref(t);
    }
    gosip_txn_unref(t);
}

static void setup(ts_net *net)
{
    memset(net, 0, sizeof *net);
    gosip_config cfg;
    ts_config(&cfg);
    ts_node_add(net, A_HOST, 5060, &cfg);
    cfg.contact_user = "bob";
    ts_node_add(net, B_HOST, 5060, &cfg);
    net->nodes[1].on_request = callee;
    callee_final = 200;
    callee_body = 1;
    callee_info = 200;
    callee_txn = NULL;
}

static void teardown(ts_net *net)
{
    gosip_txn_unref(callee_txn);
    callee_txn = NULL;
    ts_free(net);
}

/* A request of the caller with its own Contact (in-dialog requests come back to it). */
static gosip_msg *caller_request(const char *method, const char *uri)
{
    gosip_msg *req = ts_request(method, uri);
    assert_int_equal(gosip_msg_replace_hdr(req, gosip_msg_hdr(req, GOSIP_HDR_CONTACT),
                                           GOSIP_STR("<sip:alice@" A_HOST ">"), NULL),
                     0);
    return req;
}

static gosip_txn *call(ts_net *net, int with_sdp)
{
    gosip_msg *req = caller_request("INVITE", B_URI);
    if (with_sdp)
        assert_int_equal(gosip_msg_set_body(req, GOSIP_STR("application/sdp"), sdp, sizeof sdp - 1),
                         0);
    gosip_txn *t = NULL;
    assert_int_equal(
        gosip_provider_new_client_txn(gosip_stack_provider(net->nodes[0].stack), req, &t), 0);
    gosip_msg_unref(req);
    assert_int_equal(gosip_txn_send_request(t, net->now), 0);
    ts_settle(net);
    return t;
}

/* The dialog of the node's n-th event of a kind. */
static gosip_dialog *dialog_of(ts_net *net, int node, char kind, int nth)
{
    const ts_event *e = ts_ev(net, node, kind, nth);
    assert_non_null(e);
    return e->dialog;
}

static void test_call_and_bye(void **state)
{
    (void)state;
    ts_net net;
    setup(&net);
    gosip_txn *t = call(&net, 1);
    gosip_dialog *early = dialog_of(&net, 0, 'r', 0);
    gosip_dialog *da = dialog_of(&net, 0, 'r', 1);
    assert_ptr_equal(early, da); /* the 180 made it early, the 200 confirmed it */
    assert_int_equal(gosip_dialog_state_of(da), GOSIP_DIALOG_CONFIRMED);
    assert_ptr_equal(gosip_txn_dialog(t), da);
    assert_false(gosip_dialog_is_server(da));
    /* the stack ACKed; the callee's application saw the ACK within the dialog */
    assert_int_equal(ts_count_sent(&net, &net.nodes[0].addr, "ACK sip:bob@" B_HOST), 1);
    const ts_event *ack = ts_ev(&net, 1, 'q', 1);
    assert_string_equal(ack->method, "ACK");
    gosip_dialog *db = ack->dialog;
    assert_non_null(db);
    assert_true(gosip_dialog_is_server(db));
    assert_true(gosip_str_eq(gosip_dialog_local_tag(db), gosip_dialog_remote_tag(da)));
    assert_true(gosip_str_eq(gosip_dialog_call_id(db), gosip_dialog_call_id(da)));
    /* the Contact the stack wrote into the 200 is the caller's remote target */
    assert_true(gosip_str_eq(gosip_dialog_remote_target(da), GOSIP_STR("sip:bob@192.0.2.2:5060")));
    ts_run(&net, GOSIP_SEC(2));
    assert_int_equal(ts_count_sent(&net, &net.nodes[1].addr, "SIP/2.0 200"), 1);
    assert_int_equal(gosip_dialog_bye(da, net.now), 0);
    ts_settle(&net);
    assert_int_equal(gosip_dialog_bye(da, net.now), GOSIP_ERR_STATE);
    assert_int_equal(ts_count_ev(&net, 0, 'd'), 1);
    assert_int_equal(ts_count_ev(&net, 1, 'd'), 1);
    assert_int_equal(ts_ev(&net, 0, 'd', 0)->code, GOSIP_DIALOG_END_BYE);
    assert_int_equal(ts_ev(&net, 1, 'd', 0)->code, GOSIP_DIALOG_END_BYE);
    assert_string_equal(ts_ev(&net, 1, 'q', 2)->method, "BYE");
    gosip_txn_unref(t);
    teardown(&net);
}

static ts_fate drop_prefix(ts_net *net, const ts_pkt *p, int seq, void *ud)
{
    (void)net;
    (void)seq;
    return strncmp(p->text, ud, strlen(ud)) == 0 ? TS_DROP : TS_PASS;
}

static void test_lost_ack_ends_with_bye(void **state)
{
    (void)state;
    ts_net net;
    setup(&net);
    net.filter = drop_prefix;
    net.filter_ud = "ACK ";
    gosip_txn *t = call(&net, 1);
    ts_run(&net, GOSIP_SEC(31));
    /* 13.3.1.4: T1, doubling to T2: 0.5, 1.5, 3.5, 7.5, 11.5 ... 31.5 s; each repeat ACKed */
    static const uint64_t want[] = {0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500};
    int n = ts_count_sent(&net, &net.nodes[1].addr, "SIP/2.0 200");
    assert_int_equal(n, 10);
    for (int i = 0; i < n; i++)
        assert_int_equal(ts_sent(&net, &net.nodes[1].addr, "SIP/2.0 200", i)->sent / 1000000u,
                         want[i]);
    assert_int_equal(ts_count_sent(&net, &net.nodes[0].addr, "ACK "), 10);
    assert_int_equal(ts_count_ev(&net, 0, 'r'), 2); /* the 180 and one 200 */
    ts_run(&net, GOSIP_SEC(40));
    /* Timer L (64*T1): no ACK, so the callee ended the call with BYE */
    const ts_pkt *bye = ts_sent(&net, &net.nodes[1].addr, "BYE ", 0);
    assert_non_null(bye);
    assert_int_equal(bye->sent, GOSIP_SEC(32));
    assert_int_equal(ts_ev(&net, 1, 'd', 0)->code, GOSIP_DIALOG_END_NO_ACK);
    assert_int_equal(ts_ev(&net, 0, 'd', 0)->code, GOSIP_DIALOG_END_BYE);
    gosip_txn_unref(t);
    teardown(&net);
}

static ts_fate drop_first_200(ts_net *net, const ts_pkt *p, int seq, void *ud)
{
    (void)net;
    (void)seq;
    int *dropped = ud;
    if (strncmp(p->text, "SIP/2.0 200", 11) == 0 && !*dropped) {
        *dropped = 1;
        return TS_DROP;
    }
    return TS_PASS;
}

static void test_lost_2xx_retransmitted(void **state)
{
    (void)state;
    ts_net net;
    setup(&net);
    int dropped = 0;
    net.filter = drop_first_200;
    net.filter_ud = &dropped;
    gosip_txn *t = call(&net, 1);
    assert_int_equal(ts_count_ev(&net, 0, 'r'), 1);
    ts_run(&net, GOSIP_SEC(5));
    const ts_event *ok = ts_ev(&net, 0, 'r', 1);
    assert_int_equal(ok->status, 200);
    assert_int_equal(ok->at, GOSIP_MS(500));
    assert_int_equal(ts_count_sent(&net, &net.nodes[0].addr, "ACK "), 1);
    assert_int_equal(ts_count_sent(&net, &net.nodes[1].addr, "SIP/2.0 200"), 2);
    gosip_txn_unref(t);
    teardown(&net);
}

/* ---------------------------------------------------------------- forking */

static void inject_200(ts_net *net, const char *invite, const char *tag, const char *from_host)
{
    gosip_msg *req = NULL, *resp = NULL;
    assert_int_equal(gosip_msg_parse(&req, invite, strlen(invite), NULL, NULL), 0);
    assert_int_equal(
        gosip_msg_new_response(&resp, req, 200, GOSIP_STR_NULL, gosip_str_from_cstr(tag)), 0);
    char contact[64];
    snprintf(contact, sizeof contact, "<sip:%s@%s>", tag, from_host);
    assert_int_equal(gosip_msg_add_hdr_kind(resp, GOSIP_HDR_CONTACT, gosip_str_from_cstr(contact),
                                            GOSIP_WHERE_APPEND, NULL, NULL),
                     0);
    char buf[4096];
    size_t n = gosip_msg_print(resp, buf, sizeof buf);
    gosip_addr from = ts_addr("192.0.2.9", 5060);
    ts_queue(net, &from, &net->nodes[0].addr, buf, n, net->now);
    ts_settle(net);
    gosip_msg_unref(req);
    gosip_msg_unref(resp);
}

static int keep_forks;

static void keep_second(ts_node *n, const gosip_response_event *ev)
{
    (void)n;
    if (keep_forks && ev->dialog && gosip_msg_status(ev->msg) == 200)
        gosip_dialog_keep(ev->dialog);
}

static void forked(int keep)
{
    ts_net net;
    memset(&net, 0, sizeof net);
    ts_node_add(&net, A_HOST, 5060, NULL);
    net.nodes[0].on_response = keep_second;
    keep_forks = keep;
    gosip_msg *req = ts_request("INVITE", "sip:bob@192.0.2.9");
    gosip_txn *t = NULL;
    assert_int_equal(
        gosip_provider_new_client_txn(gosip_stack_provider(net.nodes[0].stack), req, &t), 0);
    assert_int_equal(gosip_txn_send_request(t, 0), 0);
    ts_settle(&net);
    const char *invite = ts_sent(&net, &net.nodes[0].addr, "INVITE", 0)->text;
    inject_200(&net, invite, "fork1", "192.0.2.31");
    inject_200(&net, invite, "fork2", "192.0.2.32");
    inject_200(&net, invite, "fork2", "192.0.2.32"); /* a repeat: ACKed again, not passed up */
    assert_int_equal(ts_count_ev(&net, 0, 'r'), 2);
    gosip_dialog *d1 = ts_ev(&net, 0, 'r', 0)->dialog, *d2 = ts_ev(&net, 0, 'r', 1)->dialog;
    assert_ptr_not_equal(d1, d2);
    assert_int_equal(ts_count_sent(&net, &net.nodes[0].addr, "ACK sip:fork1@"), 1);
    assert_int_equal(ts_count_sent(&net, &net.nodes[0].addr, "ACK sip:fork2@"), 2);
    /* 13.2.2.4: the second fork is ended with BYE unless the application keeps it */
    assert_int_equal(ts_count_sent(&net, &net.nodes[0].addr, "BYE sip:fork2@"), keep ? 0 : 1);
    assert_int_equal(ts_count_sent(&net, &net.nodes[0].addr, "BYE sip:fork1@"), 0);
    ts_run(&net, GOSIP_SEC(40));
    assert_int_equal(ts_count_ev(&net, 0, 'd'), keep ? 0 : 1);
    if (!keep)
        assert_int_equal(ts_ev(&net, 0, 'd', 0)->code, GOSIP_DIALOG_END_FORK);
    gosip_msg_unref(req);
    gosip_txn_unref(t);
    ts_free(&net);
}

static void test_fork_second_2xx_ended(void **state)
{
    (void)state;
    forked(0);
}

static void test_fork_second_2xx_kept(void **state)
{
    (void)state;
    forked(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_call_and_bye),
        cmocka_unit_test(test_lost_ack_ends_with_bye),
        cmocka_unit_test(test_lost_2xx_retransmitted),
        cmocka_unit_test(test_fork_second_2xx_ended),
        cmocka_unit_test(test_fork_second_2xx_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
