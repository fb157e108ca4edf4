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

/* ---------------------------------------------------------------- glare and CANCEL */

static gosip_txn *reinvite(ts_net *net, gosip_dialog *d)
{
    gosip_msg *req = NULL;
    gosip_txn *t = NULL;
    assert_int_equal(gosip_dialog_new_request(d, GOSIP_STR("INVITE"), &req), 0);
    assert_int_equal(gosip_msg_set_body(req, GOSIP_STR("application/sdp"), sdp, sizeof sdp - 1), 0);
    assert_int_equal(gosip_dialog_send_request(d, req, &t, net->now), 0);
    gosip_msg_unref(req);
    return t;
}

static int final_of(const ts_net *net, int node, const gosip_txn *t)
{
    int st = 0;
    for (int i = 0; i < net->n_evs; i++)
        if (net->evs[i].node == node && net->evs[i].kind == 'r' && net->evs[i].txn == t &&
            net->evs[i].status >= 200)
            st = st ? -1 : net->evs[i].status; /* -1: more than one final */
    return st;
}

static void test_glare_491_and_retry(void **state)
{
    (void)state;
    ts_net net;
    setup(&net);
    net.nodes[0].on_request = callee; /* the caller answers re-INVITEs too */
    gosip_txn *t = call(&net, 1);
    gosip_dialog *da = dialog_of(&net, 0, 'r', 1);
    gosip_dialog *db = ts_ev(&net, 1, 'q', 1)->dialog;
    /* both sides re-INVITE at the same moment: the requests cross on the wire */
    gosip_txn *ra = reinvite(&net, da);
    gosip_txn *rb = reinvite(&net, db);
    gosip_msg *again = NULL;
    assert_int_equal(gosip_dialog_new_request(da, GOSIP_STR("INVITE"), &again), 0);
    assert_int_equal(gosip_dialog_send_request(da, again, NULL, net.now), GOSIP_ERR_STATE);
    gosip_msg_unref(again);
    ts_settle(&net);
    assert_int_equal(ts_count_sent(&net, &net.nodes[0].addr, "SIP/2.0 491"), 1);
    assert_int_equal(ts_count_sent(&net, &net.nodes[1].addr, "SIP/2.0 491"), 1);
    ts_run(&net, GOSIP_SEC(10));
    /* 14.1: each retried once after its random wait; the application saw only the 200 */
    assert_int_equal(final_of(&net, 0, ra), 200);
    assert_int_equal(final_of(&net, 1, rb), 200);
    assert_int_equal(ts_count_sent(&net, &net.nodes[0].addr, "INVITE"), 3);
    assert_int_equal(ts_count_sent(&net, &net.nodes[1].addr, "INVITE"), 2);
    const ts_pkt *retry_a = ts_sent(&net, &net.nodes[0].addr, "INVITE", 2);
    const ts_pkt *retry_b = ts_sent(&net, &net.nodes[1].addr, "INVITE", 1);
    /* the caller owns the Call-ID: 2.1 to 4 s; the callee 0 to 2 s */
    assert_true(retry_a->sent >= GOSIP_MS(2100) && retry_a->sent <= GOSIP_SEC(4));
    assert_true(retry_b->sent <= GOSIP_SEC(2));
    assert_int_equal(gosip_dialog_state_of(da), GOSIP_DIALOG_CONFIRMED);
    gosip_txn_unref(ra);
    gosip_txn_unref(rb);
    gosip_txn_unref(t);
    teardown(&net);
}

static ts_fate late_200(ts_net *net, const ts_pkt *p, int seq, void *ud)
{
    (void)net;
    (void)seq;
    (void)ud;
    return strncmp(p->text, "SIP/2.0 200", 11) == 0 && strstr(p->text, "INVITE\r\n") ? TS_DELAY
                                                                                     : TS_PASS;
}

static void test_cancel_racing_200(void **state)
{
    (void)state;
    ts_net net;
    setup(&net);
    net.filter = late_200;
    net.delay = GOSIP_MS(100);
    gosip_txn *t = call(&net, 1);
    gosip_dialog *early = dialog_of(&net, 0, 'r', 0);
    assert_int_equal(gosip_dialog_state_of(early), GOSIP_DIALOG_EARLY);
    /* the caller hangs up while the 200 is on its way: CANCEL */
    assert_int_equal(gosip_dialog_bye(early, net.now), 0);
    ts_settle(&net);
    assert_non_null(ts_sent(&net, &net.nodes[0].addr, "CANCEL", 0));
    ts_run(&net, GOSIP_SEC(1));
    /* the callee had answered: 200 to the CANCEL, no 487; the caller ACKs the 200 and ends
     * the call it no longer wants with BYE */
    assert_int_equal(ts_count_sent(&net, &net.nodes[1].addr, "SIP/2.0 487"), 0);
    assert_int_equal(ts_count_sent(&net, &net.nodes[0].addr, "ACK "), 1);
    assert_int_equal(ts_count_sent(&net, &net.nodes[0].addr, "BYE "), 1);
    assert_int_equal(ts_count_ev(&net, 0, 'd'), 1);
    assert_int_equal(ts_count_ev(&net, 1, 'd'), 1);
    gosip_txn_unref(t);
    teardown(&net);
}

static void test_cancel_before_answer_487(void **state)
{
    (void)state;
    ts_net net;
    setup(&net);
    callee_final = 0; /* rings, never answers */
    gosip_txn *t = call(&net, 1);
    gosip_dialog *early = dialog_of(&net, 0, 'r', 0);
    assert_int_equal(gosip_dialog_bye(early, net.now), 0);
    ts_settle(&net);
    assert_int_equal(final_of(&net, 0, t), 487);
    assert_int_equal(ts_ev(&net, 0, 'd', 0)->code, GOSIP_DIALOG_END_REJECTED);
    assert_int_equal(ts_ev(&net, 1, 'd', 0)->code, GOSIP_DIALOG_END_REJECTED);
    gosip_txn_unref(t);
    teardown(&net);
}

/* ---------------------------------------------------------------- in-dialog checks */

static void test_unknown_dialog_481_and_old_cseq_500(void **state)
{
    (void)state;
    ts_net net;
    setup(&net);
    gosip_txn *t = call(&net, 1);
    gosip_dialog *da = dialog_of(&net, 0, 'r', 1);
    /* a BYE for a dialog nobody knows */
    ts_inject(&net, 1, "192.0.2.50", 5060,
              "BYE sip:bob@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.50;branch=z9hG4bKu1\r\n"
              "Max-Forwards: 70\r\nTo: <sip:bob@192.0.2.2>;tag=nope\r\n"
              "From: <sip:x@192.0.2.50>;tag=x1\r\nCall-ID: unknown@x\r\nCSeq: 5 BYE\r\n"
              "Content-Length: 0\r\n\r\n");
    assert_non_null(ts_sent(&net, &net.nodes[1].addr, "SIP/2.0 481", 0));
    /* an INFO in the dialog, then one with a CSeq lower than the last */
    gosip_msg *info = NULL;
    assert_int_equal(gosip_dialog_new_request(da, GOSIP_STR("INFO"), &info), 0);
    assert_int_equal(gosip_dialog_send_request(da, info, NULL, net.now), 0);
    ts_settle(&net);
    const ts_pkt *sent = ts_sent(&net, &net.nodes[0].addr, "INFO", 0);
    char *old = test_malloc(sent->len + 1);
    memcpy(old, sent->text, sent->len + 1);
    char *cs = strstr(old, "CSeq: ");
    cs[6] = '1'; /* the INVITE's number: lower than the INFO's */
    char *br = strstr(old, "branch=");
    br[9] = br[9] == 'x' ? 'y' : 'x'; /* a new transaction */
    ts_queue(&net, &net.nodes[0].addr, &net.nodes[1].addr, old, sent->len, net.now);
    ts_settle(&net);
    test_free(old);
    assert_non_null(ts_sent(&net, &net.nodes[1].addr, "SIP/2.0 500", 0));
    gosip_msg_unref(info);
    gosip_txn_unref(t);
    teardown(&net);
}

static void test_481_ends_dialog(void **state)
{
    (void)state;
    ts_net net;
    setup(&net);
    callee_info = 481;
    gosip_txn *t = call(&net, 1);
    gosip_dialog *da = dialog_of(&net, 0, 'r', 1);
    gosip_msg *info = NULL;
    assert_int_equal(gosip_dialog_new_request(da, GOSIP_STR("INFO"), &info), 0);
    assert_int_equal(gosip_dialog_send_request(da, info, NULL, net.now), 0);
    gosip_msg_unref(info);
    ts_settle(&net);
    /* RFC 5057: 481 to a request of the dialog's usage means the peer has no dialog */
    assert_int_equal(ts_ev(&net, 0, 'd', 0)->code, GOSIP_DIALOG_END_PEER_GONE);
    gosip_txn_unref(t);
    teardown(&net);
}

/* ---------------------------------------------------------------- offer and answer */

static void give_body(ts_node *n, const gosip_oa_event *ev)
{
    (void)n;
    if (ev->kind == GOSIP_OA_NEED_OFFER || ev->kind == GOSIP_OA_NEED_ANSWER)
        assert_int_equal(
            gosip_dialog_set_body(ev->dialog, GOSIP_STR("application/sdp"), sdp, sizeof sdp - 1),
            0);
}

static int oa_kind(const ts_net *net, int node, int nth)
{
    const ts_event *e = ts_ev(net, node, 'o', nth);
    return e ? e->oa : 0;
}

static void test_offer_in_invite(void **state)
{
    (void)state;
    ts_net net;
    setup(&net);
    callee_body = 0; /* the stack asks the callee's application for the answer */
    net.nodes[1].on_oa = give_body;
    gosip_txn *t = call(&net, 1);
    assert_int_equal(oa_kind(&net, 1, 0), GOSIP_OA_NEED_ANSWER);
    assert_int_equal(oa_kind(&net, 0, 0), GOSIP_OA_REMOTE_ANSWER);
    assert_int_equal(ts_count_ev(&net, 0, 'o'), 1);
    gosip_txn_unref(t);
    teardown(&net);
}

static void test_offer_in_2xx_answer_in_ack(void **state)
{
    (void)state;
    ts_net net;
    setup(&net);
    callee_body = 0;
    net.nodes[0].on_oa = give_body;
    net.nodes[1].on_oa = give_body;
    gosip_txn *t = call(&net, 0);
    assert_int_equal(oa_kind(&net, 1, 0), GOSIP_OA_NEED_OFFER);
    assert_int_equal(oa_kind(&net, 0, 0), GOSIP_OA_REMOTE_OFFER);
    assert_int_equal(oa_kind(&net, 0, 1), GOSIP_OA_NEED_ANSWER);
    assert_int_equal(oa_kind(&net, 1, 1), GOSIP_OA_REMOTE_ANSWER);
    assert_non_null(strstr(ts_sent(&net, &net.nodes[0].addr, "ACK ", 0)->text, "m=audio"));
    gosip_txn_unref(t);
    teardown(&net);
}

/* ---------------------------------------------------------------- limits and end */

static void test_free_ends_dialogs(void **state)
{
    (void)state;
    ts_net net;
    setup(&net);
    gosip_txn *t = call(&net, 1);
    gosip_stack_free(net.nodes[0].stack);
    net.nodes[0].stack = NULL;
    assert_int_equal(ts_count_ev(&net, 0, 'd'), 1);
    assert_int_equal(ts_ev(&net, 0, 'd', 0)->code, GOSIP_DIALOG_END_DESTROYED);
    gosip_txn_unref(t);
    teardown(&net);
}

static void test_dialog_limit_503(void **state)
{
    (void)state;
    ts_net net;
    memset(&net, 0, sizeof net);
    gosip_config cfg;
    ts_config(&cfg);
    ts_node_add(&net, A_HOST, 5060, &cfg);
    cfg.contact_user = "bob";
    cfg.max_dialogs = 1;
    ts_node_add(&net, B_HOST, 5060, &cfg);
    net.nodes[1].on_request = callee;
    callee_final = 200;
    callee_body = 1;
    callee_txn = NULL;
    gosip_txn *t1 = call(&net, 1);
    gosip_txn *t2 = call(&net, 1); /* at the limit: the second call is refused */
    assert_int_equal(final_of(&net, 0, t1), 200);
    assert_int_equal(final_of(&net, 0, t2), 503);
    gosip_txn_unref(t1);
    gosip_txn_unref(t2);
    teardown(&net);
}

static void test_registered_dialog_method(void **state)
{
    (void)state;
    ts_net net;
    setup(&net);
    gosip_stack *sa = net.nodes[0].stack, *sb = net.nodes[1].stack;
    assert_int_equal(gosip_stack_add_dialog_method(sa, GOSIP_STR("BAD NAME")),
                     GOSIP_ERR_INVALID_ARG);
    assert_int_equal(gosip_stack_add_dialog_method(sa, GOSIP_STR("MESSAGE")), 0);
    assert_int_equal(gosip_stack_add_dialog_method(sb, GOSIP_STR("MESSAGE")), 0);
    for (int i = 1; i < 16; i++)
        assert_int_equal(gosip_stack_add_dialog_method(sa, GOSIP_STR("X-M")), 0);
    assert_int_equal(gosip_stack_add_dialog_method(sa, GOSIP_STR("X-M")), GOSIP_ERR_LIMIT);
    gosip_msg *req = caller_request("MESSAGE", B_URI);
    gosip_txn *t = NULL;
    assert_int_equal(gosip_provider_new_client_txn(gosip_stack_provider(sa), req, &t), 0);
    assert_int_equal(gosip_txn_send_request(t, 0), 0);
    ts_settle(&net);
    /* a 2xx to a dialog-creating non-INVITE confirms the dialog at once, without ACK */
    gosip_dialog *da = gosip_txn_dialog(t);
    assert_non_null(da);
    assert_int_equal(gosip_dialog_state_of(da), GOSIP_DIALOG_CONFIRMED);
    assert_int_equal(ts_count_sent(&net, &net.nodes[0].addr, "ACK "), 0);
    /* without automatic dialog support the same exchange makes none */
    gosip_provider_set_auto_dialog(gosip_stack_provider(sa), 0);
    gosip_msg *req2 = caller_request("MESSAGE", B_URI);
    gosip_txn *t2 = NULL;
    assert_int_equal(gosip_provider_new_client_txn(gosip_stack_provider(sa), req2, &t2), 0);
    assert_int_equal(gosip_txn_send_request(t2, 0), 0);
    ts_settle(&net);
    assert_null(gosip_txn_dialog(t2));
    gosip_msg_unref(req);
    gosip_msg_unref(req2);
    gosip_txn_unref(t);
    gosip_txn_unref(t2);
    teardown(&net);
}

/* The application answers without To tags: the stack adds one, the same on each answer. */
static void untagged(ts_node *n, const gosip_request_event *ev)
{
    if (ev->txn || gosip_msg_method(ev->msg) != GOSIP_METHOD_INVITE)
        return;
    gosip_txn *t = NULL;
    assert_int_equal(gosip_provider_new_server_txn(gosip_stack_provider(n->stack), ev->msg, &t), 0);
    int codes[2] = {180, 200};
    for (int i = 0; i < 2; i++) {
        gosip_msg *r = NULL;
        assert_int_equal(
            gosip_msg_new_response(&r, ev->msg, codes[i], GOSIP_STR_NULL, GOSIP_STR_NULL), 0);
        assert_int_equal(gosip_txn_send_response(t, r, ev->now), 0);
        gosip_msg_unref(r);
    }
    gosip_txn_unref(t);
}

static void test_stack_adds_to_tag(void **state)
{
    (void)state;
    ts_net net;
    setup(&net);
    net.nodes[1].on_request = untagged;
    gosip_txn *t = call(&net, 1);
    gosip_dialog *early = dialog_of(&net, 0, 'r', 0), *da = dialog_of(&net, 0, 'r', 1);
    assert_non_null(early);
    assert_ptr_equal(early, da);
    assert_int_equal(gosip_dialog_state_of(da), GOSIP_DIALOG_CONFIRMED);
    assert_int_equal(gosip_dialog_remote_tag(da).n, 10);
    gosip_txn_unref(t);
    teardown(&net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_call_and_bye),
        cmocka_unit_test(test_lost_ack_ends_with_bye),
        cmocka_unit_test(test_lost_2xx_retransmitted),
        cmocka_unit_test(test_fork_second_2xx_ended),
        cmocka_unit_test(test_fork_second_2xx_kept),
        cmocka_unit_test(test_glare_491_and_retry),
        cmocka_unit_test(test_cancel_racing_200),
        cmocka_unit_test(test_cancel_before_answer_487),
        cmocka_unit_test(test_unknown_dialog_481_and_old_cseq_500),
        cmocka_unit_test(test_481_ends_dialog),
        cmocka_unit_test(test_offer_in_invite),
        cmocka_unit_test(test_offer_in_2xx_answer_in_ack),
        cmocka_unit_test(test_free_ends_dialogs),
        cmocka_unit_test(test_dialog_limit_503),
        cmocka_unit_test(test_registered_dialog_method),
        cmocka_unit_test(test_stack_adds_to_tag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
